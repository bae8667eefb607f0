#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (Fuzz/Corpus/<target>/), standard library only.

Every seed is a valid input that FuzzHarness accepts (Tests/FuzzRegressionTests checks it): the fixed models
of Fuzz/FuzzHarness/FuzzModels.swift for the gRPC and HTTP targets, configs the completer accepts for
FuzzModelConfig. Run it after changing a seed here; the output is deterministic.
"""

import gzip
import json
import pathlib
import shutil
import struct
import zlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPUS = ROOT / "Fuzz" / "Corpus"


# --- protobuf wire format (just what ModelInferRequest needs) ---------------------------------------------------

def varint(value):
    value &= (1 << 64) - 1  # negative int64 values are 10-byte two's complement
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def field(number, wire_type, payload):
    key = varint(number << 3 | wire_type)
    if wire_type == 0:
        return key + varint(payload)
    return key + varint(len(payload)) + payload  # wire type 2: length-delimited


def string(number, text):
    return field(number, 2, text.encode())


def packed(number, values, fmt=None):
    body = b"".join(struct.pack(fmt, v) for v in values) if fmt else b"".join(varint(v) for v in values)
    return field(number, 2, body)


def infer_parameter(kind, value):
    # InferParameter: bool_param 1, int64_param 2, string_param 3, double_param 4, uint64_param 5
    if kind == "bool":
        return field(1, 0, int(value))
    if kind == "int64":
        return field(2, 0, value)
    if kind == "string":
        return string(3, value)
    if kind == "double":
        return varint(4 << 3 | 1) + struct.pack("<d", value)  # wire type 1: 64-bit
    return field(5, 0, value)


def map_entry(number, key, parameter):
    return field(number, 2, string(1, key) + field(2, 2, parameter))


def input_tensor(name, datatype, shape, contents=None, parameters=()):
    # InferInputTensor: name 1, datatype 2, shape 3 (packed int64), parameters 4, contents 5
    body = string(1, name) + string(2, datatype) + packed(3, shape)
    for key, parameter in parameters:
        body += map_entry(4, key, parameter)
    if contents is not None:
        body += field(5, 2, contents)
    return body


def infer_request(model, inputs, raw=(), outputs=(), request_id="", parameters=()):
    # ModelInferRequest: model_name 1, model_version 2, id 3, parameters 4, inputs 5, outputs 6, raw_input_contents 7
    body = string(1, model) + string(2, "1")
    if request_id:
        body += string(3, request_id)
    for key, parameter in parameters:
        body += map_entry(4, key, parameter)
    for tensor in inputs:
        body += field(5, 2, tensor)
    for name in outputs:
        body += field(6, 2, string(1, name))
    for content in raw:
        body += field(7, 2, content)
    return body


def floats(values):
    return struct.pack(f"<{len(values)}f", *values)


def bytes_tensor(elements):
    return b"".join(struct.pack("<I", len(e)) + e for e in elements)


def grpc_seeds():
    fp32_raw = infer_request(
        "batched_fp32",
        [input_tensor("INPUT0", "FP32", [2, 4])],
        raw=[floats([1, 2, 3, 4, -1, -2, 0.5, 1e-3])],
        outputs=["OUTPUT0"],
        request_id="seed-1",
        parameters=[("priority", infer_parameter("int64", 1)), ("timeout", infer_parameter("int64", 1000))],
    )
    # InferTensorContents: fp32_contents 6 (packed float)
    fp32_typed = infer_request(
        "batched_fp32",
        [
            input_tensor("INPUT0", "FP32", [1, 4], contents=packed(6, [0.0, 1.5, -2.25, 3.0], "<f")),
            input_tensor("INPUT1", "FP32", [1, 3], contents=packed(6, [7.0, 8.0, 9.0], "<f")),
        ],
        outputs=["OUTPUT1", "OUTPUT0"],
    )
    bytes_raw = infer_request(
        "batched_bytes",
        [input_tensor("INPUT0", "BYTES", [1, 3], parameters=[("tag", infer_parameter("string", "x"))])],
        raw=[bytes_tensor([b"ab", b"", b"\xe2\x82\xac"])],
    )
    # bytes_contents 8 (repeated bytes, not packed)
    bytes_typed = infer_request(
        "batched_bytes",
        [input_tensor("INPUT0", "BYTES", [2, 1], contents=field(8, 2, b"hello") + field(8, 2, b"world"))],
        parameters=[("flag", infer_parameter("bool", True)), ("ratio", infer_parameter("double", 0.25))],
    )
    # int64_contents 3 (packed varint), bool_contents 1 (packed varint)
    int64_bool = infer_request(
        "unbatched_int64",
        [
            input_tensor("INPUT0", "INT64", [2, 3], contents=packed(3, [1, -2, 3, 1 << 40, 0, -(1 << 62)])),
            input_tensor("INPUT1", "BOOL", [1], contents=packed(1, [1])),
        ],
        outputs=["OUTPUT0"],
    )
    return {
        "fp32-raw": fp32_raw,
        "fp32-typed": fp32_typed,
        "bytes-raw": bytes_raw,
        "bytes-typed": bytes_typed,
        "int64-bool-typed": int64_bool,
    }


# --- HTTP bodies: first byte '0' (JSON only), '1' (2-byte header length), '2' (JSON, NUL, binary) ---------------

def http_seeds():
    def body(obj):
        return json.dumps(obj, separators=(",", ":")).encode()

    fp32 = body({
        "id": "seed-1",
        "inputs": [{"name": "INPUT0", "shape": [1, 4], "datatype": "FP32", "data": [1, 2.5, -3, 4e-3]}],
        "outputs": [{"name": "OUTPUT0"}],
    })
    nested = (
        b'{"inputs":[{"name":"INPUT0","shape":[2,4],"datatype":"FP32","data":[[1,NaN,Infinity,-Infinity],'
        b'[0,-0.0,1e30,2]]},{"name":"INPUT1","shape":[2,2],"datatype":"FP32","data":[1,2,3,4]}],'
        b'"parameters":{"binary_data_output":true},"outputs":[{"name":"OUTPUT1","parameters":{"binary_data":false}}]}'
    )
    strings = body({
        "inputs": [{"name": "INPUT0", "shape": [1, 3], "datatype": "BYTES", "data": ["a", "\u00e9\n", ""]}],
        "parameters": {"priority": 2, "timeout": 100, "note": "x", "ratio": 0.5, "flag": False},
    })
    int64_bool = body({
        "inputs": [
            {"name": "INPUT0", "shape": [2, 2], "datatype": "INT64", "data": [[1, -2], [9007199254740993, 0]]},
            {"name": "INPUT1", "shape": [1], "datatype": "BOOL", "data": [True]},
        ],
    })
    header = body({
        "inputs": [
            {"name": "INPUT0", "shape": [1, 4], "datatype": "FP32", "parameters": {"binary_data_size": 16}},
        ],
        "outputs": [{"name": "OUTPUT0", "parameters": {"binary_data": True}}],
    })
    binary_nul = b"2" + header + b"\0" + floats([1, 2, 3, 4])
    elements = bytes_tensor([b"abc", b"\x00\xff"])
    bytes_header = body({
        "inputs": [
            {"name": "INPUT0", "shape": [1, 2], "datatype": "BYTES", "parameters": {"binary_data_size": len(elements)}},
        ],
    })
    binary_length = b"1" + struct.pack("<H", len(bytes_header)) + bytes_header + elements
    return {
        "json-fp32": b"0" + fp32,
        "json-nested-nonfinite": b"0" + nested,
        "json-bytes-parameters": b"0" + strings,
        "json-int64-bool": b"0" + int64_bool,
        "binary-split-at-nul": binary_nul,
        "binary-header-length": binary_length,
    }


# --- config.pbtxt --------------------------------------------------------------------------------------------

EXAMPLES = ["add_sub", "add_sub_partial", "ghost_mlp_batched", "identity_bytes", "identity_bool"]

RICH_CONFIG = b"""name: "rich"
platform: "onnxruntime_onnx"
max_batch_size: 16
version_policy: { specific: { versions: [ 1, 3 ] } }
input [
  { name: "x" data_type: TYPE_FP16 dims: [ -1, 3 ] },
  { name: "mask" data_type: TYPE_BOOL dims: [ 2 ] optional: true },
  { name: "ids" data_type: TYPE_INT32 dims: [ 4 ] reshape: { shape: [ 2, 2 ] } }
]
output [ { name: "y" data_type: TYPE_FP32 dims: [ 1 ] } ]
instance_group [ { count: 2 kind: KIND_CPU }, { name: "extra" kind: KIND_AUTO } ]
dynamic_batching {
  preferred_batch_size: [ 4, 8 ]
  max_queue_delay_microseconds: 500
  preserve_ordering: true
  priority_levels: 2
  default_priority_level: 2
  default_queue_policy { timeout_action: DELAY default_timeout_microseconds: 1000 max_queue_size: 8 }
  priority_queue_policy { key: 1 value { allow_timeout_override: true max_queue_size: 4 } }
}
parameters { key: "note" value { string_value: "seed" } }
"""


def config_seeds():
    seeds = {name: (ROOT / "examples" / "models" / name / "config.pbtxt").read_bytes() for name in EXAMPLES}
    seeds["deepmet_toy"] = (ROOT / "models" / "deepmet_toy" / "config.pbtxt").read_bytes()
    seeds["rich"] = RICH_CONFIG
    return seeds


def grpc_message(payload, compressed=False):
    """gRPC's length-prefixed message: a compressed flag and a 4-byte big-endian length."""
    return bytes([1 if compressed else 0]) + struct.pack(">I", len(payload)) + payload


def grpc_stream_seeds():
    """FuzzGRPCStream: a control byte (bit 0 gzip, bit 1 deflate, upper 6 bits + 1 = DATA frame size), then a
    request stream. Each ModelInferRequest seed twice in 7-byte frames, and compressed ones."""
    seeds = {}
    for name, message in grpc_seeds().items():
        seeds[f"{name}-identity"] = bytes([6 << 2]) + grpc_message(message) * 2
    message = grpc_seeds()["fp32-raw"]
    seeds["fp32-raw-gzip"] = bytes([1 | (63 << 2)]) + grpc_message(gzip.compress(message, mtime=0), True)
    seeds["fp32-raw-deflate"] = bytes([2 | (3 << 2)]) + grpc_message(zlib.compress(message), True)
    return seeds


def write(target, seeds):
    directory = CORPUS / target
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    for name, data in seeds.items():
        (directory / name).write_bytes(data)
    print(f"{directory.relative_to(ROOT)}: {len(seeds)} seeds")


if __name__ == "__main__":
    write("FuzzGRPCInferRequest", grpc_seeds())
    write("FuzzGRPCStream", grpc_stream_seeds())
    write("FuzzHTTPInfer", http_seeds())
    write("FuzzModelConfig", config_seeds())
