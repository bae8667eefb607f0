"""lhcb_ghost_mlp (and lhcb_ghost_mlp_fp16): LHCb-style ghost-track probability.

Network: standardize the 17 track features, then 17 -> 64 ReLU -> 32 ReLU -> 1,
sigmoid = ghost_prob. Trained with binary cross-entropy on toy tracks
(zoo/toysim/lhcb_tracks.py).

The FP16 variant is the same network converted to half precision: FP16
inputs, outputs, weights and arithmetic (onnxruntime's CPU provider may run
some nodes in FP32 internally; a GPU provider runs them in FP16).
"""

from __future__ import annotations

import time

import numpy as np

from zoo import nn
from zoo.metrics import roc_auc
from zoo.onnx_build import FLOAT, FLOAT16, GraphBuilder, config_pbtxt
from zoo.toysim import lhcb_tracks

NAME = "lhcb_ghost_mlp"
NAME_FP16 = "lhcb_ghost_mlp_fp16"
INIT_SEED = 61_000_001
N_TRAIN = 400_000
EPOCHS = 10
BATCH = 256
LR = 2e-3
SIZES = [lhcb_tracks.N_FEATURES, 64, 32, 1]
MAX_BATCH = 4096
# No queue delay (Triton's default): requests that arrive while the instance is busy are merged; a request that
# finds it idle runs at once. A 100 us delay cost ~270 us of latency at low load (docs/benchmarks.md).
DYNAMIC_BATCHING = "dynamic_batching {\n  max_queue_delay_microseconds: 0\n}\n"


def train(log) -> dict:
    t0 = time.perf_counter()
    x, y = lhcb_tracks.generate(N_TRAIN, lhcb_tracks.TRAIN_SEED)
    n_val = N_TRAIN // 10
    mean, std = x[n_val:].mean(axis=0), x[n_val:].std(axis=0)
    xn = (x - mean) / std
    xv, yv = xn[:n_val], y[:n_val]
    xt, yt = xn[n_val:], y[n_val:].astype(np.float32)
    log(f"generated {N_TRAIN} tracks ({y.mean():.1%} ghosts) in {time.perf_counter() - t0:.1f}s")
    rng = nn.generator(INIT_SEED)
    mlp = nn.MLP(rng, SIZES, "mlp")
    steps = EPOCHS * ((len(yt) + BATCH - 1) // BATCH)
    opt = nn.Adam(mlp.params(), LR, steps)
    for epoch in range(EPOCHS):
        total = 0.0
        for idx in nn.minibatches(rng, len(yt), BATCH):
            loss, g = nn.bce_with_logits(mlp.forward(xt[idx])[:, 0], yt[idx])
            mlp.backward(g[:, None])
            opt.step()
            total += loss * len(idx)
        auc = roc_auc(mlp.forward(xv)[:, 0], yv)
        log(f"epoch {epoch + 1}/{EPOCHS} loss {total / len(yt):.4f} validation AUC {auc:.4f} ({time.perf_counter() - t0:.0f}s)")
    return {"mlp": mlp, "mean": mean.astype(np.float32), "std": std.astype(np.float32)}


def numpy_predict(trained: dict, x: np.ndarray) -> np.ndarray:
    return nn.sigmoid(trained["mlp"].forward((x - trained["mean"]) / trained["std"]))


def build_onnx(trained: dict, fp16: bool = False):
    cast = (lambda a: np.asarray(a, dtype=np.float16)) if fp16 else (lambda a: np.asarray(a, dtype=np.float32))
    elem = FLOAT16 if fp16 else FLOAT
    b = GraphBuilder(NAME_FP16 if fp16 else NAME)
    b.input("features", elem, ["batch", lhcb_tracks.N_FEATURES])
    b.output("ghost_prob", elem, ["batch", 1])
    x = b.op("Sub", ["features", b.const("feature_mean", cast(trained["mean"]))], "centered")
    x = b.op("Div", [x, b.const("feature_std", cast(trained["std"]))], "standardized")
    layers = trained["mlp"].weights()
    for i, (w, bias) in enumerate(layers):
        last = i == len(layers) - 1
        x = b.op("Gemm", [x, b.const(f"fc{i}.weight", cast(w)), b.const(f"fc{i}.bias", cast(bias))], f"fc{i}.out")
        x = b.op("Sigmoid" if last else "Relu", [x], "ghost_prob" if last else f"fc{i}.relu")
    precision = "FP16 (inputs, outputs, weights)" if fp16 else "FP32"
    return b.model(
        f"LHCb-style ghost-track probability, {precision} (toy, zoo/models/lhcb_ghost_mlp.py). "
        f"features [B,17] in the order of zoo/toysim/lhcb_tracks.py FEATURES; ghost_prob [B,1]."
    )


def config(fp16: bool = False) -> str:
    t = "TYPE_FP16" if fp16 else "TYPE_FP32"
    return config_pbtxt(
        NAME_FP16 if fp16 else NAME,
        MAX_BATCH,
        [("features", t, [lhcb_tracks.N_FEATURES])],
        [("ghost_prob", t, [1])],
        extra=DYNAMIC_BATCHING,
    )
