#!/usr/bin/env python3
"""Generate Offload's example Triton model repository (examples/models/).

Everything here is deterministic: fixed seeds, no timestamps, deterministic
protobuf serialization. Running the script twice yields byte-identical files.

Usage (from the repository root, after dev/python-env.sh):

    .venv/bin/python dev/make-example-models.py            # (re)write examples/models
    .venv/bin/python dev/make-example-models.py --check    # fail if files on disk differ
    .venv/bin/python dev/make-example-models.py --out DIR  # write elsewhere

Generation needs only numpy and onnx. Afterwards every model is loaded and run
in onnxruntime (CPU) against a numpy reference, unless --no-verify is given.
"""

from __future__ import annotations

import argparse
import filecmp
import hashlib
import math
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
IR_VERSION = 8  # the IR version that goes with opset 17; any ORT >= 1.14 loads it
PRODUCER = "offload/dev/make-example-models.py"
PRODUCER_VERSION = "1"

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO_ROOT / "examples" / "models"


@dataclass(frozen=True)
class DType:
    suffix: str  # model name suffix: identity_<suffix>
    onnx_type: int  # TensorProto.DataType
    triton: str  # config.pbtxt data_type
    wire: str  # datatype in model metadata and inference requests/responses


# Every Triton datatype the ONNX Runtime backend can carry.
IDENTITY_TYPES = [
    DType("bool", TensorProto.BOOL, "TYPE_BOOL", "BOOL"),
    DType("uint8", TensorProto.UINT8, "TYPE_UINT8", "UINT8"),
    DType("uint16", TensorProto.UINT16, "TYPE_UINT16", "UINT16"),
    DType("uint32", TensorProto.UINT32, "TYPE_UINT32", "UINT32"),
    DType("uint64", TensorProto.UINT64, "TYPE_UINT64", "UINT64"),
    DType("int8", TensorProto.INT8, "TYPE_INT8", "INT8"),
    DType("int16", TensorProto.INT16, "TYPE_INT16", "INT16"),
    DType("int32", TensorProto.INT32, "TYPE_INT32", "INT32"),
    DType("int64", TensorProto.INT64, "TYPE_INT64", "INT64"),
    DType("fp16", TensorProto.FLOAT16, "TYPE_FP16", "FP16"),
    DType("bf16", TensorProto.BFLOAT16, "TYPE_BF16", "BF16"),
    DType("fp32", TensorProto.FLOAT, "TYPE_FP32", "FP32"),
    DType("fp64", TensorProto.DOUBLE, "TYPE_FP64", "FP64"),
    DType("bytes", TensorProto.STRING, "TYPE_STRING", "BYTES"),
]

GHOST_LAYERS = [17, 25, 20, 1]
GHOST_SEED = 20_170_101
HEAVY_IN, HEAVY_HIDDEN, HEAVY_DEPTH, HEAVY_OUT = 256, 512, 4, 16
HEAVY_SEED = 20_250_512
ADD_SUB_WIDTH = 16

# ---------------------------------------------------------------------------
# ONNX building helpers
# ---------------------------------------------------------------------------


def batched(name: str, elem_type: int, *dims: int | str) -> onnx.ValueInfoProto:
    """Tensor value info with a symbolic leading batch dimension."""
    return helper.make_tensor_value_info(name, elem_type, ["batch", *dims])


def finish_model(graph: onnx.GraphProto, doc: str) -> onnx.ModelProto:
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        ir_version=IR_VERSION,
        producer_name=PRODUCER,
        producer_version=PRODUCER_VERSION,
        doc_string=doc,
    )
    onnx.checker.check_model(model, full_check=True)
    return model


def model_bytes(model: onnx.ModelProto) -> bytes:
    return model.SerializeToString(deterministic=True)


def f32_init(name: str, array: np.ndarray) -> onnx.TensorProto:
    return numpy_helper.from_array(np.ascontiguousarray(array, dtype=np.float32), name)


def i64_scalar(name: str, value: int) -> onnx.TensorProto:
    return numpy_helper.from_array(np.array(value, dtype=np.int64), name)


def f32_scalar(name: str, value: float) -> onnx.TensorProto:
    return numpy_helper.from_array(np.array(value, dtype=np.float32), name)


# ---------------------------------------------------------------------------
# Models
# ---------------------------------------------------------------------------


def make_identity(dt: DType) -> onnx.ModelProto:
    graph = helper.make_graph(
        [helper.make_node("Identity", ["INPUT0"], ["OUTPUT0"], name="identity")],
        f"identity_{dt.suffix}",
        [batched("INPUT0", dt.onnx_type, "n")],
        [batched("OUTPUT0", dt.onnx_type, "n")],
    )
    return finish_model(graph, f"OUTPUT0 = INPUT0 ({dt.triton}), shape [batch, n].")


def make_add_sub() -> onnx.ModelProto:
    graph = helper.make_graph(
        [
            helper.make_node("Add", ["INPUT0", "INPUT1"], ["OUTPUT0"], name="add"),
            helper.make_node("Sub", ["INPUT0", "INPUT1"], ["OUTPUT1"], name="sub"),
        ],
        "add_sub",
        [
            batched("INPUT0", TensorProto.FLOAT, ADD_SUB_WIDTH),
            batched("INPUT1", TensorProto.FLOAT, ADD_SUB_WIDTH),
        ],
        [
            batched("OUTPUT0", TensorProto.FLOAT, ADD_SUB_WIDTH),
            batched("OUTPUT1", TensorProto.FLOAT, ADD_SUB_WIDTH),
        ],
    )
    return finish_model(graph, "OUTPUT0 = INPUT0 + INPUT1, OUTPUT1 = INPUT0 - INPUT1 (FP32 [batch, 16]).")


def ghost_weights() -> list[tuple[np.ndarray, np.ndarray]]:
    """He-uniform weights ([fan_in, fan_out]) and small biases for the ghost MLP.

    Only Generator.random() (plain uniform doubles from PCG64) is used, whose
    stream numpy keeps stable across releases.
    """
    rng = np.random.Generator(np.random.PCG64(GHOST_SEED))
    layers = []
    for fan_in, fan_out in zip(GHOST_LAYERS[:-1], GHOST_LAYERS[1:]):
        limit = math.sqrt(6.0 / fan_in)
        w = ((rng.random((fan_in, fan_out)) * 2.0 - 1.0) * limit).astype(np.float32)
        b = ((rng.random(fan_out) * 2.0 - 1.0) * 0.05).astype(np.float32)
        layers.append((w, b))
    return layers


def make_ghost_mlp() -> onnx.ModelProto:
    nodes, inits = [], []
    layers = ghost_weights()
    current = "features"
    for i, (w, b) in enumerate(layers):
        inits += [f32_init(f"fc{i}.weight", w), f32_init(f"fc{i}.bias", b)]
        gemm_out = f"fc{i}.out"
        nodes.append(helper.make_node("Gemm", [current, f"fc{i}.weight", f"fc{i}.bias"], [gemm_out], name=f"fc{i}"))
        last = i == len(layers) - 1
        act_out = "ghost_prob" if last else f"act{i}.out"
        nodes.append(helper.make_node("Sigmoid" if last else "Relu", [gemm_out], [act_out], name=f"act{i}"))
        current = act_out
    graph = helper.make_graph(
        nodes,
        "ghost_mlp",
        [batched("features", TensorProto.FLOAT, GHOST_LAYERS[0])],
        [batched("ghost_prob", TensorProto.FLOAT, 1)],
        initializer=inits,
    )
    return finish_model(
        graph,
        "LHCb ghost-track classifier shape: 17 -> 25 ReLU -> 20 ReLU -> 1 Sigmoid. "
        f"Untrained He-uniform weights (PCG64 seed {GHOST_SEED}).",
    )


# heavy_mlp weights (~926k parameters) would make a ~3.7 MB file, so the graph
# computes them from a counter with an integer hash instead of storing them.
# All inputs of that subgraph are constants, so onnxruntime folds it into plain
# initializers when the session is created; inference then runs only
# Gemm + Relu. Integer arithmetic makes the weights exact and platform
# independent; heavy_weight_numpy() reproduces them for verification.
HASH_MOD = 2_147_483_647  # 2^31 - 1; every product below stays < 2^63
HASH_STEPS = [  # u = (u * a + c) mod M, with a = None meaning u * u
    (1_103_515_245, 12_345),
    (None, 7),
    (48_271, 0),
    (None, 11),
    (16_807, 0),
]


def heavy_layer_dims() -> list[tuple[int, int]]:
    dims = [HEAVY_IN] + [HEAVY_HIDDEN] * HEAVY_DEPTH + [HEAVY_OUT]
    return list(zip(dims[:-1], dims[1:]))


def heavy_weight_numpy(layer: int, fan_in: int, fan_out: int) -> np.ndarray:
    u = np.arange(fan_in * fan_out, dtype=np.int64) + np.int64(HEAVY_SEED + layer * 1_000_003)
    for a, c in HASH_STEPS:
        u = ((u * u if a is None else u * np.int64(a)) + np.int64(c)) % np.int64(HASH_MOD)
    scale = np.float32(2.0 / HASH_MOD)
    limit = np.float32(math.sqrt(6.0 / fan_in))
    w = (u.astype(np.float32) * scale - np.float32(1.0)) * limit
    return w.reshape(fan_in, fan_out)


def heavy_bias(fan_out: int, layer: int) -> np.ndarray:
    rng = np.random.Generator(np.random.PCG64(HEAVY_SEED + layer))
    return ((rng.random(fan_out) * 2.0 - 1.0) * 0.01).astype(np.float32)


def make_heavy_mlp() -> onnx.ModelProto:
    nodes, inits = [], []
    inits += [
        i64_scalar("hash.zero", 0),
        i64_scalar("hash.one", 1),
        i64_scalar("hash.mod", HASH_MOD),
        f32_scalar("hash.scale", 2.0 / HASH_MOD),
        f32_scalar("hash.one_f", 1.0),
    ]
    for step, (a, c) in enumerate(HASH_STEPS):
        if a is not None:
            inits.append(i64_scalar(f"hash.a{step}", a))
        inits.append(i64_scalar(f"hash.c{step}", c))

    current = "x"
    layers = heavy_layer_dims()
    for i, (fan_in, fan_out) in enumerate(layers):
        p = f"fc{i}"
        inits += [
            i64_scalar(f"{p}.count", fan_in * fan_out),
            i64_scalar(f"{p}.offset", HEAVY_SEED + i * 1_000_003),
            numpy_helper.from_array(np.array([fan_in, fan_out], dtype=np.int64), f"{p}.shape"),
            f32_scalar(f"{p}.limit", math.sqrt(6.0 / fan_in)),
            f32_init(f"{p}.bias", heavy_bias(fan_out, i)),
        ]
        nodes += [
            helper.make_node("Range", ["hash.zero", f"{p}.count", "hash.one"], [f"{p}.idx"]),
            helper.make_node("Add", [f"{p}.idx", f"{p}.offset"], [f"{p}.u"]),
        ]
        u = f"{p}.u"
        for step, (a, c) in enumerate(HASH_STEPS):
            mul = f"{p}.s{step}.mul"
            nodes.append(helper.make_node("Mul", [u, u if a is None else f"hash.a{step}"], [mul]))
            nodes.append(helper.make_node("Add", [mul, f"hash.c{step}"], [f"{p}.s{step}.add"]))
            nodes.append(helper.make_node("Mod", [f"{p}.s{step}.add", "hash.mod"], [f"{p}.s{step}"], fmod=0))
            u = f"{p}.s{step}"
        nodes += [
            helper.make_node("Cast", [u], [f"{p}.uf"], to=TensorProto.FLOAT),
            helper.make_node("Mul", [f"{p}.uf", "hash.scale"], [f"{p}.unit"]),
            helper.make_node("Sub", [f"{p}.unit", "hash.one_f"], [f"{p}.sym"]),
            helper.make_node("Mul", [f"{p}.sym", f"{p}.limit"], [f"{p}.flat"]),
            helper.make_node("Reshape", [f"{p}.flat", f"{p}.shape"], [f"{p}.weight"]),
        ]
        last = i == len(layers) - 1
        out = "y" if last else f"{p}.out"
        nodes.append(helper.make_node("Gemm", [current, f"{p}.weight", f"{p}.bias"], [out], name=p))
        if not last:
            nodes.append(helper.make_node("Relu", [out], [f"{p}.relu"], name=f"relu{i}"))
            out = f"{p}.relu"
        current = out

    graph = helper.make_graph(
        nodes,
        "heavy_mlp",
        [batched("x", TensorProto.FLOAT, HEAVY_IN)],
        [batched("y", TensorProto.FLOAT, HEAVY_OUT)],
        initializer=inits,
    )
    return finish_model(
        graph,
        f"Throughput benchmark MLP: {HEAVY_IN} -> {HEAVY_DEPTH} x {HEAVY_HIDDEN} ReLU -> {HEAVY_OUT}. "
        "Weights are generated in-graph from an integer hash (constant-folded by onnxruntime at load).",
    )


def make_sequence_accumulator() -> onnx.ModelProto:
    # A stateful model for the sequence batcher: the server feeds STATE_IN (implicit state, the previous
    # STATE_OUT of the same sequence) and CORRID (the sequence id); clients send INPUT only.
    graph = helper.make_graph(
        [
            helper.make_node("Add", ["INPUT", "STATE_IN"], ["OUTPUT"], name="accumulate"),
            helper.make_node("Identity", ["OUTPUT"], ["STATE_OUT"], name="next_state"),
            helper.make_node("Cast", ["CORRID"], ["SEQUENCE"], name="sequence_id", to=TensorProto.FLOAT),
        ],
        "sequence_accumulator",
        [
            batched("INPUT", TensorProto.FLOAT, 1),
            batched("STATE_IN", TensorProto.FLOAT, 1),
            batched("CORRID", TensorProto.UINT64, 1),
        ],
        [
            batched("OUTPUT", TensorProto.FLOAT, 1),
            batched("STATE_OUT", TensorProto.FLOAT, 1),
            batched("SEQUENCE", TensorProto.FLOAT, 1),
        ],
    )
    return finish_model(
        graph, "OUTPUT = INPUT + STATE_IN (running sum per sequence), STATE_OUT = OUTPUT, SEQUENCE = CORRID (FP32 [batch, 1])."
    )


# ---------------------------------------------------------------------------
# config.pbtxt writers
# ---------------------------------------------------------------------------


def tensor_block(kind: str, tensors: list[tuple[str, str, list[int]]]) -> str:
    entries = []
    for name, dtype, dims in tensors:
        entries.append(
            "  {\n"
            f'    name: "{name}"\n'
            f"    data_type: {dtype}\n"
            f"    dims: [ {', '.join(str(d) for d in dims)} ]\n"
            "  }"
        )
    return f"{kind} [\n" + ",\n".join(entries) + "\n]\n"


def identity_config(dt: DType) -> str:
    return (
        f'name: "identity_{dt.suffix}"\n'
        'platform: "onnxruntime_onnx"\n'
        "max_batch_size: 8\n"
        + tensor_block("input", [("INPUT0", dt.triton, [-1])])
        + tensor_block("output", [("OUTPUT0", dt.triton, [-1])])
    )


def add_sub_config(name: str = "add_sub", cached: bool = False) -> str:
    w = [ADD_SUB_WIDTH]
    return (
        f'name: "{name}"\n'
        'backend: "onnxruntime"\n'
        "max_batch_size: 8\n"
        + tensor_block("input", [("INPUT0", "TYPE_FP32", w), ("INPUT1", "TYPE_FP32", w)])
        + tensor_block("output", [("OUTPUT0", "TYPE_FP32", w), ("OUTPUT1", "TYPE_FP32", w)])
        + ("response_cache {\n  enable: true\n}\n" if cached else "")
    )


def add_sub_ensemble_config() -> str:
    # Two add_sub steps: (a, b) -> (a + b, a - b) = (SUM, diff) -> (SUM + diff, SUM - diff) = (2a, 2b).
    # SUM is both an ensemble output and the second step's input.
    w = [ADD_SUB_WIDTH]
    step = (
        "    {{\n"
        '      model_name: "add_sub"\n'
        "      model_version: -1\n"
        '      input_map {{ key: "INPUT0" value: "{a}" }}\n'
        '      input_map {{ key: "INPUT1" value: "{b}" }}\n'
        '      output_map {{ key: "OUTPUT0" value: "{s}" }}\n'
        '      output_map {{ key: "OUTPUT1" value: "{d}" }}\n'
        "    }}"
    )
    return (
        'name: "add_sub_ensemble"\n'
        'platform: "ensemble"\n'
        "max_batch_size: 8\n"
        + tensor_block("input", [("INPUT0", "TYPE_FP32", w), ("INPUT1", "TYPE_FP32", w)])
        + tensor_block("output", [("OUTPUT0", "TYPE_FP32", w), ("OUTPUT1", "TYPE_FP32", w), ("SUM", "TYPE_FP32", w)])
        + "ensemble_scheduling {\n  step [\n"
        + step.format(a="INPUT0", b="INPUT1", s="SUM", d="diff")
        + ",\n"
        + step.format(a="SUM", b="diff", s="OUTPUT0", d="OUTPUT1")
        + "\n  ]\n}\n"
    )


def sequence_accumulator_config() -> str:
    return (
        'name: "sequence_accumulator"\n'
        'backend: "onnxruntime"\n'
        "max_batch_size: 8\n"
        + tensor_block("input", [("INPUT", "TYPE_FP32", [1])])
        + tensor_block("output", [("OUTPUT", "TYPE_FP32", [1]), ("SEQUENCE", "TYPE_FP32", [1])])
        + "sequence_batching {\n"
        "  max_sequence_idle_microseconds: 10000000\n"
        "  control_input [\n"
        '    { name: "CORRID" control [ { kind: CONTROL_SEQUENCE_CORRID data_type: TYPE_UINT64 } ] }\n'
        "  ]\n"
        "  state [\n"
        "    {\n"
        '      input_name: "STATE_IN"\n'
        '      output_name: "STATE_OUT"\n'
        "      data_type: TYPE_FP32\n"
        "      dims: [ 1 ]\n"
        '      initial_state { name: "zero" data_type: TYPE_FP32 dims: [ 1 ] zero_data: true }\n'
        "    }\n"
        "  ]\n"
        "}\n"
    )


def add_sub_partial_config() -> str:
    # Deliberately incomplete: inputs/outputs must be completed from the model.
    return 'backend: "onnxruntime"\nmax_batch_size: 8\n'


def ghost_mlp_config(name: str = "ghost_mlp", batching: bool = False) -> str:
    return (
        f'name: "{name}"\n'
        'platform: "onnxruntime_onnx"\n'
        'backend: "onnxruntime"\n'
        "max_batch_size: 4096\n"
        + tensor_block("input", [("features", "TYPE_FP32", [GHOST_LAYERS[0]])])
        + tensor_block("output", [("ghost_prob", "TYPE_FP32", [1])])
        + "instance_group [\n  {\n    count: 1\n    kind: KIND_CPU\n  }\n]\n"
        + ("dynamic_batching {\n  max_queue_delay_microseconds: 100\n}\n" if batching else "")
    )


def heavy_mlp_config(name: str = "heavy_mlp", instances: int = 1) -> str:
    return (
        f'name: "{name}"\n'
        'platform: "onnxruntime_onnx"\n'
        "max_batch_size: 4096\n"
        + tensor_block("input", [("x", "TYPE_FP32", [HEAVY_IN])])
        + tensor_block("output", [("y", "TYPE_FP32", [HEAVY_OUT])])
        + f"instance_group [\n  {{\n    count: {instances}\n    kind: KIND_CPU\n  }}\n]\n"
    )


# ---------------------------------------------------------------------------
# Repository assembly
# ---------------------------------------------------------------------------


def build_repository() -> dict[str, tuple[bytes | None, str | None]]:
    """model name -> (model.onnx bytes or None for an ensemble, config.pbtxt text or None)."""
    repo: dict[str, tuple[bytes | None, str | None]] = {}
    for dt in IDENTITY_TYPES:
        repo[f"identity_{dt.suffix}"] = (model_bytes(make_identity(dt)), identity_config(dt))
    add_sub = model_bytes(make_add_sub())
    repo["add_sub"] = (add_sub, add_sub_config())
    repo["add_sub_partial"] = (add_sub, add_sub_partial_config())
    repo["add_sub_cached"] = (add_sub, add_sub_config("add_sub_cached", cached=True))
    repo["add_sub_ensemble"] = (None, add_sub_ensemble_config())
    repo["sequence_accumulator"] = (model_bytes(make_sequence_accumulator()), sequence_accumulator_config())
    ghost = model_bytes(make_ghost_mlp())
    repo["ghost_mlp"] = (ghost, ghost_mlp_config())
    repo["ghost_mlp_batched"] = (ghost, ghost_mlp_config("ghost_mlp_batched", batching=True))
    repo["ghost_mlp_autocfg"] = (ghost, None)
    heavy = model_bytes(make_heavy_mlp())
    repo["heavy_mlp"] = (heavy, heavy_mlp_config())
    repo["heavy_mlp_2x"] = (heavy, heavy_mlp_config("heavy_mlp_2x", instances=2))
    return repo


def write_repository(repo: dict[str, tuple[bytes | None, str | None]], out: Path) -> None:
    for name, (onnx_bytes, config) in repo.items():
        model_dir = out / name
        (model_dir / "1").mkdir(parents=True, exist_ok=True)
        if onnx_bytes is None:
            # An ensemble's version directory holds no model file; git keeps no empty directory.
            (model_dir / "1" / ".gitkeep").write_bytes(b"")
        else:
            (model_dir / "1" / "model.onnx").write_bytes(onnx_bytes)
        config_path = model_dir / "config.pbtxt"
        if config is None:
            config_path.unlink(missing_ok=True)
        else:
            config_path.write_text(config, encoding="utf-8", newline="\n")
    (out / "README.md").write_text(readme(repo), encoding="utf-8", newline="\n")


def readme(repo: dict[str, tuple[bytes | None, str | None]]) -> str:
    dtype_rows = "\n".join(
        f"| `identity_{dt.suffix}` | `{dt.triton}` | `{dt.wire}` | `{TensorProto.DataType.Name(dt.onnx_type)}` |"
        for dt in IDENTITY_TYPES
    )
    digests = "\n".join(
        f"| `{name}/1/model.onnx` | {len(data)} | `{hashlib.sha256(data).hexdigest()[:16]}` |"
        for name, (data, _) in sorted(repo.items())
        if data is not None
    )
    return f"""# Example model repository

Triton-layout model repository (`<model>/config.pbtxt`, `<model>/1/model.onnx`)
used by Offload's tests, examples and benchmarks. **Generated — do not edit by
hand**; regenerate from the repository root with:

```sh
dev/python-env.sh                                   # creates .venv (once)
.venv/bin/python dev/make-example-models.py         # rewrites examples/models
.venv/bin/python dev/make-example-models.py --check # exits 1 if the files drift
```

The generator is deterministic (fixed seeds, no timestamps, deterministic
protobuf serialization): the same pinned packages produce the same bytes.
All graphs use ONNX opset {OPSET}, IR version {IR_VERSION}, and a symbolic leading
`batch` dimension.

## Models

| model | inputs | outputs | config |
| --- | --- | --- | --- |
| `identity_<type>` (14 models) | `INPUT0` [batch, n] | `OUTPUT0` [batch, n] = `INPUT0` | `platform: "onnxruntime_onnx"`, `max_batch_size: 8`, dims `[ -1 ]` |
| `add_sub` | `INPUT0`, `INPUT1` FP32 [batch, 16] | `OUTPUT0` = INPUT0 + INPUT1, `OUTPUT1` = INPUT0 − INPUT1, FP32 [batch, 16] | `backend: "onnxruntime"`, `max_batch_size: 8`, complete |
| `add_sub_partial` | same model as `add_sub` | same | only `backend` and `max_batch_size: 8`; inputs/outputs must be completed from the model |
| `add_sub_cached` | same model as `add_sub` | same | as `add_sub` plus `response_cache {{ enable: true }}` (cached when the server has `--cache-config local,size=…`) |
| `sequence_accumulator` | `INPUT` FP32 [batch, 1] | `OUTPUT` = running sum of the sequence's INPUTs, `SEQUENCE` = its sequence id, FP32 [batch, 1] | `sequence_batching` (direct): implicit state `STATE_IN`/`STATE_OUT` (zeros at a start), control `CORRID` (UINT64); the model's `STATE_IN`, `CORRID`, `STATE_OUT` are fed by the server |
| `add_sub_ensemble` | `INPUT0`, `INPUT1` FP32 [batch, 16] | `OUTPUT0` = 2·INPUT0, `OUTPUT1` = 2·INPUT1, `SUM` = INPUT0 + INPUT1 | `platform: "ensemble"`: `add_sub` twice, the second on the first's outputs; `1/` holds only `.gitkeep` |
| `ghost_mlp` | `features` FP32 [batch, 17] | `ghost_prob` FP32 [batch, 1] | complete, `max_batch_size: 4096`, `platform` and `backend`, CPU instance group |
| `heavy_mlp_2x` | same model as `heavy_mlp` | same | as `heavy_mlp` with `instance_group {{ count: 2 }}` |
| `ghost_mlp_batched` | same model as `ghost_mlp` | same | as `ghost_mlp` plus `dynamic_batching {{ max_queue_delay_microseconds: 100 }}` |
| `ghost_mlp_autocfg` | same model as `ghost_mlp` | same | **no `config.pbtxt`**: the whole configuration comes from the model |
| `heavy_mlp` | `x` FP32 [batch, 256] | `y` FP32 [batch, 16] | complete, `max_batch_size: 4096` |

`ghost_mlp` has the LHCb ghost-track classifier's shape:
17 → Gemm 25 + ReLU → Gemm 20 + ReLU → Gemm 1 + Sigmoid. Its weights are
untrained He-uniform draws (PCG64 seed {GHOST_SEED}), not the trained network.

`heavy_mlp` is a throughput benchmark: {HEAVY_IN} → {HEAVY_DEPTH} × (Gemm {HEAVY_HIDDEN} + ReLU) → Gemm {HEAVY_OUT},
about 0.93 M parameters (~1.9 MFLOP per row). Stored as float32 those weights
would take 3.7 MB, so the graph *computes* them from an integer hash of the
element index (Range → Mul/Add/Mod in int64 → Cast → scale). Every input of
that subgraph is constant, so onnxruntime's constant folding (enabled at its
default graph optimization level) turns it into ordinary initializers while
the session is created; inference runs only Gemm + ReLU. With graph
optimizations disabled the weights would be recomputed on every run.

### Identity datatypes

| model | config `data_type` | wire datatype | ONNX type |
| --- | --- | --- | --- |
{dtype_rows}

Notes:

- `identity_bf16`: onnxruntime runs it, but its Python API has no numpy
  bfloat16 mapping; feed/read it through `OrtValue.ortvalue_from_numpy_with_onnx_type`
  on a `uint16` view (see `verify()` in the generator). The pinned `tritonclient` sends and
  returns BF16 as `ml_dtypes.bfloat16` arrays (no float32 truncation).
- `identity_bytes`: ONNX `STRING` tensors. Elements are arbitrary bytes
  (Triton BYTES framing: 4-byte little-endian length + data). In onnxruntime's
  C API, `FillStringTensor`/`FillStringTensorElement` take NUL-terminated C
  strings and would cut elements at an embedded NUL; `GetResizedStringTensorElementBuffer`
  (write) and `GetStringTensorContent` (read) carry exact lengths. onnxruntime's
  Python binding converts objects with `str()`, so non-UTF-8 bytes cannot be
  fed from Python ORT directly.

## Files

| file | bytes | sha256 (first 16 hex) |
| --- | --- | --- |
{digests}
"""


# ---------------------------------------------------------------------------
# Verification with onnxruntime
# ---------------------------------------------------------------------------


def verify(out: Path) -> None:
    import ml_dtypes
    import onnxruntime as ort

    def session(name: str) -> "ort.InferenceSession":
        return ort.InferenceSession(str(out / name / "1" / "model.onnx"), providers=["CPUExecutionProvider"])

    rng = np.random.Generator(np.random.PCG64(7))
    for dt in IDENTITY_TYPES:
        name = f"identity_{dt.suffix}"
        sess = session(name)
        if dt.suffix == "bytes":
            # Python ORT only round-trips text (it str()s objects).
            x = np.array([["", "abc", "h\u00e9llo"], ["\u65e5\u672c", "z", "0123456789" * 10]], dtype=object)
            y = sess.run(["OUTPUT0"], {"INPUT0": x})[0]
            ok = y.shape == x.shape and all(a == b for a, b in zip(x.ravel(), y.ravel()))
        elif dt.suffix == "bf16":
            x = rng.standard_normal((3, 5)).astype(ml_dtypes.bfloat16).view(np.uint16)
            y = np.zeros_like(x)
            binding = sess.io_binding()
            binding.bind_ortvalue_input("INPUT0", ort.OrtValue.ortvalue_from_numpy_with_onnx_type(x, TensorProto.BFLOAT16))
            binding.bind_ortvalue_output("OUTPUT0", ort.OrtValue.ortvalue_from_numpy_with_onnx_type(y, TensorProto.BFLOAT16))
            sess.run_with_iobinding(binding)
            ok = np.array_equal(x, y)
        else:
            np_type = helper.tensor_dtype_to_np_dtype(dt.onnx_type)
            if np_type == np.bool_:
                x = rng.random((4, 7)) < 0.5
            elif np.issubdtype(np_type, np.integer):
                info = np.iinfo(np_type)
                x = rng.integers(info.min, info.max, size=(4, 7), dtype=np_type, endpoint=True)
            else:
                x = rng.standard_normal((4, 7)).astype(np_type)
            y = sess.run(["OUTPUT0"], {"INPUT0": x})[0]
            ok = y.dtype == x.dtype and np.array_equal(x, y)
        if not ok:
            raise SystemExit(f"verify: {name} did not round-trip")

    for name in ("add_sub", "add_sub_partial", "add_sub_cached"):
        sess = session(name)
        a = rng.standard_normal((5, ADD_SUB_WIDTH)).astype(np.float32)
        b = rng.standard_normal((5, ADD_SUB_WIDTH)).astype(np.float32)
        o0, o1 = sess.run(["OUTPUT0", "OUTPUT1"], {"INPUT0": a, "INPUT1": b})
        if not (np.array_equal(o0, a + b) and np.array_equal(o1, a - b)):
            raise SystemExit(f"verify: {name} mismatch")

    def ghost_ref(x: np.ndarray) -> np.ndarray:
        h = x.astype(np.float64)
        layers = ghost_weights()
        for i, (w, b) in enumerate(layers):
            h = h @ w.astype(np.float64) + b
            h = 1.0 / (1.0 + np.exp(-h)) if i == len(layers) - 1 else np.maximum(h, 0.0)
        return h

    for name in ("ghost_mlp", "ghost_mlp_batched", "ghost_mlp_autocfg"):
        sess = session(name)
        for batch in (1, 1024):
            x = rng.standard_normal((batch, GHOST_LAYERS[0])).astype(np.float32)
            y = sess.run(["ghost_prob"], {"features": x})[0]
            if y.shape != (batch, 1) or not np.allclose(y, ghost_ref(x), rtol=1e-5, atol=1e-6):
                raise SystemExit(f"verify: {name} mismatch at batch {batch}")

    # heavy_mlp: in-graph weights must equal the numpy reproduction, and the
    # forward pass must match a float64 reference.
    sess = session("heavy_mlp")
    x = rng.standard_normal((64, HEAVY_IN)).astype(np.float32)
    y = sess.run(["y"], {"x": x})[0]
    h = x.astype(np.float64)
    layers = heavy_layer_dims()
    for i, (fan_in, fan_out) in enumerate(layers):
        h = h @ heavy_weight_numpy(i, fan_in, fan_out).astype(np.float64) + heavy_bias(fan_out, i)
        if i != len(layers) - 1:
            h = np.maximum(h, 0.0)
    if y.shape != (64, HEAVY_OUT) or not np.allclose(y, h, rtol=1e-4, atol=1e-4):
        raise SystemExit(f"verify: heavy_mlp mismatch (max abs err {np.abs(y - h).max():.3g})")
    if float(np.std(y)) < 1e-3:
        raise SystemExit("verify: heavy_mlp output is degenerate")

    # The weight subgraph must be constant-folded away: the optimized graph
    # should contain only Gemm (+ fused ReLU) nodes.
    with tempfile.TemporaryDirectory() as tmp:
        opts = ort.SessionOptions()
        opts.optimized_model_filepath = str(Path(tmp) / "opt.onnx")
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
        ort.InferenceSession(str(out / "heavy_mlp" / "1" / "model.onnx"), opts, providers=["CPUExecutionProvider"])
        ops = sorted({n.op_type for n in onnx.load(opts.optimized_model_filepath).graph.node})
    if not set(ops) <= {"Gemm", "Relu", "FusedGemm"}:
        raise SystemExit(f"verify: heavy_mlp weight generator was not constant-folded (ops: {ops})")

    print(f"verified {len(IDENTITY_TYPES) + 5} models with onnxruntime {ort.__version__}")


# ---------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"repository directory (default {DEFAULT_OUT})")
    parser.add_argument("--check", action="store_true", help="do not write; exit 1 if --out differs from a fresh generation")
    parser.add_argument("--no-verify", action="store_true", help="skip running the models in onnxruntime")
    args = parser.parse_args()

    repo = build_repository()
    too_big = [name for name, (data, _) in repo.items() if data is not None and len(data) >= 1_000_000]
    if too_big:
        raise SystemExit(f"models over 1 MB: {too_big}")

    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            write_repository(repo, Path(tmp))
            stale = []
            for path in sorted(Path(tmp).rglob("*")):
                if path.is_file():
                    rel = path.relative_to(tmp)
                    target = args.out / rel
                    if not target.is_file() or not filecmp.cmp(path, target, shallow=False):
                        stale.append(str(rel))
            for name, (_, config) in repo.items():
                if config is None and (args.out / name / "config.pbtxt").exists():
                    stale.append(f"{name}/config.pbtxt (must not exist)")
        if stale:
            print("examples/models is out of date; rerun dev/make-example-models.py:", file=sys.stderr)
            for rel in stale:
                print(f"  {rel}", file=sys.stderr)
            return 1
        print(f"{args.out}: up to date ({len(repo)} models)")
        return 0

    write_repository(repo, args.out)
    print(f"wrote {len(repo)} models to {args.out}")
    for name, (data, config) in sorted(repo.items()):
        size = "ensemble" if data is None else f"{len(data):8d} bytes"
        print(f"  {name:20s} {size}{'' if config is not None else '  (no config.pbtxt)'}")
    if not args.no_verify:
        verify(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
