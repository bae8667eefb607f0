"""Train every zoo model from its seeds and write the Triton model repository.

    zoo/train.sh                       # = .venv/bin/python -m zoo.train, single-threaded BLAS
    zoo/train.sh --only hcal_facile    # one model (others untouched)
    zoo/train.sh --out /tmp/models     # write elsewhere (e.g. to compare with models/)

Each model: simulate its seeded training sample (zoo/toysim), train with numpy
(zoo/models/<name>.py), export to ONNX, check onnxruntime against the numpy
forward pass, write <out>/<name>/config.pbtxt and <out>/<name>/1/model.onnx.
Afterwards <out>/README.md is rewritten and the physics checks run in-process
on the held-out samples (skip with --no-check).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort

from zoo import physics_checks
from zoo.models import (
    deepmet_toy,
    hcal_facile,
    jet_tagger_qg,
    lhcb_ghost_filter,
    lhcb_ghost_mlp,
    pulse_stream_tagger,
    trk_edge_filter,
)
from zoo.onnx_build import serialize
from zoo.toysim import deepmet, hcal, jets, lhcb_tracks, pulse_stream, tracking

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO_ROOT / "models"
MAX_FILE_BYTES = 5_000_000
VERIFY_SEED = 70_000_001


def _session(data: bytes) -> ort.InferenceSession:
    return ort.InferenceSession(data, providers=["CPUExecutionProvider"])


def _assert_close(name: str, got: np.ndarray, want: np.ndarray, rtol: float, atol: float) -> None:
    if got.shape != want.shape or not np.allclose(got, want, rtol=rtol, atol=atol):
        err = np.max(np.abs(got.astype(np.float64) - want)) if got.shape == want.shape else f"shape {got.shape} != {want.shape}"
        raise SystemExit(f"verify: {name}: onnxruntime differs from numpy (max abs err {err})")


# Each entry: model name -> (train, export, verify) with verify(trained, {name: onnx bytes}).


def _lhcb(log, _out: Path):
    trained = lhcb_ghost_mlp.train(log)
    files = {
        lhcb_ghost_mlp.NAME: (serialize(lhcb_ghost_mlp.build_onnx(trained)), lhcb_ghost_mlp.config()),
        lhcb_ghost_mlp.NAME_FP16: (serialize(lhcb_ghost_mlp.build_onnx(trained, fp16=True)), lhcb_ghost_mlp.config(fp16=True)),
    }
    x, _ = lhcb_tracks.generate(2000, VERIFY_SEED)
    want = lhcb_ghost_mlp.numpy_predict(trained, x)
    got = _session(files[lhcb_ghost_mlp.NAME][0]).run(["ghost_prob"], {"features": x})[0]
    _assert_close(lhcb_ghost_mlp.NAME, got, want, 1e-4, 1e-6)
    got16 = _session(files[lhcb_ghost_mlp.NAME_FP16][0]).run(["ghost_prob"], {"features": x.astype(np.float16)})[0]
    if got16.dtype != np.float16:
        raise SystemExit("verify: lhcb_ghost_mlp_fp16 does not return FP16")
    _assert_close(lhcb_ghost_mlp.NAME_FP16, got16.astype(np.float32), want, 0.0, 0.02)
    log(f"fp16 vs fp32 max |Δ ghost_prob| = {np.max(np.abs(got16.astype(np.float32) - want)):.2e}")
    return files


def _jets(log, _out: Path):
    trained = jet_tagger_qg.train(log)
    data = serialize(jet_tagger_qg.build_onnx(trained))
    f, m, _ = jets.generate(500, VERIFY_SEED)
    want = jet_tagger_qg.numpy_predict(trained, f, m)
    got = _session(data).run(["prob_quark"], {"pf_features": f, "pf_mask": m})[0]
    _assert_close(jet_tagger_qg.NAME, got, want, 1e-4, 1e-6)
    return {jet_tagger_qg.NAME: (data, jet_tagger_qg.config())}


def _hcal(log, _out: Path):
    trained = hcal_facile.train(log)
    data = serialize(hcal_facile.build_onnx(trained))
    p, c, _ = hcal.generate(5000, VERIFY_SEED)
    want = hcal_facile.numpy_predict(trained, p, c)
    got = _session(data).run(["energy"], {"pulses": p, "channel": c})[0]
    _assert_close(hcal_facile.NAME, got, want, 1e-4, 1e-5)
    return {hcal_facile.NAME: (data, hcal_facile.config())}


def _deepmet(log, _out: Path):
    trained = deepmet_toy.train(log)
    data = serialize(deepmet_toy.build_onnx(trained))
    cont, cat, mask, _ = deepmet.generate(64, VERIFY_SEED)
    want_met, want_w = deepmet_toy.numpy_predict(trained, cont, cat, mask)
    got_met, got_w = _session(data).run(["met_xy", "weights"], {"pf_cont": cont, "pf_cat": cat, "pf_mask": mask})
    _assert_close(deepmet_toy.NAME + " met_xy", got_met, want_met, 1e-4, 1e-3)
    _assert_close(deepmet_toy.NAME + " weights", got_w, want_w, 1e-4, 1e-5)
    return {deepmet_toy.NAME: (data, deepmet_toy.config())}


def _trk(log, _out: Path):
    trained = trk_edge_filter.train(log)
    data = serialize(trk_edge_filter.build_onnx(trained))
    hits, edges, _ = tracking.generate(1, VERIFY_SEED)[0]
    want = trk_edge_filter.numpy_predict(trained, hits, edges)
    got = _session(data).run(["edge_score"], {"hits": hits, "edge_index": edges})[0]
    _assert_close(trk_edge_filter.NAME, got, want, 1e-4, 1e-6)
    return {trk_edge_filter.NAME: (data, trk_edge_filter.config())}


def _pulse(log, _out: Path):
    m = pulse_stream_tagger
    trained = m.train(log)
    data = serialize(m.build_onnx(trained))
    # The graph against numpy, chunk by chunk through a few streams, feeding the state back as a server does.
    x, _, _ = pulse_stream.generate(8, 50, VERIFY_SEED)
    want_prob, want_pedestal = m.numpy_stream(trained, x)
    session = _session(data)
    state = np.zeros((8, 1), np.float32)
    for c in range(x.shape[1]):
        start = np.full((8, 1), 1.0 if c == 0 else 0.0, np.float32)
        prob, pedestal, state = session.run(
            ["pulse_prob", "pedestal", m.STATE_OUT], {"samples": x[:, c], m.STATE_IN: state, m.START: start})
        _assert_close(m.NAME + " pulse_prob", prob[:, 0], want_prob[:, c], 1e-4, 1e-5)
        _assert_close(m.NAME + " pedestal", pedestal[:, 0], want_pedestal[:, c], 1e-5, 1e-3)
    return {m.NAME: (data, m.config())}


def _lhcb_filter(log, out: Path):
    # Not trained: the selection's cut is calibrated on the classifier written before it.
    m = lhcb_ghost_filter
    cut = m.calibrate_cut(m.classifier_file(out))
    log(f"ghost cut {cut:.6g}: keeps {m.REAL_EFFICIENCY:.0%} of the real calibration tracks")
    selection = serialize(m.build_selection(cut))
    prob = np.array([[0.0], [cut], [np.nextafter(np.float32(cut), np.float32(1))], [1.0]], np.float32)
    got = _session(selection).run(["is_ghost"], {"ghost_prob": prob})[0]
    if got.dtype != np.bool_ or got[:, 0].tolist() != [False, False, True, True]:
        raise SystemExit(f"verify: {m.SELECTION}: is_ghost {got[:, 0].tolist()} for ghost_prob 0, cut, above cut, 1")
    return {m.SELECTION: (selection, m.selection_config()), m.NAME: (None, m.ensemble_config())}


TRAINERS = {
    "lhcb_ghost_mlp": _lhcb,  # also writes lhcb_ghost_mlp_fp16
    "jet_tagger_qg": _jets,
    "hcal_facile": _hcal,
    "deepmet_toy": _deepmet,
    "trk_edge_filter": _trk,
    "lhcb_ghost_filter": _lhcb_filter,  # after lhcb_ghost_mlp: also writes lhcb_ghost_selection
    "pulse_stream_tagger": _pulse,
}


def write_model(out: Path, name: str, data: bytes | None, config: str) -> None:
    """data None: an ensemble, whose version directory holds no model file (.gitkeep: git keeps no empty one)."""
    (out / name / "1").mkdir(parents=True, exist_ok=True)
    if data is None:
        (out / name / "1" / ".gitkeep").write_bytes(b"")
    else:
        if len(data) >= MAX_FILE_BYTES:
            raise SystemExit(f"{name}: model.onnx is {len(data)} bytes (limit {MAX_FILE_BYTES})")
        (out / name / "1" / "model.onnx").write_bytes(data)
    (out / name / "config.pbtxt").write_text(config, encoding="utf-8", newline="\n")


def write_readme(out: Path) -> None:
    rows = []
    for path in sorted(out.glob("*/1/model.onnx")):
        data = path.read_bytes()
        rows.append(f"| `{path.relative_to(out)}` | {len(data)} | `{hashlib.sha256(data).hexdigest()[:16]}` |")
    files = "\n".join(rows)
    text = f"""# Offload model zoo (Triton model repository)

Six HEP-shaped models (seven with the FP16 variant), one of them stateful,
trained here on seeded toy simulations and exported to ONNX (opset 17), and
one ensemble that chains the ghost classifier with its working-point cut. **Generated — do not edit by
hand**; retrain and rewrite everything with `zoo/train.sh` (see
[docs/model-zoo.md](../docs/model-zoo.md) for the model cards: physics,
inputs, training data, metrics).

| model | inputs | outputs | max_batch_size |
| --- | --- | --- | --- |
| `lhcb_ghost_mlp` | `features` FP32 [B, 17] | `ghost_prob` FP32 [B, 1] | {lhcb_ghost_mlp.MAX_BATCH} (dynamic batching) |
| `lhcb_ghost_mlp_fp16` | `features` FP16 [B, 17] | `ghost_prob` FP16 [B, 1] | {lhcb_ghost_mlp.MAX_BATCH} (dynamic batching) |
| `jet_tagger_qg` | `pf_features` FP32 [B, 7, P], `pf_mask` FP32 [B, 1, P] | `prob_quark` FP32 [B, 1] | {jet_tagger_qg.MAX_BATCH} |
| `hcal_facile` | `pulses` FP32 [B, 8], `channel` FP32 [B, 4] | `energy` FP32 [B, 1] | {hcal_facile.MAX_BATCH} |
| `deepmet_toy` | `pf_cont` FP32 [B, P, 6], `pf_cat` INT64 [B, P, 3], `pf_mask` BOOL [B, P] | `met_xy` FP32 [B, 2], `weights` FP32 [B, P] | {deepmet_toy.MAX_BATCH} |
| `trk_edge_filter` | `hits` FP32 [H, 3], `edge_index` INT64 [2, E] | `edge_score` FP32 [E] | 0 (one event per request) |
| `pulse_stream_tagger` | `samples` FP32 [B, 16] (one chunk of one channel; the channel is a sequence) | `pulse_prob` FP32 [B, 1], `pedestal` FP32 [B, 1] | {pulse_stream_tagger.MAX_BATCH} (stateful: sequence batching, the pedestal as implicit state) |
| `lhcb_ghost_selection` | `ghost_prob` FP32 [B, 1] | `is_ghost` BOOL [B, 1] | {lhcb_ghost_filter.MAX_BATCH} (the cut, not trained) |
| `lhcb_ghost_filter` | `features` FP32 [B, 17] | `ghost_prob` FP32 [B, 1], `is_ghost` BOOL [B, 1] | {lhcb_ghost_filter.MAX_BATCH} (ensemble: `lhcb_ghost_mlp` then `lhcb_ghost_selection`) |

Check them (held-out toy data, in-process onnxruntime or through a server):

```sh
.venv/bin/python -m zoo.physics_checks                      # in-process
.venv/bin/python -m zoo.physics_checks --url 127.0.0.1:8001 # through a running server
```

## Files

| file | bytes | sha256 (first 16 hex) |
| --- | --- | --- |
{files}
"""
    (out / "README.md").write_text(text, encoding="utf-8", newline="\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--only", action="append", choices=sorted(TRAINERS), help="train only these models (repeatable)")
    parser.add_argument("--no-check", action="store_true", help="skip the held-out physics checks at the end")
    args = parser.parse_args()

    names = args.only or list(TRAINERS)
    args.out.mkdir(parents=True, exist_ok=True)
    t_all = time.perf_counter()
    timings = {}
    for name in names:
        print(f"==> {name}", flush=True)
        t0 = time.perf_counter()

        def log(msg: str, _name=name, _t0=t0) -> None:
            print(f"[{_name} {time.perf_counter() - _t0:6.1f}s] {msg}", flush=True)

        for model_name, (data, config) in TRAINERS[name](log, args.out).items():
            write_model(args.out, model_name, data, config)
            if data is None:
                log(f"wrote {model_name}: ensemble config")
            else:
                log(f"wrote {model_name}: {len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()[:16]}")
        timings[name] = time.perf_counter() - t0
    write_readme(args.out)
    total = time.perf_counter() - t_all
    print("\ntraining time per model:")
    for name, seconds in timings.items():
        print(f"  {name:18s} {seconds:7.1f} s")
    print(f"  {'total':18s} {total:7.1f} s")

    if not args.no_check:
        print("\n==> physics checks (held-out toy data, in-process onnxruntime)", flush=True)
        predict = physics_checks.OrtPredictor(args.out)
        ok = physics_checks.run_all(predict, print, only=None if args.only is None else physics_checks.models_for(args.only))
        if not ok:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
