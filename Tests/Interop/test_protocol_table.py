"""One table of protocol cases, run against every front end so gRPC and HTTP/REST cannot drift.

Each case in CASES states its request and its expected outcome once; test_case runs it through
tritonclient.grpc, tritonclient.http with binary tensors and tritonclient.http with JSON tensors
(protocol x case). Further tests compare what the front ends report about the same server state
(metadata, config, readiness, repository index, statistics, error messages) field by field.

Needs OFFLOAD_GRPC_URL and OFFLOAD_HTTP_URL (see conftest.py) and examples/models.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pytest
import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient
from google.protobuf import json_format
from tritonclient.grpc import model_config_pb2 as mc
from tritonclient.utils import InferenceServerException

from interop_common import FLOAT_SUFFIXES, IDENTITY_TYPES, RPC_TIMEOUT_S, identity_data

PROTOCOLS = ("grpc", "http_binary", "http_json")
BINARY_PROTOCOLS = ("grpc", "http_binary")

# HTTP status -> the gRPC status code the same error must carry.
HTTP_TO_GRPC = {
    400: "INVALID_ARGUMENT",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    413: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    503: "UNAVAILABLE",
}


# ---------------------------------------------------------------------------
# the table
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """A request and its outcome: `expect` (output name -> exact array) or `error` (status + message)."""

    id: str
    model: str
    inputs: tuple  # ((name, datatype, array), ...)
    outputs: tuple[str, ...] | None = None  # requested outputs; None: all
    version: str = ""
    expect: dict = field(default_factory=dict)
    error: str | None = None  # gRPC status code name, e.g. "NOT_FOUND"
    message: tuple[str, ...] = ()  # fragments the error message must contain
    protocols: tuple[str, ...] = PROTOCOLS  # those that can carry the request


def _f32(seed: int, shape) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def _add_sub(case_id: str, batch: int, seed: int, outputs=None, version: str = "", model: str = "add_sub") -> Case:
    a, b = _f32(seed, (batch, 16)), _f32(seed + 1, (batch, 16))
    expect = {"OUTPUT0": a + b, "OUTPUT1": a - b}
    if outputs is not None:
        expect = {name: expect[name] for name in outputs}
    return Case(
        case_id,
        model,
        (("INPUT0", "FP32", a), ("INPUT1", "FP32", b)),
        outputs=outputs,
        version=version,
        expect=expect,
    )


def _identity(suffix: str, wire: str, np_dtype, *, json_safe: bool) -> Case:
    x = identity_data(suffix, np_dtype, np.random.default_rng(500 + len(suffix) * 7), json_safe=json_safe)
    return Case(
        f"identity_{suffix}" if json_safe else f"identity_{suffix}_specials",
        f"identity_{suffix}",
        (("INPUT0", wire, x),),
        expect={"OUTPUT0": x},
        protocols=PROTOCOLS if json_safe else BINARY_PROTOCOLS,
    )


def _error(case_id, model, inputs, error, *message, outputs=None, version="") -> Case:
    return Case(case_id, model, tuple(inputs), outputs=outputs, version=version, error=error, message=message)


ZEROS17 = np.zeros((1, 17), np.float32)
ONES16 = np.ones((1, 16), np.float32)

CASES = [
    # add_sub: batch sizes up to max_batch_size 8, output subsets, explicit version, completed config
    _add_sub("add_sub_batch1", 1, 10),
    _add_sub("add_sub_batch3", 3, 20),
    _add_sub("add_sub_batch8", 8, 30),
    _add_sub("add_sub_output1_only", 3, 40, outputs=("OUTPUT1",)),
    _add_sub("add_sub_output0_only", 2, 50, outputs=("OUTPUT0",)),
    _add_sub("add_sub_version1", 2, 60, version="1"),
    _add_sub("add_sub_partial", 4, 70, model="add_sub_partial"),
    # every datatype, values JSON can carry (full integer ranges, float extremes, UTF-8 text)
    *[_identity(s, w, t, json_safe=True) for s, w, _, t in IDENTITY_TYPES],
    # NaN, ±Inf, -0.0, invalid UTF-8, NULs: binary encodings only
    *[
        _identity(s, w, t, json_safe=False)
        for s, w, _, t in IDENTITY_TYPES
        if s in FLOAT_SUFFIXES or s == "bytes"
    ],
    Case(
        "identity_zero_elements",
        "identity_fp32",
        (("INPUT0", "FP32", np.zeros((2, 0), np.float32)),),
        expect={"OUTPUT0": np.zeros((2, 0), np.float32)},
    ),
    # errors: status and the words that make the message useful
    _error("unknown_model", "ghost_mlpp", [("features", "FP32", ZEROS17)], "NOT_FOUND",
           "ghost_mlpp", "did you mean", "'ghost_mlp'"),
    _error("unknown_version", "ghost_mlp", [("features", "FP32", ZEROS17)], "NOT_FOUND", "7", version="7"),
    _error("wrong_shape", "ghost_mlp", [("features", "FP32", np.zeros((2, 16), np.float32))],
           "INVALID_ARGUMENT", "features", "[2,16]"),
    _error("wrong_datatype", "ghost_mlp", [("features", "FP64", np.zeros((1, 17), np.float64))],
           "INVALID_ARGUMENT", "features", "FP64", "FP32"),
    _error("batch_too_large", "identity_fp32", [("INPUT0", "FP32", np.zeros((9, 3), np.float32))],
           "INVALID_ARGUMENT", "INPUT0", "9"),
    _error("unknown_input", "ghost_mlp", [("feature", "FP32", ZEROS17)], "INVALID_ARGUMENT",
           "'feature'", "did you mean", "'features'"),
    _error("missing_input", "add_sub", [("INPUT0", "FP32", ONES16)], "INVALID_ARGUMENT", "INPUT1"),
    _error("unknown_output", "add_sub", [("INPUT0", "FP32", ONES16), ("INPUT1", "FP32", ONES16)],
           "INVALID_ARGUMENT", "OUTPUT7", outputs=("OUTPUT7",)),
]  # fmt: skip

assert len({c.id for c in CASES}) == len(CASES), "case ids must be unique"
CASES_BY_ID = {c.id: c for c in CASES}
ERROR_CASES = [c for c in CASES if c.error]

# (protocol, case id) -> reason: server bugs; each mark is strict, so fixing the bug makes the test XPASS
# (fail) until the entry is removed.
KNOWN_BUGS: dict[tuple[str, str], str] = {}


def table_params():
    for case in CASES:
        for protocol in case.protocols:
            reason = KNOWN_BUGS.get((protocol, case.id))
            marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
            yield pytest.param(protocol, case, id=f"{protocol}-{case.id}", marks=marks)


# ---------------------------------------------------------------------------
# the front ends behind one interface
# ---------------------------------------------------------------------------


@dataclass
class Outcome:
    model_name: str
    model_version: str
    request_id: str
    outputs: dict  # name -> (datatype, shape, array with BYTES as bytes)


class Front:
    def __init__(self, protocol: str, grpc_client, http_client):
        self.protocol = protocol
        self.grpc = grpc_client
        self.http = http_client

    @property
    def is_grpc(self) -> bool:
        return self.protocol == "grpc"

    def infer(self, case: Case, request_id: str) -> Outcome:
        if self.is_grpc:
            inputs = []
            for name, datatype, array in case.inputs:
                inp = grpcclient.InferInput(name, list(array.shape), datatype)
                inp.set_data_from_numpy(array)
                inputs.append(inp)
            outputs = [grpcclient.InferRequestedOutput(n) for n in case.outputs] if case.outputs else None
            result = self.grpc.infer(
                case.model, inputs, model_version=case.version, outputs=outputs, request_id=request_id,
                client_timeout=RPC_TIMEOUT_S,
            )
            response = result.get_response()
            got = {
                o.name: (o.datatype, list(o.shape), normalize(result.as_numpy(o.name), o.datatype))
                for o in response.outputs
            }
            return Outcome(response.model_name, response.model_version, response.id, got)
        binary = self.protocol == "http_binary"
        inputs = []
        for name, datatype, array in case.inputs:
            inp = httpclient.InferInput(name, list(array.shape), datatype)
            # tritonclient.http sends BF16 only in binary.
            inp.set_data_from_numpy(array, binary_data=binary or datatype == "BF16")
            inputs.append(inp)
        names = case.outputs
        if names is None and case.error is None:
            # "All outputs" in the encoding under test: list them (tritonclient's default is all binary).
            names = [o["name"] for o in self.http.get_model_metadata(case.model, case.version)["outputs"]]
        outputs = [httpclient.InferRequestedOutput(n, binary_data=binary) for n in names] if names else None
        result = self.http.infer(
            case.model, inputs, model_version=case.version, outputs=outputs, request_id=request_id
        )
        response = result.get_response()
        got = {}
        for o in response["outputs"]:
            assert ("binary_data_size" in (o.get("parameters") or {})) == binary, o
            got[o["name"]] = (o["datatype"], list(o["shape"]), normalize(result.as_numpy(o["name"]), o["datatype"]))
        return Outcome(response["model_name"], response["model_version"], response.get("id", ""), got)

    def error_status(self, error: InferenceServerException) -> str:
        status = error.status() or ""
        if self.is_grpc:
            return status.removeprefix("StatusCode.")
        return HTTP_TO_GRPC.get(int(status), f"HTTP {status}") if status.isdigit() else status

    def metadata(self, model: str) -> dict:
        if self.is_grpc:
            md = self.grpc.get_model_metadata(model, client_timeout=RPC_TIMEOUT_S)

            def tensors(ts):
                return [(t.name, t.datatype, [int(d) for d in t.shape]) for t in ts]

            return {
                "name": md.name, "versions": list(md.versions), "platform": md.platform,
                "inputs": tensors(md.inputs), "outputs": tensors(md.outputs),
            }
        md = self.http.get_model_metadata(model)

        def tensors(ts):
            return [(t["name"], t["datatype"], list(t["shape"])) for t in ts]

        return {
            "name": md["name"], "versions": list(md.get("versions", [])), "platform": md.get("platform", ""),
            "inputs": tensors(md.get("inputs", [])), "outputs": tensors(md.get("outputs", [])),
        }

    def config(self, model: str) -> mc.ModelConfig:
        if self.is_grpc:
            return self.grpc.get_model_config(model, client_timeout=RPC_TIMEOUT_S).config
        # Strict parse: every field HTTP returns must be a ModelConfig field of the right type.
        return json_format.ParseDict(self.http.get_model_config(model), mc.ModelConfig(), ignore_unknown_fields=False)

    def ready(self, model: str, version: str = "") -> bool:
        if self.is_grpc:
            return self.grpc.is_model_ready(model, version, client_timeout=RPC_TIMEOUT_S)
        return self.http.is_model_ready(model, version)

    def server_metadata(self) -> dict:
        if self.is_grpc:
            md = self.grpc.get_server_metadata(client_timeout=RPC_TIMEOUT_S)
            return {"name": md.name, "version": md.version, "extensions": list(md.extensions)}
        md = self.http.get_server_metadata()
        return {"name": md["name"], "version": md["version"], "extensions": list(md["extensions"])}

    def repository_index(self) -> list:
        if self.is_grpc:
            index = self.grpc.get_model_repository_index(client_timeout=RPC_TIMEOUT_S)
            return sorted((m.name, m.version, m.state, m.reason) for m in index.models)
        return sorted(
            (m["name"], m.get("version", ""), m.get("state", ""), m.get("reason", ""))
            for m in self.http.get_model_repository_index()
        )

    def statistics(self, model: str) -> list:
        durations = ("success", "fail", "queue", "compute_input", "compute_infer", "compute_output")
        batch_durations = ("compute_input", "compute_infer", "compute_output")
        if self.is_grpc:
            stats = self.grpc.get_inference_statistics(model, client_timeout=RPC_TIMEOUT_S).model_stats

            def d(x):
                return (int(x.count), int(x.ns))

            return [
                {
                    "name": s.name, "version": s.version, "last_inference": int(s.last_inference),
                    "inference_count": int(s.inference_count), "execution_count": int(s.execution_count),
                    "inference_stats": {k: d(getattr(s.inference_stats, k)) for k in durations},
                    "batch_stats": sorted(
                        (int(b.batch_size), *(d(getattr(b, k)) for k in batch_durations)) for b in s.batch_stats
                    ),
                }
                for s in stats
            ]
        stats = self.http.get_inference_statistics(model)["model_stats"]

        def d(x):
            return (int(x.get("count", 0)), int(x.get("ns", 0)))

        return [
            {
                "name": s["name"], "version": s["version"], "last_inference": int(s.get("last_inference", 0)),
                "inference_count": int(s.get("inference_count", 0)),
                "execution_count": int(s.get("execution_count", 0)),
                "inference_stats": {k: d(s["inference_stats"].get(k, {})) for k in durations},
                "batch_stats": sorted(
                    (int(b["batch_size"]), *(d(b.get(k, {})) for k in batch_durations))
                    for b in s.get("batch_stats", [])
                ),
            }
            for s in stats
        ]


def normalize(array: np.ndarray | None, datatype: str) -> np.ndarray | None:
    """BYTES as bytes objects whichever way they came (gRPC/binary: bytes, JSON: str)."""
    if array is None or datatype != "BYTES":
        return array
    flat = [v.encode("utf-8") if isinstance(v, str) else bytes(v) for v in array.ravel()]
    return np.array(flat, dtype=np.object_).reshape(array.shape)


@pytest.fixture(scope="module")
def fronts(client, http_client) -> dict[str, Front]:
    return {p: Front(p, client, http_client) for p in PROTOCOLS}


def assert_exact(name: str, got: np.ndarray, want: np.ndarray) -> None:
    assert got is not None, f"{name} missing"
    assert got.shape == want.shape, (name, got.shape, want.shape)
    if want.dtype == np.object_:
        assert got.dtype == np.object_
        assert list(got.ravel()) == list(want.ravel()), name
        return
    assert got.dtype == want.dtype, (name, got.dtype, want.dtype)
    assert got.tobytes() == want.tobytes(), f"{name}\ngot:  {got!r}\nwant: {want!r}"


# ---------------------------------------------------------------------------
# protocol x case
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("protocol,case", list(table_params()))
def test_case(fronts, protocol, case):
    front = fronts[protocol]
    request_id = f"table-{protocol}-{case.id}"
    if case.error:
        with pytest.raises(InferenceServerException) as excinfo:
            front.infer(case, request_id)
        message = excinfo.value.message() or ""
        assert front.error_status(excinfo.value) == case.error, (excinfo.value.status(), message)
        for fragment in case.message:
            assert fragment in message, f"{fragment!r} not in {message!r}"
        # The front end still serves.
        outcome = front.infer(CASES_BY_ID["add_sub_batch1"], request_id + "-after")
        assert_exact("OUTPUT0", outcome.outputs["OUTPUT0"][2], CASES_BY_ID["add_sub_batch1"].expect["OUTPUT0"])
        return
    outcome = front.infer(case, request_id)
    assert outcome.model_name == case.model
    assert outcome.model_version == (case.version or "1")
    assert outcome.request_id == request_id
    assert sorted(outcome.outputs) == sorted(case.expect), outcome.outputs.keys()
    datatypes = {name: datatype for name, datatype, _ in case.inputs}
    for name, want in case.expect.items():
        datatype, shape, got = outcome.outputs[name]
        if case.model.startswith("identity_"):
            assert datatype == datatypes["INPUT0"], datatype
        assert shape == list(want.shape)
        assert_exact(name, got, want)


# ---------------------------------------------------------------------------
# the same server state, seen through each front end
# ---------------------------------------------------------------------------


def all_models(fronts) -> list[str]:
    return sorted({name for name, _, state, _ in fronts["grpc"].repository_index() if state == "READY"})


def test_error_messages_agree(fronts):
    """Each error case gives the same status and the very same message on every front end."""
    for case in ERROR_CASES:
        seen = {}
        for protocol in case.protocols:
            front = fronts[protocol]
            with pytest.raises(InferenceServerException) as excinfo:
                front.infer(case, "agree")
            seen[protocol] = (front.error_status(excinfo.value), excinfo.value.message())
        assert len(set(seen.values())) == 1, (case.id, seen)


def test_server_metadata_agrees(fronts):
    assert fronts["grpc"].server_metadata() == fronts["http_binary"].server_metadata()


def test_repository_index_agrees(fronts):
    assert fronts["grpc"].repository_index() == fronts["http_binary"].repository_index()


def test_model_metadata_agrees(fronts):
    models = all_models(fronts)
    assert {"add_sub", "ghost_mlp", "identity_bytes"} <= set(models)
    for model in models:
        grpc_md, http_md = fronts["grpc"].metadata(model), fronts["http_binary"].metadata(model)
        assert grpc_md == http_md, model
        assert grpc_md["name"] == model


def test_model_config_agrees(fronts):
    for model in all_models(fronts):
        grpc_cfg, http_cfg = fronts["grpc"].config(model), fronts["http_binary"].config(model)
        assert grpc_cfg == http_cfg, f"{model}\ngRPC:\n{grpc_cfg}\nHTTP:\n{http_cfg}"


def test_model_readiness_agrees(fronts):
    for model, version in [("add_sub", ""), ("add_sub", "1"), ("ghost_mlp", "7"), ("no_such_model", "")]:
        assert fronts["grpc"].ready(model, version) == fronts["http_binary"].ready(model, version), (model, version)


def test_metadata_error_agrees(fronts):
    seen = {}
    for protocol in ("grpc", "http_binary"):
        with pytest.raises(InferenceServerException) as excinfo:
            fronts[protocol].metadata("ghost_mlpp")
        seen[protocol] = (fronts[protocol].error_status(excinfo.value), excinfo.value.message())
    assert len(set(seen.values())) == 1, seen
    status, message = seen["grpc"]
    assert status == "NOT_FOUND" and "did you mean" in message and "'ghost_mlp'" in message, seen


def test_statistics_agree(fronts):
    """Requests through every front end land in the same counters, which both protocols report alike."""
    model = "identity_uint16"
    case = CASES_BY_ID["identity_uint16"]
    assert case.model == model
    sent = {"grpc": 2, "http_binary": 3, "http_json": 4}

    def success(stats):
        return sum(s["inference_stats"]["success"][0] for s in stats)

    # batch 9 > max_batch_size 8: rejected, and counted as one failure of the model
    too_large = replace(case, inputs=(("INPUT0", "UINT16", np.zeros((9, 2), np.uint16)),), expect={})

    def fail(stats):
        return sum(s["inference_stats"]["fail"][0] for s in stats)

    before = fronts["grpc"].statistics(model)
    assert before == fronts["http_binary"].statistics(model)
    for protocol, count in sent.items():
        for i in range(count):
            fronts[protocol].infer(case, f"stats-{protocol}-{i}")
        with pytest.raises(InferenceServerException):
            fronts[protocol].infer(too_large, f"stats-{protocol}-fail")
    after_grpc = fronts["grpc"].statistics(model)
    after_http = fronts["http_binary"].statistics(model)
    assert after_grpc == after_http
    assert success(after_grpc) - success(before) == sum(sent.values()), (before, after_grpc)
    assert fail(after_grpc) - fail(before) == len(sent), (before, after_grpc)
    assert sum(s["inference_count"] for s in after_grpc) - sum(s["inference_count"] for s in before) == \
        sum(sent.values()) * case.inputs[0][2].shape[0]
