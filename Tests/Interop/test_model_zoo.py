"""Model zoo through the server: physics checks and served == in-process.

Needs a server serving models/ (the zoo; it may serve examples/models too) at
OFFLOAD_GRPC_URL, see conftest.py. For every zoo model the held-out physics
check of zoo/physics_checks.py runs twice, through the server (tritonclient.grpc)
and in-process (onnxruntime on models/<name>/1/model.onnx), with identical
request batches. Both must pass the thresholds, and the served outputs must
equal the in-process ones bit for bit (FP32 and FP16 alike: the server runs the
same onnxruntime on the same bytes; a different execution provider would need
a tolerance, see docs/model-zoo.md).
"""

from __future__ import annotations

import os
import queue
import sys
from pathlib import Path

import numpy as np
import pytest
import tritonclient.grpc as grpcclient
from google.protobuf import text_format
from tritonclient.grpc import model_config_pb2 as mc

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository root, for `zoo`

from zoo import physics_checks  # noqa: E402

RPC_TIMEOUT_S = float(os.environ.get("OFFLOAD_GRPC_RPC_TIMEOUT", "60"))
ZOO_MODELS = list(physics_checks.CHECKS)


class ServedPredictor:
    """physics_checks.Predict through the session's tritonclient.grpc client."""

    def __init__(self, client: grpcclient.InferenceServerClient) -> None:
        self.client = client

    def __call__(self, model: str, inputs: dict[str, np.ndarray], outputs: list[str], sequence=None) -> dict[str, np.ndarray]:
        sequence_id, start, end = sequence or (0, False, False)
        result = self.client.infer(
            model,
            _inputs(inputs),
            outputs=[grpcclient.InferRequestedOutput(o) for o in outputs],
            client_timeout=RPC_TIMEOUT_S,
            sequence_id=sequence_id,
            sequence_start=start,
            sequence_end=end,
        )
        returned = sorted(o.name for o in result.get_response().outputs)
        assert returned == sorted(outputs), f"{model}: asked for {outputs}, got {returned}"
        return {o: result.as_numpy(o) for o in outputs}


@pytest.fixture(scope="module")
def served(client) -> ServedPredictor:
    return ServedPredictor(client)


@pytest.fixture(scope="module")
def in_process(zoo_models_dir: Path) -> physics_checks.OrtPredictor:
    return physics_checks.OrtPredictor(zoo_models_dir)


@pytest.fixture(scope="module")
def check_results(served, in_process):
    """model -> (served CheckResult, in-process CheckResult), computed once per model."""
    cache: dict[str, tuple[physics_checks.CheckResult, physics_checks.CheckResult]] = {}

    def get(model: str):
        if model not in cache:
            check = physics_checks.CHECKS[model]
            cache[model] = (check(served), check(in_process))
        return cache[model]

    return get


def test_zoo_and_example_model_names_are_disjoint(models_dir: Path, zoo_models_dir: Path):
    examples = {p.name for p in models_dir.iterdir() if p.is_dir()}
    zoo = {p.name for p in zoo_models_dir.iterdir() if p.is_dir()}
    assert set(ZOO_MODELS) <= zoo
    assert not examples & zoo, f"served together, these names would collide: {sorted(examples & zoo)}"


@pytest.mark.parametrize("model", ZOO_MODELS)
def test_zoo_model_ready(client, model):
    assert client.is_model_ready(model, client_timeout=RPC_TIMEOUT_S) is True


@pytest.mark.parametrize("model", ZOO_MODELS)
def test_zoo_model_config_as_committed(client, zoo_models_dir: Path, model):
    committed = text_format.Parse((zoo_models_dir / model / "config.pbtxt").read_text(encoding="utf-8"), mc.ModelConfig())
    served = client.get_model_config(model, client_timeout=RPC_TIMEOUT_S).config

    def tensors(ts):
        return [(t.name, t.data_type, list(t.dims)) for t in ts]

    assert served.name == model
    assert served.max_batch_size == committed.max_batch_size
    assert tensors(served.input) == tensors(committed.input)
    assert tensors(served.output) == tensors(committed.output)


@pytest.mark.parametrize("model", ZOO_MODELS)
def test_physics_check_served(check_results, model):
    result, _ = check_results(model)
    assert result.passed, result.report()


@pytest.mark.parametrize("model", ZOO_MODELS)
def test_physics_check_in_process(check_results, model):
    _, result = check_results(model)
    assert result.passed, result.report()


# Float outputs may differ from the in-process reference (one intra-op thread) in their last bits: the server's
# shared ONNX Runtime pool has one thread per core and may split a reduction (the masked sums of jet_tagger_qg
# and deepmet_toy) differently. The bound is a few units in the last place of the larger of the element and the
# output's largest magnitude (a sum that cancels, like a missing-ET component, carries the rounding of its
# largest terms); a byte-level mistake (offsets, order, endianness, a wrong row) is far beyond it. Non-float
# outputs stay bit-exact.
MAX_ULPS = 4


@pytest.mark.parametrize("model", ZOO_MODELS)
def test_served_outputs_equal_in_process(check_results, model):
    served, local = check_results(model)
    assert served.outputs.keys() == local.outputs.keys()
    for name, got in served.outputs.items():
        want = local.outputs[name]
        assert got.dtype == want.dtype and got.shape == want.shape, (name, got.dtype, got.shape, want.dtype, want.shape)
        if np.issubdtype(got.dtype, np.floating):
            both_nan = np.isnan(got) & np.isnan(want)
            largest = np.nanmax(np.abs(want)) if np.isfinite(want).any() else 0
            magnitude = np.maximum(np.maximum(np.abs(got), np.abs(want)), largest)
            scale = np.spacing(magnitude.astype(got.dtype))
            close = np.abs(got.astype(np.float64) - want) <= MAX_ULPS * scale
            same = both_nan | close | ((got == 0) & (want == 0))
        else:
            same = (got.view(np.uint8).reshape(got.shape + (-1,)) == want.view(np.uint8).reshape(want.shape + (-1,))).all(
                axis=-1)
        n_diff = int((~same).sum())
        max_abs = float(np.nanmax(np.abs(got.astype(np.float64) - want))) if n_diff else 0.0
        assert n_diff == 0, (
            f"{model}.{name}: {n_diff} of {got.size} elements differ by more than {MAX_ULPS} ulp (max |Δ| {max_abs:.3g})"
        )


def _inputs(arrays: dict[str, np.ndarray]) -> list[grpcclient.InferInput]:
    inputs = []
    for name, array in arrays.items():
        array = np.ascontiguousarray(array)
        inp = grpcclient.InferInput(name, list(array.shape), grpcclient.np_to_triton_dtype(array.dtype))
        inp.set_data_from_numpy(array)
        inputs.append(inp)
    return inputs


@pytest.mark.parametrize("model,dtype", [("lhcb_ghost_mlp", np.float32), ("lhcb_ghost_mlp_fp16", np.float16)])
def test_ghost_tiny_calls_sequential_exact(client, in_process, model, dtype):
    """Batch-1 requests, one at a time: identical batches, so bit-identical outputs."""
    x, _ = physics_checks.heldout_tracks()
    for i in range(32):
        row = x[i : i + 1].astype(dtype)
        got = client.infer(model, _inputs({"features": row}), client_timeout=RPC_TIMEOUT_S).as_numpy("ghost_prob")
        want = in_process(model, {"features": row}, ["ghost_prob"])["ghost_prob"]
        assert got.dtype == dtype and got.shape == (1, 1)
        assert got.tobytes() == want.tobytes(), (i, got, want)


@pytest.mark.parametrize("model,dtype", [("lhcb_ghost_mlp", np.float32), ("lhcb_ghost_mlp_fp16", np.float16)])
def test_ghost_tiny_calls_concurrent(client, in_process, model, dtype):
    """64 batch-1 requests in flight at once (dynamic batching may merge them).

    A merged request is not an identical batch, so rows are compared with a
    tolerance: 1e-6 absolute for FP32, one FP16 ulp at 1.0 (2^-10) for FP16.
    (onnxruntime's CPU Gemm has so far given bit-identical rows for any batch size.)
    """
    x, _ = physics_checks.heldout_tracks()
    rows = x[:64].astype(dtype)
    q: queue.Queue = queue.Queue()
    for i in range(len(rows)):
        client.async_infer(
            model,
            _inputs({"features": rows[i : i + 1]}),
            callback=lambda result, error, i=i: q.put((i, result, error)),
            client_timeout=RPC_TIMEOUT_S,
        )
    got = np.full((len(rows), 1), np.nan, dtype=dtype)
    for _ in range(len(rows)):
        i, result, error = q.get(timeout=RPC_TIMEOUT_S)
        assert error is None, f"request {i}: {error}"
        got[i] = result.as_numpy("ghost_prob")[0]
    want = np.concatenate([in_process(model, {"features": rows[i : i + 1]}, ["ghost_prob"])["ghost_prob"] for i in range(len(rows))])
    tol = 1e-6 if dtype == np.float32 else 2.0**-10
    np.testing.assert_allclose(got.astype(np.float64), want.astype(np.float64), rtol=0, atol=tol)


def test_jet_tagger_padding_invariance_served(served):
    diff = physics_checks.jet_padding_difference(served)
    assert diff <= physics_checks.JET_PADDING_TOL, diff


def test_deepmet_requested_output_subset(client, in_process):
    cont, cat, mask, _ = physics_checks.heldout_met()
    req = next(physics_checks.met_requests(cont[:16], cat[:16], mask[:16]))
    inputs = _inputs(req)
    result = client.infer(
        "deepmet_toy", inputs, outputs=[grpcclient.InferRequestedOutput("met_xy")], client_timeout=RPC_TIMEOUT_S
    )
    assert [o.name for o in result.get_response().outputs] == ["met_xy"]
    assert result.as_numpy("weights") is None
    met = result.as_numpy("met_xy")
    want = in_process("deepmet_toy", req, ["met_xy"])["met_xy"]
    assert met.dtype == np.float32 and met.shape == (16, 2)
    assert np.array_equal(met.view(np.uint32), want.view(np.uint32))
    # And the other subset: weights only.
    result = client.infer(
        "deepmet_toy", inputs, outputs=[grpcclient.InferRequestedOutput("weights")], client_timeout=RPC_TIMEOUT_S
    )
    assert [o.name for o in result.get_response().outputs] == ["weights"]
    assert result.as_numpy("weights").shape == req["pf_mask"].shape


def test_trk_edge_filter_empty_edge_list(client, in_process):
    """max_batch_size 0 with a variable dim of length zero: an event without candidate edges."""
    hits, _, _ = physics_checks.heldout_tracking()[0]
    edges = np.zeros((2, 0), dtype=np.int64)
    result = client.infer("trk_edge_filter", _inputs({"hits": hits, "edge_index": edges}), client_timeout=RPC_TIMEOUT_S)
    assert result.as_numpy("edge_score").shape == (0,)
