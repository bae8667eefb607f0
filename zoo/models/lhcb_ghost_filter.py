"""lhcb_ghost_filter: an ensemble that classifies tracks and applies the ghost cut.

Two composing models, as a trigger's track filter chains them:

1. `lhcb_ghost_mlp`: features [B, 17] -> ghost_prob [B, 1] (the trained classifier);
2. `lhcb_ghost_selection`: ghost_prob [B, 1] -> is_ghost BOOL [B, 1], the working
   point ghost_prob > cut.

The cut is not trained: it is calibrated on a toy sample with its own seed
(CALIBRATION_SEED, neither training nor held-out) as the ghost_prob quantile
that keeps REAL_EFFICIENCY of the real tracks, from the lhcb_ghost_mlp model
file in the output directory (zoo/train.sh writes it first). The
ensemble returns both tensors, so a client gets the probability and the decision
in one request.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from zoo.onnx_build import BOOL, FLOAT, GraphBuilder
from zoo.toysim import lhcb_tracks

NAME = "lhcb_ghost_filter"
SELECTION = "lhcb_ghost_selection"
CLASSIFIER = "lhcb_ghost_mlp"
CALIBRATION_SEED = 51_500_001
N_CALIBRATION = 200_000
REAL_EFFICIENCY = 0.98
MAX_BATCH = 4096

# The ensemble's steps: (model, {model input: ensemble tensor}, {model output: ensemble tensor}).
STEPS = [
    (CLASSIFIER, {"features": "features"}, {"ghost_prob": "ghost_prob"}),
    (SELECTION, {"ghost_prob": "ghost_prob"}, {"is_ghost": "is_ghost"}),
]


def calibrate_cut(classifier_onnx: bytes) -> float:
    """The ghost_prob cut that keeps REAL_EFFICIENCY of the real tracks of the calibration sample."""
    import onnxruntime as ort

    x, y = lhcb_tracks.generate(N_CALIBRATION, CALIBRATION_SEED)
    session = ort.InferenceSession(classifier_onnx, providers=["CPUExecutionProvider"])
    prob = session.run(["ghost_prob"], {"features": x})[0][:, 0]
    # float32, as the model compares in float32: a real track at exactly the cut is kept.
    return float(np.float32(np.quantile(prob[y == 0].astype(np.float64), REAL_EFFICIENCY)))


def build_selection(cut: float):
    b = GraphBuilder(SELECTION)
    b.input("ghost_prob", FLOAT, ["batch", 1])
    b.output("is_ghost", BOOL, ["batch", 1])
    b.op("Greater", ["ghost_prob", b.f32("ghost_cut", cut)], "is_ghost")
    return b.model(
        f"LHCb-style ghost selection (zoo/models/lhcb_ghost_filter.py): is_ghost = ghost_prob > {cut!r}, "
        f"the cut that keeps {REAL_EFFICIENCY:.0%} of real toy tracks (calibration seed {CALIBRATION_SEED})."
    )


def selection_config() -> str:
    return (
        f'name: "{SELECTION}"\n'
        'platform: "onnxruntime_onnx"\n'
        f"max_batch_size: {MAX_BATCH}\n"
        'input [\n  {\n    name: "ghost_prob"\n    data_type: TYPE_FP32\n    dims: [ 1 ]\n  }\n]\n'
        'output [\n  {\n    name: "is_ghost"\n    data_type: TYPE_BOOL\n    dims: [ 1 ]\n  }\n]\n'
        "instance_group [\n  {\n    count: 1\n    kind: KIND_CPU\n  }\n]\n"
    )


def ensemble_config() -> str:
    def maps(field: str, mapping: dict[str, str]) -> str:
        return "".join(f'      {field} {{ key: "{k}" value: "{v}" }}\n' for k, v in mapping.items())

    steps = ",\n".join(
        "    {\n"
        f'      model_name: "{model}"\n'
        "      model_version: -1\n" + maps("input_map", inputs) + maps("output_map", outputs) + "    }"
        for model, inputs, outputs in STEPS
    )
    return (
        f'name: "{NAME}"\n'
        'platform: "ensemble"\n'
        f"max_batch_size: {MAX_BATCH}\n"
        f'input [\n  {{\n    name: "features"\n    data_type: TYPE_FP32\n    dims: [ {lhcb_tracks.N_FEATURES} ]\n  }}\n]\n'
        "output [\n"
        '  {\n    name: "ghost_prob"\n    data_type: TYPE_FP32\n    dims: [ 1 ]\n  },\n'
        '  {\n    name: "is_ghost"\n    data_type: TYPE_BOOL\n    dims: [ 1 ]\n  }\n'
        "]\n"
        f"ensemble_scheduling {{\n  step [\n{steps}\n  ]\n}}\n"
    )


def classifier_file(out: Path) -> bytes:
    """The classifier in `out` (zoo/train.sh trains and writes lhcb_ghost_mlp before this model)."""
    path = out / CLASSIFIER / "1" / "model.onnx"
    if not path.is_file():
        raise SystemExit(f"{NAME}: needs {path}; train lhcb_ghost_mlp first (zoo/train.sh --only lhcb_ghost_mlp)")
    return path.read_bytes()
