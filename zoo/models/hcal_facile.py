"""hcal_facile: FACILE-like HCAL channel energy regression.

Network: features = [asinh(pulses / 10 fC) (8), ieta, iphi, depth, μ (4)],
standardized; MLP 12 -> 64 ReLU -> 64 ReLU -> 32 ReLU -> 1 = log(E / GeV);
energy = exp(output). Trained on the squared error in log E (a relative
error, as the resolution is), then the output bias is shifted so that the
median of E_pred / E_true on the validation sample is exactly 1.
"""

from __future__ import annotations

import math
import time

import numpy as np

from zoo import nn
from zoo.metrics import quantile_sigma
from zoo.onnx_build import FLOAT, GraphBuilder, config_pbtxt
from zoo.toysim import hcal

NAME = "hcal_facile"
INIT_SEED = 63_000_001
N_TRAIN = 500_000
EPOCHS = 10
BATCH = 256
LR = 2e-3
SIZES = [12, 64, 64, 32, 1]
ASINH_SCALE = 10.0
MAX_BATCH = 65536
METRIC_MIN_ENERGY = 5.0


def features(pulses: np.ndarray, channel: np.ndarray) -> np.ndarray:
    return np.concatenate([np.arcsinh(pulses / np.float32(ASINH_SCALE)), channel], axis=1).astype(np.float32)


def train(log) -> dict:
    t0 = time.perf_counter()
    pulses, channel, energy = hcal.generate(N_TRAIN, hcal.TRAIN_SEED)
    x = features(pulses, channel)
    n_val = N_TRAIN // 10
    mean, std = x[n_val:].mean(axis=0), x[n_val:].std(axis=0)
    xn = (x - mean) / std
    y = np.log(energy).astype(np.float32)
    xv, ev = xn[:n_val], energy[:n_val]
    xt, yt = xn[n_val:], y[n_val:]
    log(f"generated {N_TRAIN} channels in {time.perf_counter() - t0:.1f}s")
    sel = ev >= METRIC_MIN_ENERGY
    s = pulses[:n_val].sum(axis=1)
    c = np.median(ev[sel] / s[sel])
    log(f"validation simple-sum resolution {quantile_sigma(c * s[sel] / ev[sel] - 1):.4f} (E ≥ {METRIC_MIN_ENERGY} GeV)")

    rng = nn.generator(INIT_SEED)
    mlp = nn.MLP(rng, SIZES, "mlp")
    steps = EPOCHS * ((len(yt) + BATCH - 1) // BATCH)
    opt = nn.Adam(mlp.params(), LR, steps)
    for epoch in range(EPOCHS):
        total = 0.0
        for idx in nn.minibatches(rng, len(yt), BATCH):
            diff = mlp.forward(xt[idx])[:, 0] - yt[idx]
            total += float((diff * diff).sum())
            mlp.backward((diff * np.float32(2.0 / len(idx)))[:, None])
            opt.step()
        r = np.exp(mlp.forward(xv)[:, 0]) / ev - 1.0
        log(
            f"epoch {epoch + 1}/{EPOCHS} loss {total / len(yt):.5f} validation resolution {quantile_sigma(r[sel]):.4f} "
            f"bias {np.median(r[sel]):+.4f} ({time.perf_counter() - t0:.0f}s)"
        )
    # Calibrate: shift log E so that the validation median of E_pred / E_true is 1.
    shift = -math.log(float(np.median(np.exp(mlp.forward(xv)[:, 0])[sel] / ev[sel])))
    mlp.linears[-1].b.value += np.float32(shift)
    r = np.exp(mlp.forward(xv)[:, 0]) / ev - 1.0
    log(f"calibrated: validation resolution {quantile_sigma(r[sel]):.4f} bias {np.median(r[sel]):+.4f}")
    return {"mlp": mlp, "mean": mean.astype(np.float32), "std": std.astype(np.float32)}


def numpy_predict(trained: dict, pulses: np.ndarray, channel: np.ndarray) -> np.ndarray:
    x = (features(pulses, channel) - trained["mean"]) / trained["std"]
    return np.exp(trained["mlp"].forward(x))


def build_onnx(trained: dict):
    b = GraphBuilder(NAME)
    b.input("pulses", FLOAT, ["batch", hcal.N_SAMPLES])
    b.input("channel", FLOAT, ["batch", len(hcal.CHANNEL_FEATURES)])
    b.output("energy", FLOAT, ["batch", 1])
    a = b.op("Asinh", [b.op("Div", ["pulses", b.f32("asinh_scale", ASINH_SCALE)], "pulses_scaled")], "pulses_asinh")
    x = b.op("Concat", [a, "channel"], "features", axis=1)
    x = b.op("Div", [b.op("Sub", [x, b.f32("feature_mean", trained["mean"])], "centered"), b.f32("feature_std", trained["std"])], "standardized")
    log_e = b.mlp(x, trained["mlp"].weights(), "mlp", gemm=True)
    b.op("Exp", [log_e], "energy")
    return b.model(
        "FACILE-like HCAL energy regression (toy, zoo/models/hcal_facile.py). pulses [B,8] = pedestal-subtracted "
        "charge per 25 ns sample (fC); channel [B,4] = (ieta, iphi, depth, pileup mu); energy [B,1] in GeV."
    )


def config() -> str:
    return config_pbtxt(
        NAME,
        MAX_BATCH,
        [("pulses", "TYPE_FP32", [hcal.N_SAMPLES]), ("channel", "TYPE_FP32", [len(hcal.CHANNEL_FEATURES)])],
        [("energy", "TYPE_FP32", [1])],
    )
