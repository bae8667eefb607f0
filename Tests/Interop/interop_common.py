"""Shared data and helpers of the HTTP interop tests and the gRPC/HTTP protocol table.

Not a test module (pytest collects test_*.py only); conftest.py's directory is on sys.path, so the test
modules import it as `interop_common`.
"""

from __future__ import annotations

import http.client
import json
import os

import ml_dtypes
import numpy as np

# Same variable and default as conftest.py / test_tritonclient_grpc.py.
RPC_TIMEOUT_S = float(os.environ.get("OFFLOAD_GRPC_RPC_TIMEOUT", "60"))

# (model suffix, wire datatype, config data_type, numpy dtype)
IDENTITY_TYPES = [
    ("bool", "BOOL", "TYPE_BOOL", np.bool_),
    ("uint8", "UINT8", "TYPE_UINT8", np.uint8),
    ("uint16", "UINT16", "TYPE_UINT16", np.uint16),
    ("uint32", "UINT32", "TYPE_UINT32", np.uint32),
    ("uint64", "UINT64", "TYPE_UINT64", np.uint64),
    ("int8", "INT8", "TYPE_INT8", np.int8),
    ("int16", "INT16", "TYPE_INT16", np.int16),
    ("int32", "INT32", "TYPE_INT32", np.int32),
    ("int64", "INT64", "TYPE_INT64", np.int64),
    ("fp16", "FP16", "TYPE_FP16", np.float16),
    ("bf16", "BF16", "TYPE_BF16", ml_dtypes.bfloat16),
    ("fp32", "FP32", "TYPE_FP32", np.float32),
    ("fp64", "FP64", "TYPE_FP64", np.float64),
    ("bytes", "BYTES", "TYPE_STRING", np.object_),
]
IDENTITY_IDS = [t[0] for t in IDENTITY_TYPES]
FLOAT_SUFFIXES = ("fp16", "bf16", "fp32", "fp64")

EXPECTED_MODELS = [f"identity_{t[0]}" for t in IDENTITY_TYPES] + [
    "add_sub",
    "add_sub_partial",
    "ghost_mlp",
    "ghost_mlp_autocfg",
    "heavy_mlp",
]

# BYTES elements any encoding can carry: valid UTF-8 (JSON strings are Unicode).
UTF8_BYTES_VALUES = [
    b"",
    b"offload",
    "h\u00e9llo w\u00f6rld".encode("utf-8"),
    "\u65e5\u672c\u8a9e \u2603".encode("utf-8"),
    b"tab\tquote\"backslash\\",
    b"x" * 1000,
]
# ... plus what only a binary encoding carries: invalid UTF-8 and NULs.
BINARY_ONLY_BYTES_VALUES = [b"\xff\xfe\x80\x81", b"a\x00b"]


def identity_data(suffix: str, np_dtype, rng: np.random.Generator, *, json_safe: bool = False) -> np.ndarray:
    """A [2, 6] tensor that exercises the type's edge values.

    json_safe: only values the KServe JSON encoding can carry in standard JSON: no NaN/Inf, no -0.0,
    BYTES as valid UTF-8. Integers still span the whole range of the type.
    """
    shape = (2, 6)
    if suffix == "bytes":
        values = UTF8_BYTES_VALUES if json_safe else UTF8_BYTES_VALUES[:4] + BINARY_ONLY_BYTES_VALUES
        return np.array(values * 2, dtype=np.object_).reshape(shape)
    if suffix == "bool":
        return np.array([True, False, True, True, False, False] * 2, dtype=np.bool_).reshape(shape)
    if np.issubdtype(np.dtype(np_dtype), np.integer):
        info = np.iinfo(np_dtype)
        x = rng.integers(info.min, info.max, size=shape, dtype=np_dtype, endpoint=True)
        x.flat[:4] = [info.min, info.max, 0, info.max - 1]
        return x
    finfo = ml_dtypes.finfo(np_dtype)
    if json_safe:
        specials = [float(finfo.max), float(finfo.min), 1.0, -2.5, float(finfo.tiny)]
    else:
        specials = [np.inf, -np.inf, np.nan, -0.0, 1.0, -2.5]
    x = rng.standard_normal(shape[0] * shape[1]).astype(np.float64)
    x[: len(specials)] = specials
    x = x.astype(np_dtype).reshape(shape)
    x.flat[7] = finfo.smallest_subnormal
    return x


def assert_same_tensor(suffix: str, got: np.ndarray, want: np.ndarray, *, as_text: bool = False) -> None:
    """Exact comparison. Floats bitwise (NaN, -0.0, subnormals); BYTES as bytes, or as str when the
    tensor came back through JSON (tritonclient.http returns JSON BYTES data as str)."""
    assert got is not None, "output missing"
    assert got.shape == want.shape, (got.shape, want.shape)
    if suffix == "bytes":
        assert got.dtype == np.object_
        if as_text:
            assert [str(v) for v in got.ravel()] == [v.decode("utf-8") for v in want.ravel()]
        else:
            assert [bytes(v) for v in got.ravel()] == list(want.ravel())
        return
    assert got.dtype == np.dtype(want.dtype), (got.dtype, want.dtype)
    assert got.tobytes() == want.tobytes(), f"\ngot:  {got!r}\nwant: {want!r}"


# ---------------------------------------------------------------------------
# raw HTTP (the standard library, so the test controls every byte)
# ---------------------------------------------------------------------------


class RawResponse:
    def __init__(self, status: int, headers: dict[str, str], body: bytes):
        self.status = status
        self.headers = headers
        self.body = body

    def header(self, name: str) -> str | None:
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None

    def json(self):
        """The JSON part of the body (all of it unless Inference-Header-Content-Length says otherwise)."""
        length = self.header("Inference-Header-Content-Length")
        part = self.body if length is None else self.body[: int(length)]
        return json.loads(part)

    def __repr__(self) -> str:
        return f"HTTP {self.status} {self.headers} {self.body[:400]!r}"


def raw_request(http_url: str, method: str, path: str, body: bytes | None = None, headers=None) -> RawResponse:
    host, _, port = http_url.rpartition(":")
    connection = http.client.HTTPConnection(host.strip("[]"), int(port), timeout=RPC_TIMEOUT_S)
    try:
        connection.request(method, path, body=body, headers=dict(headers or {}))
        response = connection.getresponse()
        data = response.read()
        return RawResponse(response.status, dict(response.getheaders()), data)
    finally:
        connection.close()


def binary_infer_body(header: dict, *tensors: bytes) -> tuple[bytes, dict[str, str]]:
    """A body in Triton's binary tensor extension: JSON header, then the raw tensors."""
    head = json.dumps(header).encode()
    return head + b"".join(tensors), {
        "Inference-Header-Content-Length": str(len(head)),
        "Content-Type": "application/octet-stream",
    }
