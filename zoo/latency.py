"""Per-call latency of the zoo models: in-process onnxruntime vs served through gRPC.

For every zoo model, inputs are built from its seeded held-out toy generator
(zoo/toysim, HELDOUT_SEED) at batch 1 and at the typical per-event batch of
docs/model-zoo.md (trk_edge_filter has max_batch_size 0: a small event and a
typical event instead). Each point is measured, one at a time, twice:

* in-process: onnxruntime Python, CPU provider, one intra-op and one inter-op
  thread, sequential execution, all graph optimizations (the server's
  defaults, the same session options as physics_checks.OrtPredictor); a call
  is `session.run(outputs, feeds)`, numpy in, numpy out;
* served: tritonclient.grpc against OFFLOAD_GRPC_URL (or --url); a call is
  building the InferInputs from the numpy arrays, `client.infer(...)` and
  `as_numpy` of every output, numpy in, numpy out, one request in flight.

After a warm-up, about --calls timed calls per point (fewer when a call is
slow, see --budget-s); p50 and p99 of the per-call wall time. The served
outputs of each point are checked against the in-process ones once (bit for
bit, as Tests/Interop/test_model_zoo.py does). The gRPC ServerLive p50 with
the same client is printed as the client+transport floor.

    OFFLOAD_GRPC_URL=127.0.0.1:8001 .venv/bin/python -m zoo.latency
    .venv/bin/python zoo/latency.py --url 127.0.0.1:8001 --only hcal_facile
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # run as a script: make `zoo` importable
    sys.path.insert(0, str(REPO_ROOT))

from zoo.toysim import deepmet, hcal, jets, lhcb_tracks, tracking  # noqa: E402

DEFAULT_MODELS = REPO_ROOT / "models"

# Typical per-event batches (docs/model-zoo.md, summary table).
GHOST_TRACKS = 128
JET_JETS, JET_P = 8, 40
HCAL_CHANNELS = 16_384
MET_P = 200  # about 200 candidates per event
TRK_SMALL_PARTICLES = 20  # a small event (~140 hits, ~120 edges); the typical one has 300 particles


@dataclass
class Point:
    model: str
    batch: str  # what the request holds, for the table
    inputs: dict[str, np.ndarray]
    outputs: list[str]


# --------------------------------------------------------------------------
# inputs, from the held-out generators
# --------------------------------------------------------------------------


def ghost_points(model: str, dtype) -> list[Point]:
    x, _ = lhcb_tracks.generate(GHOST_TRACKS, lhcb_tracks.HELDOUT_SEED)
    x = x.astype(dtype)
    return [
        Point(model, "1 track", {"features": np.ascontiguousarray(x[:1])}, ["ghost_prob"]),
        Point(model, f"{GHOST_TRACKS} tracks", {"features": np.ascontiguousarray(x)}, ["ghost_prob"]),
    ]


def jet_points() -> list[Point]:
    feats, mask, _ = jets.generate(JET_JETS, jets.HELDOUT_SEED)
    # Fixed P = 40 (the typical padded length): trim the padding (and the softest
    # particles of the rare jet with more than 40).
    f, m = np.ascontiguousarray(feats[:, :, :JET_P]), np.ascontiguousarray(mask[:, :, :JET_P])
    return [
        Point("jet_tagger_qg", f"1 jet × P {JET_P}", {"pf_features": f[:1].copy(), "pf_mask": m[:1].copy()}, ["prob_quark"]),
        Point("jet_tagger_qg", f"{JET_JETS} jets × P {JET_P}", {"pf_features": f, "pf_mask": m}, ["prob_quark"]),
    ]


def hcal_points() -> list[Point]:
    pulses, channel, _ = hcal.generate(HCAL_CHANNELS, hcal.HELDOUT_SEED)
    return [
        Point("hcal_facile", "1 channel", {"pulses": pulses[:1].copy(), "channel": channel[:1].copy()}, ["energy"]),
        Point("hcal_facile", f"{HCAL_CHANNELS} channels", {"pulses": pulses, "channel": channel}, ["energy"]),
    ]


def met_points() -> list[Point]:
    # The typical per-event batch is one event: batch 1 is the typical point.
    # Of the first 10 held-out events, the one whose candidate count is closest to 200.
    cont, cat, mask, _ = deepmet.generate(10, deepmet.HELDOUT_SEED)
    n = mask.sum(axis=1)
    i = int(np.argmin(np.abs(n - MET_P)))
    p = int(n[i])
    inputs = {
        "pf_cont": np.ascontiguousarray(cont[i : i + 1, :p]),
        "pf_cat": np.ascontiguousarray(cat[i : i + 1, :p]),
        "pf_mask": np.ascontiguousarray(mask[i : i + 1, :p]),
    }
    return [Point("deepmet_toy", f"1 event, P {p}", inputs, ["met_xy", "weights"])]


def trk_points() -> list[Point]:
    small = tracking.generate(1, tracking.HELDOUT_SEED, n_particles=TRK_SMALL_PARTICLES)[0]
    typical = tracking.generate(1, tracking.HELDOUT_SEED)[0]
    points = []
    for what, (hits, edges, _) in (("small event", small), ("1 event", typical)):
        points.append(
            Point(
                "trk_edge_filter",
                f"{what}: {hits.shape[0]} hits, {edges.shape[1]} edges",
                {"hits": np.ascontiguousarray(hits), "edge_index": np.ascontiguousarray(edges)},
                ["edge_score"],
            )
        )
    return points


POINTS: dict[str, Callable[[], list[Point]]] = {
    "lhcb_ghost_mlp": lambda: ghost_points("lhcb_ghost_mlp", np.float32),
    "lhcb_ghost_mlp_fp16": lambda: ghost_points("lhcb_ghost_mlp_fp16", np.float16),
    "jet_tagger_qg": jet_points,
    "hcal_facile": hcal_points,
    "deepmet_toy": met_points,
    "trk_edge_filter": trk_points,
}


# --------------------------------------------------------------------------
# callers
# --------------------------------------------------------------------------


def ort_session(models_dir: Path, model: str):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(models_dir / model / "1" / "model.onnx"), opts, providers=["CPUExecutionProvider"])


def in_process_call(session, point: Point) -> Callable[[], list[np.ndarray]]:
    outputs, feeds = point.outputs, point.inputs

    def call():
        return session.run(outputs, feeds)

    return call


def served_call(client, grpcclient, point: Point, timeout_s: float) -> Callable[[], list[np.ndarray]]:
    names = list(point.inputs)
    arrays = [point.inputs[n] for n in names]
    dtypes = [grpcclient.np_to_triton_dtype(a.dtype) for a in arrays]
    shapes = [list(a.shape) for a in arrays]
    outputs = point.outputs

    def call():
        inputs = []
        for name, array, shape, dtype in zip(names, arrays, shapes, dtypes):
            inp = grpcclient.InferInput(name, shape, dtype)
            inp.set_data_from_numpy(array)
            inputs.append(inp)
        result = client.infer(
            point.model,
            inputs,
            outputs=[grpcclient.InferRequestedOutput(o) for o in outputs],
            client_timeout=timeout_s,
        )
        return [result.as_numpy(o) for o in outputs]

    return call


# --------------------------------------------------------------------------
# timing
# --------------------------------------------------------------------------


def measure(call: Callable[[], object], calls: int, min_calls: int, budget_s: float, warmup: int) -> np.ndarray:
    """Per-call wall times in µs: `warmup` untimed calls, then up to `calls` timed ones within about budget_s."""
    t0 = time.perf_counter()
    for _ in range(warmup):
        call()
    per_call = (time.perf_counter() - t0) / max(warmup, 1)
    n = int(max(min_calls, min(calls, budget_s / max(per_call, 1e-9))))
    times = np.empty(n, dtype=np.float64)
    gc.collect()
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for i in range(n):
            start = time.perf_counter_ns()
            call()
            times[i] = time.perf_counter_ns() - start
    finally:
        if gc_was_enabled:
            gc.enable()
    return times / 1e3


def p50_p99(times_us: np.ndarray) -> tuple[float, float]:
    p50, p99 = np.percentile(times_us, [50, 99])
    return float(p50), float(p99)


def fmt_us(x: float) -> str:
    return f"{x:,.0f}" if x >= 100 else f"{x:.1f}"


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", default=os.environ.get("OFFLOAD_GRPC_URL"), help="gRPC host:port (default: $OFFLOAD_GRPC_URL)")
    ap.add_argument("--models-dir", type=Path, default=DEFAULT_MODELS)
    ap.add_argument("--only", nargs="+", choices=list(POINTS), help="measure only these models")
    ap.add_argument("--calls", type=int, default=300, help="timed calls per point (default 300)")
    ap.add_argument("--min-calls", type=int, default=50, help="timed calls per point at least (default 50)")
    ap.add_argument("--budget-s", type=float, default=8.0, help="rough time budget per point and side; slow points get fewer calls")
    ap.add_argument("--warmup", type=int, default=20, help="untimed warm-up calls per point and side (default 20)")
    ap.add_argument("--timeout-s", type=float, default=60.0, help="gRPC client timeout per call")
    args = ap.parse_args(argv)
    if not args.url:
        ap.error("no server: pass --url or set OFFLOAD_GRPC_URL")

    import onnxruntime as ort
    import tritonclient.grpc as grpcclient

    client = grpcclient.InferenceServerClient(url=args.url)
    if not client.is_server_live(client_timeout=args.timeout_s):
        print(f"server at {args.url} is not live", file=sys.stderr)
        return 2

    print(
        f"# zoo latency, {time.strftime('%Y-%m-%d %H:%M:%S %Z')}; server {args.url}; "
        f"python {platform.python_version()}, numpy {np.__version__}, onnxruntime {ort.__version__}; "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}",
        flush=True,
    )

    # Client+transport floor: the cheapest RPC, same client.
    def live():
        client.is_server_live(client_timeout=args.timeout_s)

    floor = p50_p99(measure(live, max(args.calls, 300), args.min_calls, args.budget_s, args.warmup))

    rows = []
    mismatches = []
    for model in args.only or list(POINTS):
        session = ort_session(args.models_dir, model)
        for point in POINTS[model]():
            local_call = in_process_call(session, point)
            remote_call = served_call(client, grpcclient, point, args.timeout_s)
            want, got = local_call(), remote_call()
            if not all(same_bits(g, w) for g, w in zip(got, want)):
                mismatches.append(f"{model} [{point.batch}]")
            t_local = measure(local_call, args.calls, args.min_calls, args.budget_s, args.warmup)
            t_served = measure(remote_call, args.calls, args.min_calls, args.budget_s, args.warmup)
            local, served = p50_p99(t_local), p50_p99(t_served)
            rows.append((model, point.batch, local, served, len(t_local), len(t_served)))
            print(
                f"  {model:20s} {point.batch:34s} in-process {fmt_us(local[0])}/{fmt_us(local[1])} µs (n={len(t_local)})"
                f"  served {fmt_us(served[0])}/{fmt_us(served[1])} µs (n={len(t_served)})",
                file=sys.stderr,
                flush=True,
            )

    floor_after = p50_p99(measure(live, max(args.calls, 300), args.min_calls, args.budget_s, args.warmup))
    client.close()

    print()
    print("| model | batch | in-process p50/p99 µs | served p50/p99 µs | served − in-process p50 µs |")
    print("| --- | --- | --- | --- | --- |")
    for model, batch, local, served, n_local, n_served in rows:
        calls = f" (n {n_local}/{n_served})" if min(n_local, n_served) < args.calls else ""
        print(
            f"| `{model}` | {batch}{calls} | {fmt_us(local[0])} / {fmt_us(local[1])} | {fmt_us(served[0])} / {fmt_us(served[1])} "
            f"| {fmt_us(served[0] - local[0])} |"
        )
    print()
    print(
        f"client+transport floor (gRPC ServerLive, same tritonclient.grpc client): p50 {fmt_us(floor[0])} µs, "
        f"p99 {fmt_us(floor[1])} µs (before); p50 {fmt_us(floor_after[0])} µs, p99 {fmt_us(floor_after[1])} µs (after)"
    )
    print(f"load average at the end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if mismatches:
        print(f"WARNING: served outputs differ from in-process for: {', '.join(mismatches)}")
        return 1
    print("served outputs equal in-process outputs bit for bit at every point")
    return 0


if __name__ == "__main__":
    sys.exit(main())
