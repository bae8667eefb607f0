"""Small helper around onnx.helper for building the zoo graphs deterministically.

All models use ONNX opset 17 and IR version 8 (as dev/make-example-models.py),
and are serialized with deterministic protobuf field order and no timestamps.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
IR_VERSION = 8
PRODUCER = "offload/zoo"
PRODUCER_VERSION = "1"


class GraphBuilder:
    def __init__(self, name: str) -> None:
        self.name = name
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self.inputs: list[onnx.ValueInfoProto] = []
        self.outputs: list[onnx.ValueInfoProto] = []
        self._count = 0

    # -- tensors -------------------------------------------------------------
    def input(self, name: str, elem_type: int, shape: list[int | str]) -> str:
        self.inputs.append(helper.make_tensor_value_info(name, elem_type, shape))
        return name

    def output(self, name: str, elem_type: int, shape: list[int | str]) -> None:
        self.outputs.append(helper.make_tensor_value_info(name, elem_type, shape))

    def const(self, name: str, array: np.ndarray) -> str:
        self.inits.append(numpy_helper.from_array(np.array(array, order="C"), name))  # keeps 0-d scalars 0-d
        return name

    def f32(self, name: str, value) -> str:
        return self.const(name, np.asarray(value, dtype=np.float32))

    def i64(self, name: str, value) -> str:
        return self.const(name, np.asarray(value, dtype=np.int64))

    # -- nodes ---------------------------------------------------------------
    def op(self, op_type: str, inputs: list[str], out: str | None = None, **attrs) -> str:
        self._count += 1
        out = out or f"{op_type.lower()}_{self._count}"
        self.nodes.append(helper.make_node(op_type, inputs, [out], name=f"{op_type}_{self._count}", **attrs))
        return out

    def dense(
        self, x: str, weight: np.ndarray, bias: np.ndarray, prefix: str, act: str | None, gemm: bool = False, out: str | None = None
    ) -> str:
        """x @ W + b (MatMul + Add, or Gemm for rank-2 x), then optional Relu/Sigmoid."""
        w = self.f32(f"{prefix}.weight", weight)
        b = self.f32(f"{prefix}.bias", bias)
        lin_out = out if act is None else None
        if gemm:
            y = self.op("Gemm", [x, w, b], lin_out or f"{prefix}.linear")
        else:
            y = self.op("Add", [self.op("MatMul", [x, w], f"{prefix}.matmul"), b], lin_out or f"{prefix}.linear")
        if act is not None:
            y = self.op(act, [y], out or f"{prefix}.{act.lower()}")
        return y

    def mlp(self, x: str, layers: list[tuple[np.ndarray, np.ndarray]], prefix: str, gemm: bool = False, out: str | None = None) -> str:
        """ReLU between layers, nothing after the last (the caller adds the output activation)."""
        for i, (w, b) in enumerate(layers):
            last = i == len(layers) - 1
            x = self.dense(x, w, b, f"{prefix}.{i}", None if last else "Relu", gemm=gemm, out=out if last else None)
        return x

    # -- model ---------------------------------------------------------------
    def model(self, doc: str) -> onnx.ModelProto:
        graph = helper.make_graph(self.nodes, self.name, self.inputs, self.outputs, initializer=self.inits)
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


def serialize(model: onnx.ModelProto) -> bytes:
    return model.SerializeToString(deterministic=True)


FLOAT = TensorProto.FLOAT
FLOAT16 = TensorProto.FLOAT16
INT64 = TensorProto.INT64
BOOL = TensorProto.BOOL


def config_pbtxt(
    name: str,
    max_batch_size: int,
    inputs: list[tuple[str, str, list[int]]],
    outputs: list[tuple[str, str, list[int]]],
    extra: str = "",
) -> str:
    """A complete Triton config.pbtxt (dims exclude the batch dimension when max_batch_size > 0)."""

    def block(kind: str, tensors: list[tuple[str, str, list[int]]]) -> str:
        items = []
        for tname, dtype, dims in tensors:
            items.append(
                "  {\n"
                f'    name: "{tname}"\n'
                f"    data_type: {dtype}\n"
                f"    dims: [ {', '.join(str(d) for d in dims)} ]\n"
                "  }"
            )
        return f"{kind} [\n" + ",\n".join(items) + "\n]\n"

    return (
        f'name: "{name}"\n'
        'platform: "onnxruntime_onnx"\n'
        f"max_batch_size: {max_batch_size}\n"
        + block("input", inputs)
        + block("output", outputs)
        + "instance_group [\n  {\n    count: 1\n    kind: KIND_CPU\n  }\n]\n"
        + extra
    )
