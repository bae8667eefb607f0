"""Interop tests: the real tritonclient.http against a running Offload server's HTTP/REST front end,
plus raw requests (http.client) for what a well-behaved client never sends.

Run with OFFLOAD_HTTP_URL=host:port (see conftest.py); the server must serve examples/models.
"""

from __future__ import annotations

import http.client
import json
import struct

import numpy as np
import pytest
import tritonclient.http as httpclient
from tritonclient.utils import InferenceServerException

from interop_common import (
    EXPECTED_MODELS,
    IDENTITY_IDS,
    IDENTITY_TYPES,
    RPC_TIMEOUT_S,
    assert_same_tensor,
    binary_infer_body,
    identity_data,
    raw_request,
)

# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def make_input(name: str, array: np.ndarray, datatype: str | None = None, *, binary: bool = True):
    if datatype is None:
        datatype = httpclient.np_to_triton_dtype(array.dtype)
    inp = httpclient.InferInput(name, list(array.shape), datatype)
    inp.set_data_from_numpy(array, binary_data=binary)
    return inp


def add_sub_arrays(rng: np.random.Generator, batch: int = 3):
    a = rng.standard_normal((batch, 16)).astype(np.float32)
    b = rng.standard_normal((batch, 16)).astype(np.float32)
    return a, b


def check_add_sub(result, a, b, outputs=("OUTPUT0", "OUTPUT1")) -> None:
    expected = {"OUTPUT0": a + b, "OUTPUT1": a - b}
    names = [o["name"] for o in result.get_response()["outputs"]]
    assert sorted(names) == sorted(outputs)
    for name in outputs:
        y = result.as_numpy(name)
        assert y is not None and y.dtype == np.float32 and y.shape == a.shape
        np.testing.assert_array_equal(y, expected[name])


def output_entry(result, name: str) -> dict:
    [entry] = [o for o in result.get_response()["outputs"] if o["name"] == name]
    return entry


def is_binary(entry: dict) -> bool:
    return "binary_data_size" in (entry.get("parameters") or {})


def assert_still_serving(http_client) -> None:
    """A valid inference must succeed (used after every error case)."""
    a, b = add_sub_arrays(np.random.default_rng(4321), batch=2)
    result = http_client.infer("add_sub", [make_input("INPUT0", a), make_input("INPUT1", b)])
    check_add_sub(result, a, b)


def success_count(http_client, model: str) -> int:
    stats = http_client.get_inference_statistics(model_name=model)
    entries = [s for s in stats["model_stats"] if s["name"] == model]
    assert entries, f"no statistics entry for {model}: {stats}"
    count = sum(s["inference_stats"]["success"]["count"] for s in entries)
    assert isinstance(count, int)
    return count


# ---------------------------------------------------------------------------
# server
# ---------------------------------------------------------------------------


def test_server_live(http_client):
    assert http_client.is_server_live() is True


def test_server_ready(http_client):
    assert http_client.is_server_ready() is True


def test_server_metadata(http_client):
    md = http_client.get_server_metadata()
    assert isinstance(md["name"], str) and md["name"]
    assert isinstance(md["version"], str) and md["version"]
    assert isinstance(md["extensions"], list) and md["extensions"]
    assert all(isinstance(ext, str) and ext for ext in md["extensions"])


@pytest.mark.parametrize("model", EXPECTED_MODELS)
def test_model_ready(http_client, model):
    assert http_client.is_model_ready(model) is True
    assert http_client.is_model_ready(model, model_version="1") is True


def test_model_not_ready(http_client):
    assert http_client.is_model_ready("no_such_model") is False
    assert http_client.is_model_ready("ghost_mlp", model_version="7") is False


# ---------------------------------------------------------------------------
# metadata, config, repository
# ---------------------------------------------------------------------------


def tensors(entries):
    out = []
    for t in entries:
        assert all(isinstance(d, int) and not isinstance(d, bool) for d in t["shape"]), t
        out.append((t["name"], t["datatype"], list(t["shape"])))
    return out


def test_model_metadata_ghost_mlp(http_client):
    md = http_client.get_model_metadata("ghost_mlp")
    assert md["name"] == "ghost_mlp"
    assert "1" in md["versions"]
    assert md["platform"] == "onnxruntime_onnx"
    assert tensors(md["inputs"]) == [("features", "FP32", [-1, 17])]
    assert tensors(md["outputs"]) == [("ghost_prob", "FP32", [-1, 1])]


def test_model_metadata_explicit_version(http_client):
    md = http_client.get_model_metadata("ghost_mlp", model_version="1")
    assert md["name"] == "ghost_mlp"
    assert tensors(md["inputs"]) == [("features", "FP32", [-1, 17])]


@pytest.mark.parametrize("suffix,wire,cfg_type,np_dtype", IDENTITY_TYPES, ids=IDENTITY_IDS)
def test_model_metadata_identity(http_client, suffix, wire, cfg_type, np_dtype):
    md = http_client.get_model_metadata(f"identity_{suffix}")
    assert tensors(md["inputs"]) == [("INPUT0", wire, [-1, -1])]
    assert tensors(md["outputs"]) == [("OUTPUT0", wire, [-1, -1])]


def test_model_metadata_add_sub(http_client):
    md = http_client.get_model_metadata("add_sub")
    assert sorted(tensors(md["inputs"])) == [("INPUT0", "FP32", [-1, 16]), ("INPUT1", "FP32", [-1, 16])]
    assert sorted(tensors(md["outputs"])) == [("OUTPUT0", "FP32", [-1, 16]), ("OUTPUT1", "FP32", [-1, 16])]


def config_tensors(entries):
    out = []
    for t in entries:
        # Triton's HTTP config has numbers for dims (protobuf JSON would write 64-bit ints as strings).
        assert all(isinstance(d, int) and not isinstance(d, bool) for d in t["dims"]), t
        out.append((t["name"], t["data_type"], list(t["dims"])))
    return out


def test_model_config_ghost_mlp(http_client):
    cfg = http_client.get_model_config("ghost_mlp")
    assert cfg["name"] == "ghost_mlp"
    assert cfg["max_batch_size"] == 4096 and isinstance(cfg["max_batch_size"], int)
    assert cfg["platform"] == "onnxruntime_onnx"
    assert cfg["backend"] == "onnxruntime"
    assert config_tensors(cfg["input"]) == [("features", "TYPE_FP32", [17])]
    assert config_tensors(cfg["output"]) == [("ghost_prob", "TYPE_FP32", [1])]


def test_model_config_numbers_everywhere(http_client):
    """No 64-bit integer of the config comes back as a string, at any depth."""
    cfg = http_client.get_model_config("add_sub")

    def walk(value, path):
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, f"{path}.{k}")
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(v, f"{path}[{i}]")
        elif isinstance(value, str):
            assert not value.lstrip("-").isdigit(), f"{path} is the string {value!r}, expected a number"

    walk(cfg, "config")
    for group in cfg.get("instance_group", []):
        if "count" in group:
            assert isinstance(group["count"], int)


def test_model_config_partial_completed(http_client):
    cfg = http_client.get_model_config("add_sub_partial")
    assert cfg["name"] == "add_sub_partial"
    assert cfg["backend"] == "onnxruntime"
    assert cfg["max_batch_size"] == 8
    assert sorted(config_tensors(cfg["input"])) == [("INPUT0", "TYPE_FP32", [16]), ("INPUT1", "TYPE_FP32", [16])]
    assert sorted(config_tensors(cfg["output"])) == [("OUTPUT0", "TYPE_FP32", [16]), ("OUTPUT1", "TYPE_FP32", [16])]


@pytest.mark.parametrize("suffix,wire,cfg_type,np_dtype", IDENTITY_TYPES, ids=IDENTITY_IDS)
def test_model_config_identity(http_client, suffix, wire, cfg_type, np_dtype):
    cfg = http_client.get_model_config(f"identity_{suffix}")
    assert cfg["max_batch_size"] == 8
    assert config_tensors(cfg["input"]) == [("INPUT0", cfg_type, [-1])]
    assert config_tensors(cfg["output"]) == [("OUTPUT0", cfg_type, [-1])]


def test_repository_index(http_client, models_dir):
    index = http_client.get_model_repository_index()
    assert isinstance(index, list)
    states: dict[str, list] = {}
    for entry in index:
        assert isinstance(entry["name"], str) and isinstance(entry["state"], str), entry
        states.setdefault(entry["name"], []).append((entry.get("version"), entry["state"]))
    on_disk = sorted(p.parent.parent.name for p in models_dir.glob("*/1/model.onnx"))
    assert set(EXPECTED_MODELS) <= set(on_disk), "examples/models is stale; rerun dev/make-example-models.py"
    for model in on_disk:
        assert model in states, f"{model} missing from the repository index"
        assert any(state == "READY" for _, state in states[model]), f"{model}: {states[model]}"


def test_repository_index_ready_filter(http_url):
    response = raw_request(http_url, "POST", "/v2/repository/index", json.dumps({"ready": True}).encode())
    assert response.status == 200, response
    entries = response.json()
    assert entries and all(e["state"] == "READY" for e in entries), entries
    assert {"add_sub", "ghost_mlp"} <= {e["name"] for e in entries}


# ---------------------------------------------------------------------------
# inference: add_sub in JSON, binary and mixed encodings
# ---------------------------------------------------------------------------


def test_add_sub_json(http_client):
    a, b = add_sub_arrays(np.random.default_rng(1), batch=3)
    result = http_client.infer(
        "add_sub",
        [make_input("INPUT0", a, binary=False), make_input("INPUT1", b, binary=False)],
        outputs=[
            httpclient.InferRequestedOutput("OUTPUT0", binary_data=False),
            httpclient.InferRequestedOutput("OUTPUT1", binary_data=False),
        ],
    )
    check_add_sub(result, a, b)
    response = result.get_response()
    assert response["model_name"] == "add_sub"
    assert response["model_version"] == "1"
    for name in ("OUTPUT0", "OUTPUT1"):
        entry = output_entry(result, name)
        assert not is_binary(entry) and len(entry["data"]) == a.size, entry
        assert entry["datatype"] == "FP32" and entry["shape"] == [3, 16]


def test_add_sub_binary(http_client):
    a, b = add_sub_arrays(np.random.default_rng(2), batch=4)
    result = http_client.infer(
        "add_sub",
        [make_input("INPUT0", a), make_input("INPUT1", b)],
        outputs=[
            httpclient.InferRequestedOutput("OUTPUT0", binary_data=True),
            httpclient.InferRequestedOutput("OUTPUT1", binary_data=True),
        ],
    )
    check_add_sub(result, a, b)
    for name in ("OUTPUT0", "OUTPUT1"):
        entry = output_entry(result, name)
        assert is_binary(entry) and entry["parameters"]["binary_data_size"] == a.nbytes, entry
        assert "data" not in entry


def test_add_sub_default_outputs_are_binary(http_client):
    """No outputs listed: tritonclient asks for binary_data_output, and gets every output in binary."""
    a, b = add_sub_arrays(np.random.default_rng(3), batch=1)
    result = http_client.infer("add_sub", [make_input("INPUT0", a), make_input("INPUT1", b)])
    check_add_sub(result, a, b)
    assert all(is_binary(output_entry(result, n)) for n in ("OUTPUT0", "OUTPUT1"))


def test_add_sub_mixed_encodings(http_client):
    """One input in JSON, one binary; one output in JSON, one binary."""
    a, b = add_sub_arrays(np.random.default_rng(4), batch=2)
    result = http_client.infer(
        "add_sub",
        [make_input("INPUT0", a, binary=False), make_input("INPUT1", b, binary=True)],
        outputs=[
            httpclient.InferRequestedOutput("OUTPUT0", binary_data=True),
            httpclient.InferRequestedOutput("OUTPUT1", binary_data=False),
        ],
    )
    check_add_sub(result, a, b)
    assert is_binary(output_entry(result, "OUTPUT0"))
    assert not is_binary(output_entry(result, "OUTPUT1"))


@pytest.mark.parametrize("model", ["add_sub", "add_sub_partial"])
def test_add_sub_explicit_version(http_client, model):
    a, b = add_sub_arrays(np.random.default_rng(5))
    result = http_client.infer(model, [make_input("INPUT0", a), make_input("INPUT1", b)], model_version="1")
    check_add_sub(result, a, b)
    assert result.get_response()["model_name"] == model
    assert result.get_response()["model_version"] == "1"


@pytest.mark.parametrize("binary", [True, False], ids=["binary", "json"])
def test_add_sub_requested_output_only(http_client, binary):
    a, b = add_sub_arrays(np.random.default_rng(6))
    result = http_client.infer(
        "add_sub",
        [make_input("INPUT0", a, binary=binary), make_input("INPUT1", b, binary=binary)],
        outputs=[httpclient.InferRequestedOutput("OUTPUT1", binary_data=binary)],
    )
    assert [o["name"] for o in result.get_response()["outputs"]] == ["OUTPUT1"]
    assert result.as_numpy("OUTPUT0") is None
    np.testing.assert_array_equal(result.as_numpy("OUTPUT1"), a - b)


@pytest.mark.parametrize("binary", [True, False], ids=["binary", "json"])
def test_classification_top_k(http_client, binary):
    """Triton's classification extension over HTTP: class_count=N gives BYTES 'value:index' strings."""
    x = np.array([[3, 1, 2], [-4, 8, 8]], dtype=np.int32)
    result = http_client.infer(
        "identity_int32", [make_input("INPUT0", x, binary=binary)],
        outputs=[httpclient.InferRequestedOutput("OUTPUT0", binary_data=binary, class_count=5)],
    )
    y = result.as_numpy("OUTPUT0")
    assert y.shape == (2, 3), "the count is capped at the entries per row"
    as_text = [v.decode() if isinstance(v, bytes) else v for v in y.ravel()]
    assert as_text == ["3:0", "2:2", "1:1", "8:1", "8:2", "-4:0"]
    assert output_entry(result, "OUTPUT0")["datatype"] == "BYTES"


def test_request_id_echoed(http_client):
    a, b = add_sub_arrays(np.random.default_rng(7))
    result = http_client.infer(
        "add_sub", [make_input("INPUT0", a), make_input("INPUT1", b)], request_id="offload-http-42"
    )
    assert result.get_response()["id"] == "offload-http-42"
    check_add_sub(result, a, b)


# ---------------------------------------------------------------------------
# inference: every datatype, binary and JSON
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("suffix,wire,cfg_type,np_dtype", IDENTITY_TYPES, ids=IDENTITY_IDS)
def test_identity_round_trip_binary(http_client, suffix, wire, cfg_type, np_dtype):
    """NaN, ±Inf, -0.0, subnormals, full integer ranges, invalid UTF-8 and NULs: bit-exact in binary."""
    x = identity_data(suffix, np_dtype, np.random.default_rng(200 + IDENTITY_IDS.index(suffix)))
    result = http_client.infer(
        f"identity_{suffix}",
        [make_input("INPUT0", x, wire)],
        outputs=[httpclient.InferRequestedOutput("OUTPUT0", binary_data=True)],
    )
    entry = output_entry(result, "OUTPUT0")
    assert entry["datatype"] == wire and entry["shape"] == list(x.shape)
    assert is_binary(entry)
    assert_same_tensor(suffix, result.as_numpy("OUTPUT0"), x)


def json_round_trip_params():
    for t in IDENTITY_TYPES:
        yield pytest.param(*t, id=t[0])


@pytest.mark.parametrize("suffix,wire,cfg_type,np_dtype", list(json_round_trip_params()))
def test_identity_round_trip_json(http_client, suffix, wire, cfg_type, np_dtype):
    """Input and output as JSON `data` (BF16 input binary: tritonclient refuses BF16 in JSON)."""
    x = identity_data(suffix, np_dtype, np.random.default_rng(300 + IDENTITY_IDS.index(suffix)), json_safe=True)
    result = http_client.infer(
        f"identity_{suffix}",
        [make_input("INPUT0", x, wire, binary=(suffix == "bf16"))],
        outputs=[httpclient.InferRequestedOutput("OUTPUT0", binary_data=False)],
    )
    entry = output_entry(result, "OUTPUT0")
    assert entry["datatype"] == wire and entry["shape"] == list(x.shape)
    assert not is_binary(entry) and len(entry["data"]) == x.size
    assert_same_tensor(suffix, result.as_numpy("OUTPUT0"), x, as_text=True)


def test_bf16_json_input_raw(http_url):
    """The server takes BF16 as JSON numbers (tritonclient only sends it in binary)."""
    values = [1.5, -2.0, 0.0078125, 3.3895313892515355e38]
    body = {
        "inputs": [{"name": "INPUT0", "shape": [1, 4], "datatype": "BF16", "data": values}],
        "outputs": [{"name": "OUTPUT0", "parameters": {"binary_data": False}}],
    }
    response = raw_request(http_url, "POST", "/v2/models/identity_bf16/infer", json.dumps(body).encode())
    assert response.status == 200, response
    [output] = response.json()["outputs"]
    assert output["datatype"] == "BF16" and output["shape"] == [1, 4]
    assert output["data"] == values


def test_int64_json_small_values(http_client):
    """Values within ±2^53 (exact as doubles too) round-trip through JSON."""
    x = np.array([[-(2**53), 2**53, -1, 0, 1, 123456789012345]], dtype=np.int64)
    result = http_client.infer(
        "identity_int64",
        [make_input("INPUT0", x, binary=False)],
        outputs=[httpclient.InferRequestedOutput("OUTPUT0", binary_data=False)],
    )
    np.testing.assert_array_equal(result.as_numpy("OUTPUT0"), x)


def test_json_output_non_finite(http_client):
    x = np.array([[np.nan, np.inf, -np.inf, 1.0]], dtype=np.float32)
    result = http_client.infer(
        "identity_fp32",
        [make_input("INPUT0", x, binary=True)],
        outputs=[httpclient.InferRequestedOutput("OUTPUT0", binary_data=False)],
    )
    y = result.as_numpy("OUTPUT0")
    assert np.isnan(y[0, 0]) and y[0, 1] == np.inf and y[0, 2] == -np.inf and y[0, 3] == 1.0


def test_json_output_non_finite_error_is_clean(http_url, http_client):
    """Whatever the server does with NaN in a JSON output, it answers and keeps serving."""
    x = np.array([np.nan, 1.0], dtype=np.float32).tobytes()
    body, headers = binary_infer_body(
        {
            "inputs": [{"name": "INPUT0", "shape": [1, 2], "datatype": "FP32", "parameters": {"binary_data_size": 8}}],
            "outputs": [{"name": "OUTPUT0", "parameters": {"binary_data": False}}],
        },
        x,
    )
    response = raw_request(http_url, "POST", "/v2/models/identity_fp32/infer", body, headers)
    assert response.status in (200, 400, 500), response
    assert_still_serving(http_client)


def test_json_input_non_finite(http_client):
    x = np.array([[np.nan, np.inf, -np.inf, 1.0]], dtype=np.float32)
    result = http_client.infer(
        "identity_fp32",
        [make_input("INPUT0", x, binary=False)],
        outputs=[httpclient.InferRequestedOutput("OUTPUT0", binary_data=True)],
    )
    assert result.as_numpy("OUTPUT0").tobytes() == x.tobytes()


def test_json_output_negative_zero(http_client):
    x = np.array([[-0.0, 0.0]], dtype=np.float32)
    result = http_client.infer(
        "identity_fp32",
        [make_input("INPUT0", x, binary=True)],
        outputs=[httpclient.InferRequestedOutput("OUTPUT0", binary_data=False)],
    )
    assert result.as_numpy("OUTPUT0").tobytes() == x.tobytes()


def test_identity_nested_json_data(http_url):
    """KServe JSON data may be nested to the shape instead of flat."""
    body = {
        "inputs": [{"name": "INPUT0", "shape": [2, 3], "datatype": "INT32", "data": [[1, 2, 3], [4, 5, 6]]}],
        "outputs": [{"name": "OUTPUT0", "parameters": {"binary_data": False}}],
    }
    response = raw_request(http_url, "POST", "/v2/models/identity_int32/infer", json.dumps(body).encode())
    assert response.status == 200, response
    [output] = response.json()["outputs"]
    assert output["shape"] == [2, 3] and output["data"] == [1, 2, 3, 4, 5, 6]


def test_identity_zero_elements(http_client):
    for binary in (True, False):
        x = np.zeros((2, 0), dtype=np.float32)
        result = http_client.infer(
            "identity_fp32",
            [make_input("INPUT0", x, binary=binary)],
            outputs=[httpclient.InferRequestedOutput("OUTPUT0", binary_data=binary)],
        )
        entry = output_entry(result, "OUTPUT0")
        assert entry["shape"] == [2, 0]
        assert result.as_numpy("OUTPUT0").size == 0


# ---------------------------------------------------------------------------
# async, statistics, load/unload
# ---------------------------------------------------------------------------


def test_async_infer(http_client):
    rng = np.random.default_rng(21)
    pending = []
    for i in range(12):
        a, b = add_sub_arrays(rng, batch=1 + i % 4)
        binary = i % 2 == 0
        request = http_client.async_infer(
            "add_sub",
            [make_input("INPUT0", a, binary=binary), make_input("INPUT1", b, binary=binary)],
            outputs=[
                httpclient.InferRequestedOutput("OUTPUT0", binary_data=binary),
                httpclient.InferRequestedOutput("OUTPUT1", binary_data=not binary),
            ],
            request_id=f"async-{i}",
        )
        pending.append((f"async-{i}", a, b, request))
    for request_id, a, b, request in pending:
        result = request.get_result(block=True, timeout=RPC_TIMEOUT_S)
        assert result.get_response()["id"] == request_id
        check_add_sub(result, a, b)


def test_async_infer_error(http_client):
    request = http_client.async_infer("ghost_mlpp", [make_input("features", np.zeros((1, 17), np.float32))])
    with pytest.raises(InferenceServerException) as excinfo:
        request.get_result(block=True, timeout=RPC_TIMEOUT_S)
    assert "ghost_mlp" in (excinfo.value.message() or "").replace("ghost_mlpp", "")
    assert_still_serving(http_client)


def test_inference_statistics_count_successes(http_client):
    model = "ghost_mlp"
    before = success_count(http_client, model)
    features = np.random.default_rng(61).standard_normal((2, 17)).astype(np.float32)
    sent = 5
    for i in range(sent):
        http_client.infer(model, [make_input("features", features, binary=i % 2 == 0)])
    after = success_count(http_client, model)
    assert after - before == sent, (before, after)


def test_inference_statistics_shape(http_client):
    stats = http_client.get_inference_statistics()
    names = {s["name"] for s in stats["model_stats"]}
    assert {"ghost_mlp", "add_sub", "heavy_mlp"} <= names
    [entry] = http_client.get_inference_statistics(model_name="add_sub", model_version="1")["model_stats"]
    assert entry["name"] == "add_sub" and entry["version"] == "1"
    for key in ("success", "fail", "queue", "compute_input", "compute_infer", "compute_output"):
        duration = entry["inference_stats"][key]
        assert isinstance(duration["count"], int) and isinstance(duration["ns"], int), (key, duration)
    assert isinstance(entry["inference_count"], int) and isinstance(entry["execution_count"], int)


def test_inference_statistics_failures_counted(http_client):
    """A request the model rejects (wrong shape) counts as a failure, not a success."""
    model = "identity_int16"

    def counts():
        [entry] = http_client.get_inference_statistics(model_name=model)["model_stats"]
        return entry["inference_stats"]["success"]["count"], entry["inference_stats"]["fail"]["count"]

    ok0, fail0 = counts()
    http_client.infer(model, [make_input("INPUT0", np.ones((2, 3), np.int16))])
    with pytest.raises(InferenceServerException):
        http_client.infer(model, [make_input("INPUT0", np.ones((9, 3), np.int16))])  # batch > max_batch_size
    ok1, fail1 = counts()
    assert ok1 - ok0 == 1, (ok0, ok1)
    assert fail1 - fail0 == 1, (fail0, fail1)


def test_unload_and_load(http_client):
    model = "add_sub_partial"
    a, b = add_sub_arrays(np.random.default_rng(81), batch=2)

    def infer():
        return http_client.infer(model, [make_input("INPUT0", a), make_input("INPUT1", b)])

    assert http_client.is_model_ready(model)
    http_client.unload_model(model)
    try:
        assert http_client.is_model_ready(model) is False
        entries = [e for e in http_client.get_model_repository_index() if e["name"] == model]
        assert entries and all(e["state"] != "READY" for e in entries), entries
        with pytest.raises(InferenceServerException) as excinfo:
            infer()
        assert model in (excinfo.value.message() or "")
        assert excinfo.value.status() in ("400", "404", "503"), excinfo.value.status()
        # Other models are unaffected.
        assert_still_serving(http_client)
    finally:
        http_client.load_model(model)
    assert http_client.is_model_ready(model) is True
    entries = [e for e in http_client.get_model_repository_index() if e["name"] == model]
    assert any(e["state"] == "READY" for e in entries), entries
    check_add_sub(infer(), a, b)


def test_load_unknown_model(http_client):
    with pytest.raises(InferenceServerException) as excinfo:
        http_client.load_model("no_such_model")
    assert excinfo.value.status() == "404"
    assert "no_such_model" in (excinfo.value.message() or "")
    assert_still_serving(http_client)


# ---------------------------------------------------------------------------
# errors through tritonclient
# ---------------------------------------------------------------------------


def test_unknown_model_suggests_close_name(http_client):
    with pytest.raises(InferenceServerException) as excinfo:
        http_client.infer("ghost_mlpp", [make_input("features", np.zeros((1, 17), np.float32))])
    message = excinfo.value.message() or ""
    assert excinfo.value.status() == "404"
    assert "ghost_mlpp" in message and "ghost_mlp" in message.replace("ghost_mlpp", ""), message
    assert_still_serving(http_client)


def test_unknown_model_metadata_suggests_close_name(http_client):
    for call in (http_client.get_model_metadata, http_client.get_model_config, http_client.get_inference_statistics):
        with pytest.raises(InferenceServerException) as excinfo:
            call("ghost_mlpp")
        message = excinfo.value.message() or ""
        assert excinfo.value.status() == "404", (call.__name__, excinfo.value.status())
        assert "ghost_mlp" in message.replace("ghost_mlpp", ""), message


# ---------------------------------------------------------------------------
# bad input over raw HTTP: exact bytes on the wire
# ---------------------------------------------------------------------------


def add_sub_json_body(a: np.ndarray, b: np.ndarray, **extra) -> dict:
    body = {
        "inputs": [
            {"name": "INPUT0", "shape": list(a.shape), "datatype": "FP32", "data": a.ravel().tolist()},
            {"name": "INPUT1", "shape": list(b.shape), "datatype": "FP32", "data": b.ravel().tolist()},
        ]
    }
    body.update(extra)
    return body


def assert_raw_still_serving(http_url: str) -> None:
    """A valid raw request (binary in, one JSON and one binary out) still succeeds after a bad one."""
    a = np.arange(16, dtype=np.float32).reshape(1, 16)
    b = np.full((1, 16), 0.5, dtype=np.float32)
    body, headers = binary_infer_body(
        {
            "inputs": [
                {"name": "INPUT0", "shape": [1, 16], "datatype": "FP32", "parameters": {"binary_data_size": 64}},
                {"name": "INPUT1", "shape": [1, 16], "datatype": "FP32", "parameters": {"binary_data_size": 64}},
            ],
            "outputs": [
                {"name": "OUTPUT0", "parameters": {"binary_data": False}},
                {"name": "OUTPUT1", "parameters": {"binary_data": True}},
            ],
        },
        a.tobytes(),
        b.tobytes(),
    )
    response = raw_request(http_url, "POST", "/v2/models/add_sub/infer", body, headers)
    assert response.status == 200, response
    header_length = int(response.header("Inference-Header-Content-Length"))
    outputs = {o["name"]: o for o in response.json()["outputs"]}
    np.testing.assert_array_equal(np.array(outputs["OUTPUT0"]["data"], np.float32), (a + b).ravel())
    size = outputs["OUTPUT1"]["parameters"]["binary_data_size"]
    assert size == 64 and len(response.body) == header_length + size
    np.testing.assert_array_equal(np.frombuffer(response.body[header_length:], np.float32), (a - b).ravel())


def assert_json_error(response, status, *fragments) -> str:
    expected = status if isinstance(status, tuple) else (status,)
    assert response.status in expected, response
    content_type = response.header("Content-Type") or ""
    assert content_type.startswith("application/json"), response
    body = json.loads(response.body)
    assert isinstance(body, dict) and set(body) == {"error"}, body
    message = body["error"]
    assert isinstance(message, str) and message.strip(), body
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    return message


ONES16 = [1.0] * 16


def _malformed_json(url):
    return raw_request(url, "POST", "/v2/models/add_sub/infer", b'{"inputs": [{"name": "INPUT0", ', {})


def _not_an_object(url):
    return raw_request(url, "POST", "/v2/models/add_sub/infer", b"[1, 2, 3]")


def _no_inputs(url):
    return raw_request(url, "POST", "/v2/models/add_sub/infer", b'{"outputs": []}')


def _element_count_mismatch(url):
    body = {
        "inputs": [
            {"name": "INPUT0", "shape": [1, 16], "datatype": "FP32", "data": ONES16[:15]},
            {"name": "INPUT1", "shape": [1, 16], "datatype": "FP32", "data": ONES16},
        ]
    }
    return raw_request(url, "POST", "/v2/models/add_sub/infer", json.dumps(body).encode())


def _nested_count_mismatch(url):
    body = {"inputs": [{"name": "INPUT0", "shape": [2, 3], "datatype": "INT32", "data": [[1, 2, 3], [4, 5]]}]}
    return raw_request(url, "POST", "/v2/models/identity_int32/infer", json.dumps(body).encode())


def _string_for_number(url):
    body = {"inputs": [{"name": "INPUT0", "shape": [1, 2], "datatype": "FP32", "data": [1.0, "two"]}]}
    return raw_request(url, "POST", "/v2/models/identity_fp32/infer", json.dumps(body).encode())


def _integer_out_of_range(url):
    body = {"inputs": [{"name": "INPUT0", "shape": [1, 2], "datatype": "UINT8", "data": [1, 256]}]}
    return raw_request(url, "POST", "/v2/models/identity_uint8/infer", json.dumps(body).encode())


def _fraction_for_integer(url):
    body = {"inputs": [{"name": "INPUT0", "shape": [1, 2], "datatype": "INT32", "data": [1, 2.5]}]}
    return raw_request(url, "POST", "/v2/models/identity_int32/infer", json.dumps(body).encode())


def _unknown_datatype(url):
    body = {"inputs": [{"name": "INPUT0", "shape": [1, 1], "datatype": "FLOAT", "data": [1.0]}]}
    return raw_request(url, "POST", "/v2/models/identity_fp32/infer", json.dumps(body).encode())


def _header_length_past_body(url):
    body, headers = binary_infer_body(
        {"inputs": [{"name": "INPUT0", "shape": [1, 2], "datatype": "FP32", "parameters": {"binary_data_size": 8}}]},
        b"\x00" * 8,
    )
    headers["Inference-Header-Content-Length"] = str(len(body) + 100)
    return raw_request(url, "POST", "/v2/models/identity_fp32/infer", body, headers)


def _header_length_not_a_number(url):
    body = json.dumps({"inputs": [{"name": "INPUT0", "shape": [1, 1], "datatype": "FP32", "data": [1.0]}]}).encode()
    return raw_request(
        url, "POST", "/v2/models/identity_fp32/infer", body, {"Inference-Header-Content-Length": "twelve"}
    )


def _binary_size_past_body(url):
    body, headers = binary_infer_body(
        {"inputs": [{"name": "INPUT0", "shape": [1, 4], "datatype": "FP32", "parameters": {"binary_data_size": 16}}]},
        b"\x00" * 12,  # 4 bytes short
    )
    return raw_request(url, "POST", "/v2/models/identity_fp32/infer", body, headers)


def _binary_size_wrong_for_shape(url):
    body, headers = binary_infer_body(
        {"inputs": [{"name": "INPUT0", "shape": [1, 4], "datatype": "FP32", "parameters": {"binary_data_size": 12}}]},
        b"\x00" * 12,  # a [1, 4] FP32 tensor needs 16
    )
    return raw_request(url, "POST", "/v2/models/identity_fp32/infer", body, headers)


def _binary_trailing_bytes(url):
    body, headers = binary_infer_body(
        {"inputs": [{"name": "INPUT0", "shape": [1, 1], "datatype": "FP32", "parameters": {"binary_data_size": 4}}]},
        b"\x00" * 4,
        b"\xde\xad",
    )
    return raw_request(url, "POST", "/v2/models/identity_fp32/infer", body, headers)


def _bytes_bad_length_prefix(url):
    body, headers = binary_infer_body(
        {"inputs": [{"name": "INPUT0", "shape": [1, 1], "datatype": "BYTES", "parameters": {"binary_data_size": 7}}]},
        struct.pack("<I", 16) + b"abc",
    )
    return raw_request(url, "POST", "/v2/models/identity_bytes/infer", body, headers)


def _unknown_model(url):
    body = json.dumps({"inputs": [{"name": "features", "shape": [1, 17], "datatype": "FP32", "data": [0.0] * 17}]})
    return raw_request(url, "POST", "/v2/models/ghost_mlpp/infer", body.encode())


def _unknown_model_metadata(url):
    return raw_request(url, "GET", "/v2/models/add_subb")


def _unknown_version(url):
    body = json.dumps(add_sub_json_body(np.ones((1, 16)), np.ones((1, 16))))
    return raw_request(url, "POST", "/v2/models/add_sub/versions/7/infer", body.encode())


def _unknown_output(url):
    body = add_sub_json_body(np.ones((1, 16)), np.ones((1, 16)), outputs=[{"name": "OUTPUT7"}])
    return raw_request(url, "POST", "/v2/models/add_sub/infer", json.dumps(body).encode())


def _wrong_shape(url):
    body = {"inputs": [{"name": "features", "shape": [2, 16], "datatype": "FP32", "data": [0.0] * 32}]}
    return raw_request(url, "POST", "/v2/models/ghost_mlp/infer", json.dumps(body).encode())


def _load_bad_config(url):
    body = {"parameters": {"config": "{not json"}}
    return raw_request(url, "POST", "/v2/repository/models/add_sub/load", json.dumps(body).encode())


# name -> (request, status(es), fragments the message must contain)
RAW_ERROR_CASES = {
    "malformed_json": (_malformed_json, 400, ["JSON"]),
    "not_an_object": (_not_an_object, 400, []),
    "no_inputs": (_no_inputs, 400, ["inputs"]),
    "element_count_mismatch": (_element_count_mismatch, 400, ["INPUT0", "15", "16"]),
    "nested_count_mismatch": (_nested_count_mismatch, 400, ["INPUT0"]),
    "string_for_number": (_string_for_number, 400, ["INPUT0"]),
    "integer_out_of_range": (_integer_out_of_range, 400, ["INPUT0", "256"]),
    "fraction_for_integer": (_fraction_for_integer, 400, ["INPUT0"]),
    "unknown_datatype": (_unknown_datatype, 400, ["INPUT0", "datatype", "FP32"]),
    "header_length_past_body": (_header_length_past_body, 400, ["Inference-Header-Content-Length"]),
    "header_length_not_a_number": (_header_length_not_a_number, 400, ["Inference-Header-Content-Length"]),
    "binary_size_past_body": (_binary_size_past_body, 400, ["INPUT0", "binary_data_size"]),
    "binary_size_wrong_for_shape": (_binary_size_wrong_for_shape, 400, ["INPUT0"]),
    "binary_trailing_bytes": (_binary_trailing_bytes, 400, []),
    "bytes_bad_length_prefix": (_bytes_bad_length_prefix, 400, ["INPUT0"]),
    "unknown_model": (_unknown_model, 404, ["ghost_mlpp", "did you mean", "'ghost_mlp'"]),
    "unknown_model_metadata": (_unknown_model_metadata, 404, ["add_subb", "'add_sub'"]),
    "unknown_version": (_unknown_version, 404, ["7"]),
    "unknown_output": (_unknown_output, (400, 404), ["OUTPUT7"]),
    "wrong_shape": (_wrong_shape, 400, ["features"]),
    "load_bad_config": (_load_bad_config, 400, ["config"]),
}


@pytest.mark.parametrize("case", list(RAW_ERROR_CASES))
def test_raw_bad_request(http_url, case):
    send, status, fragments = RAW_ERROR_CASES[case]
    assert_json_error(send(http_url), status, *fragments)
    assert_raw_still_serving(http_url)


def test_raw_valid_request(http_url):
    assert_raw_still_serving(http_url)


def test_raw_json_request_without_outputs_is_json(http_url):
    """No binary input and no binary output asked for: the answer is plain JSON, no header length."""
    a = np.ones((1, 16), np.float32)
    response = raw_request(
        http_url, "POST", "/v2/models/add_sub/infer", json.dumps(add_sub_json_body(a, 2 * a)).encode()
    )
    assert response.status == 200, response
    assert response.header("Inference-Header-Content-Length") is None
    assert (response.header("Content-Type") or "").startswith("application/json")
    outputs = {o["name"]: o for o in json.loads(response.body)["outputs"]}
    assert outputs["OUTPUT0"]["data"] == [3.0] * 16
    assert outputs["OUTPUT1"]["data"] == [-1.0] * 16


def test_errors_keep_persistent_connection_usable(http_url):
    """Errors (including one answered before the body is read) must not desynchronise a keep-alive connection."""
    host, _, port = http_url.rpartition(":")
    connection = http.client.HTTPConnection(host.strip("[]"), int(port), timeout=RPC_TIMEOUT_S)
    good = json.dumps({"inputs": [{"name": "INPUT0", "shape": [1, 2], "datatype": "FP32", "data": [1.0, 2.0]}]})
    big = json.dumps({"inputs": [{"name": "INPUT0", "shape": [1, 20000], "datatype": "FP32", "data": [1.0] * 20000}]})
    sequence = [
        ("/v2/models/identity_fp3/infer", big, 404),
        ("/v2/models/identity_fp32/infer", good, 200),
        ("/v2/models/identity_fp32/infer", "{bad", 400),
        ("/v2/models/identity_fp32/infer", good, 200),
    ]
    try:
        for path, body, status in sequence:
            connection.request("POST", path, body=body.encode())
            response = connection.getresponse()
            data = response.read()
            assert response.status == status, (path, response.status, data[:300])
            if status == 200:
                assert json.loads(data)["outputs"][0]["data"] == [1.0, 2.0]
    finally:
        connection.close()


@pytest.mark.parametrize("batch", [1, 4096])
def test_heavy_mlp_matches_onnxruntime(http_client, ort_session, batch):
    """batch 4096: a 4 MiB binary request body."""
    x = np.random.default_rng(91 + batch).standard_normal((batch, 256)).astype(np.float32)
    result = http_client.infer(
        "heavy_mlp", [make_input("x", x)], outputs=[httpclient.InferRequestedOutput("y", binary_data=True)]
    )
    y = result.as_numpy("y")
    assert y.shape == (batch, 16)
    reference = ort_session("heavy_mlp").run(["y"], {"x": x})[0]
    np.testing.assert_allclose(y, reference, rtol=1e-4, atol=1e-4)


def test_ghost_mlp_json_matches_onnxruntime(http_client, ort_session):
    features = np.random.default_rng(92).standard_normal((64, 17)).astype(np.float32)
    result = http_client.infer(
        "ghost_mlp",
        [make_input("features", features, binary=False)],
        outputs=[httpclient.InferRequestedOutput("ghost_prob", binary_data=False)],
    )
    reference = ort_session("ghost_mlp").run(["ghost_prob"], {"features": features})[0]
    np.testing.assert_allclose(result.as_numpy("ghost_prob"), reference, rtol=1e-5, atol=1e-6)


# --- settings and shared-memory endpoints ----------------------------------------------------------


def test_trace_and_log_settings_are_reported(http_client, http_url):
    trace = http_client.get_trace_settings()
    assert trace["trace_level"] == ["OFF"]
    assert trace["trace_mode"] == "triton"
    log = http_client.get_log_settings()
    assert log["log_format"] == "default"
    assert isinstance(log["log_info"], bool)
    # Changing them is refused with a message, and the server keeps serving.
    response = raw_request(http_url, "POST", "/v2/trace/setting", json.dumps({"trace_level": ["TIMESTAMPS"]}).encode())
    assert response.status == 501, response
    assert "not implemented" in response.json()["error"]
    assert http_client.is_server_ready()


def test_shared_memory_endpoints_answer_clearly(http_client):
    # The interop server allows client shm (test_shared_memory.py); with nothing registered, the list is empty.
    assert http_client.get_system_shared_memory_status() == []
    with pytest.raises(InferenceServerException) as cuda:
        http_client.get_cuda_shared_memory_status()
    assert "no GPU" in str(cuda.value)
    assert http_client.is_server_live()


# --- compression ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("request_algorithm", [None, "gzip", "deflate"])
@pytest.mark.parametrize("response_algorithm", [None, "gzip", "deflate"])
def test_compressed_requests_and_responses(http_client, request_algorithm, response_algorithm):
    rng = np.random.default_rng(7)
    a = rng.random((2, 16), dtype=np.float32)
    b = rng.random((2, 16), dtype=np.float32)
    inputs = []
    for name, array in (("INPUT0", a), ("INPUT1", b)):
        tensor = httpclient.InferInput(name, list(array.shape), "FP32")
        tensor.set_data_from_numpy(array, binary_data=True)
        inputs.append(tensor)
    result = http_client.infer(
        "add_sub",
        inputs,
        request_compression_algorithm=request_algorithm,
        response_compression_algorithm=response_algorithm,
    )
    np.testing.assert_array_equal(result.as_numpy("OUTPUT0"), a + b)
    np.testing.assert_array_equal(result.as_numpy("OUTPUT1"), a - b)


def test_corrupt_or_unknown_encoding_is_a_clear_400(http_client, http_url):
    body = json.dumps({"inputs": []}).encode()
    corrupt = raw_request(
        http_url, "POST", "/v2/models/add_sub/infer", b"not gzip at all", {"Content-Encoding": "gzip"}
    )
    assert corrupt.status == 400, corrupt
    assert "gzip" in corrupt.json()["error"]
    unknown = raw_request(http_url, "POST", "/v2/models/add_sub/infer", body, {"Content-Encoding": "br"})
    assert unknown.status == 400, unknown
    assert "Content-Encoding 'br'" in unknown.json()["error"]
    assert http_client.is_server_ready()


def test_model_not_ready_answers_400_with_reason(http_url):
    """Triton answers a readiness probe of a missing or unready model with 400 and a JSON error."""
    host, _, port = http_url.rpartition(":")
    connection = http.client.HTTPConnection(host.strip("[]"), int(port), timeout=RPC_TIMEOUT_S)
    try:
        for path in ("/v2/models/ghost_mlp/versions/7/ready", "/v2/models/ghost_mpl/ready"):
            connection.request("GET", path)
            response = connection.getresponse()
            body = response.read()
            assert response.status == 400, (path, response.status, body)
            error = json.loads(body)["error"]
            assert "ghost_m" in error, error
        connection.request("GET", "/v2/models/ghost_mlp/versions/1/ready")
        response = connection.getresponse()
        response.read()
        assert response.status == 200
    finally:
        connection.close()


def test_expect_100_continue_is_answered_at_once(http_url):
    """curl sends `Expect: 100-continue` for bodies over 1 MiB and waits (1 s) for `100 Continue` before sending."""
    import socket

    host, _, port = http_url.rpartition(":")
    body = json.dumps({"inputs": [{"name": "INPUT0", "shape": [1, 2], "datatype": "FP32", "data": [1.0, 2.0]}]})
    head = (
        "POST /v2/models/identity_fp32/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nExpect: 100-continue\r\n\r\n"
    )
    with socket.create_connection((host.strip("[]"), int(port)), timeout=RPC_TIMEOUT_S) as sock:
        sock.sendall(head.encode())
        sock.settimeout(0.5)  # well below curl's 1 s: the interim answer must come before any body
        interim = sock.recv(4096).decode()
        assert interim.startswith("HTTP/1.1 100 Continue\r\n"), interim
        sock.settimeout(RPC_TIMEOUT_S)
        sock.sendall(body.encode())
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = sock.recv(65536)
            assert chunk, answer
            answer += chunk
        head_part, _, rest = answer.partition(b"\r\n\r\n")
        assert head_part.startswith(b"HTTP/1.1 200"), head_part
        length = next(int(line.split(b":")[1]) for line in head_part.split(b"\r\n") if line.lower().startswith(b"content-length:"))
        while len(rest) < length:
            chunk = sock.recv(65536)
            assert chunk, rest
            rest += chunk
        assert json.loads(rest)["outputs"][0]["shape"] == [1, 2]


def test_output_requested_twice_is_answered_once(http_client):
    a = np.arange(16, dtype=np.float32).reshape(1, 16)
    outputs = [httpclient.InferRequestedOutput("OUTPUT0"), httpclient.InferRequestedOutput("OUTPUT0")]
    result = http_client.infer("add_sub", [make_input("INPUT0", a), make_input("INPUT1", a)], outputs=outputs)
    names = [o["name"] for o in result.get_response()["outputs"]]
    assert names == ["OUTPUT0"]
    np.testing.assert_array_equal(result.as_numpy("OUTPUT0"), a + a)


def test_wrong_method_answers_405_with_allow(http_url):
    host, _, port = http_url.rpartition(":")
    connection = http.client.HTTPConnection(host.strip("[]"), int(port), timeout=RPC_TIMEOUT_S)
    try:
        for method, path, allow in [
            ("GET", "/v2/models/ghost_mlp/infer", "POST"),
            ("POST", "/v2/health/live", "GET"),
            ("DELETE", "/v2/models/ghost_mlp/versions/1/ready", "GET"),
        ]:
            connection.request(method, path)
            response = connection.getresponse()
            body = response.read()
            assert response.status == 405, (method, path, response.status, body)
            assert response.getheader("Allow") == allow
            assert path in json.loads(body)["error"]
        connection.request("GET", "/v2/no/such/path")
        response = connection.getresponse()
        response.read()
        assert response.status == 404
    finally:
        connection.close()


def cache_counts(http_client, model: str) -> tuple[int, int, int]:
    stats = http_client.get_inference_statistics(model)["model_stats"][0]
    infer = stats["inference_stats"]
    return infer["cache_hit"]["count"], infer["cache_miss"]["count"], stats["execution_count"]


def test_response_cache_answers_a_repeat_with_the_same_bytes_and_counts_it(http_client):
    """add_sub_cached enables response_cache; the interop server runs with --cache-config local,size=…"""
    before = cache_counts(http_client, "add_sub_cached")
    a, b = add_sub_arrays(np.random.default_rng(), batch=3)
    inputs = [make_input("INPUT0", a), make_input("INPUT1", b)]
    first = http_client.infer("add_sub_cached", inputs)
    second = http_client.infer("add_sub_cached", inputs)
    check_add_sub(second, a, b)
    for name in ("OUTPUT0", "OUTPUT1"):
        assert first.as_numpy(name).tobytes() == second.as_numpy(name).tobytes()
    hits, misses, executions = (now - then for now, then in zip(cache_counts(http_client, "add_sub_cached"), before))
    assert (hits, misses, executions) == (1, 1, 1), "one miss that executed, one hit that did not"


def test_ensemble_output_equals_running_its_steps_by_hand(http_client):
    """add_sub_ensemble: add_sub twice, the second step on the first step's outputs."""
    a, b = add_sub_arrays(np.random.default_rng(2027), batch=2)
    inputs = [make_input("INPUT0", a), make_input("INPUT1", b)]
    metadata = http_client.get_model_metadata("add_sub_ensemble")
    assert metadata["platform"] == "ensemble"
    assert [o["name"] for o in metadata["outputs"]] == ["OUTPUT0", "OUTPUT1", "SUM"]

    def counts():
        stats = {s["name"]: s for s in http_client.get_inference_statistics()["model_stats"]}
        ensemble = stats["add_sub_ensemble"]
        return ensemble["inference_stats"]["success"]["count"], stats["add_sub"]["inference_stats"]["success"]["count"]

    before = counts()
    result = http_client.infer("add_sub_ensemble", inputs)
    first = http_client.infer("add_sub", inputs)
    s, d = first.as_numpy("OUTPUT0"), first.as_numpy("OUTPUT1")
    second = http_client.infer("add_sub", [make_input("INPUT0", s), make_input("INPUT1", d)])
    assert result.get_response()["model_name"] == "add_sub_ensemble"
    np.testing.assert_array_equal(result.as_numpy("SUM"), s)
    np.testing.assert_array_equal(result.as_numpy("OUTPUT0"), second.as_numpy("OUTPUT0"))
    np.testing.assert_array_equal(result.as_numpy("OUTPUT1"), second.as_numpy("OUTPUT1"))
    np.testing.assert_allclose(result.as_numpy("OUTPUT1"), 2 * b, rtol=1e-6)
    ensemble, steps = (now - then for now, then in zip(counts(), before))
    assert (ensemble, steps) == (1, 4)


def test_interleaved_sequences_each_get_their_own_running_result(http_client):
    """sequence_accumulator keeps a running sum per sequence as implicit state."""

    def accumulate(value: float, sequence_id, start=False, end=False) -> tuple[float, float]:
        result = http_client.infer(
            "sequence_accumulator",
            [make_input("INPUT", np.array([[value]], np.float32))],
            sequence_id=sequence_id,
            sequence_start=start,
            sequence_end=end,
        )
        return float(result.as_numpy("OUTPUT")[0, 0]), float(result.as_numpy("SEQUENCE")[0, 0])

    inputs = {4101: [1.0, 2.0, 3.0], 4102: [100.0, -50.0, 25.0]}
    totals = dict.fromkeys(inputs, 0.0)
    for step in range(3):
        for sequence_id, values in inputs.items():
            totals[sequence_id] += values[step]
            out, seen = accumulate(values[step], sequence_id, start=step == 0, end=step == 2)
            assert (out, seen) == (totals[sequence_id], sequence_id), (sequence_id, step)
    with pytest.raises(InferenceServerException) as ended:
        accumulate(1.0, 4101)
    assert "sequence 4101 is not active" in str(ended.value)


def test_log_settings_change_at_run_time(http_client):
    before = http_client.get_log_settings()
    changed = http_client.update_log_settings({"log_verbose_level": 1, "log_info": not before["log_info"]})
    assert changed["log_verbose_level"] == 1
    assert changed["log_info"] == (not before["log_info"])
    assert http_client.get_log_settings() == changed
    with pytest.raises(InferenceServerException) as bad:
        http_client.update_log_settings({"log_info": "yes"})
    assert "log_info" in str(bad.value)
    assert http_client.get_log_settings() == changed, "a refused change changes nothing"
    http_client.update_log_settings({"log_verbose_level": before["log_verbose_level"], "log_info": before["log_info"]})
