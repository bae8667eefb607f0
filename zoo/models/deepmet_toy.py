"""deepmet_toy: DeepMET-like per-candidate weights for the missing transverse momentum.

Network:
  x_i = [standardized (log pt, eta, phi, px, py, dz), one-hot(charge), one-hot(pf_class),
         one-hot(pv_assoc)]                                  6 + 3 + 6 + 4 = 19
  e_i = φ(x_i)                                               19 -> 32 ReLU -> 32 ReLU
  G   = [masked mean of e, masked sum of e / 64]             event context, 64
  w_i = sigmoid(ρ(e_i, G)) · mask_i                          (32 + 64) -> 32 ReLU -> 1
  met = -Σ_i w_i (px_i, py_i)
Trained on the squared error of met against the true neutrino (px, py).
The one-hot encoding compares each categorical value with its allowed values,
so an unknown value encodes as all zeros instead of failing.
"""

from __future__ import annotations

import time

import numpy as np

from zoo import nn
from zoo.onnx_build import BOOL, FLOAT, INT64, GraphBuilder, config_pbtxt
from zoo.toysim import deepmet

NAME = "deepmet_toy"
INIT_SEED = 64_000_001
N_TRAIN = 24_000
EPOCHS = 8
BATCH = 64
LR = 2e-3
EMB = 32
SUM_SCALE = 1.0 / 64.0
MAX_BATCH = 256
PT_FLOOR = 0.01
N_ONEHOT = sum(len(v) for v in deepmet.CAT_VALUES)
N_IN = 6 + N_ONEHOT


def continuous(cont: np.ndarray) -> np.ndarray:
    pt = np.log(np.maximum(cont[..., 0:1], np.float32(PT_FLOOR)))
    return np.concatenate([pt, cont[..., 1:]], axis=-1)


def one_hot(cat: np.ndarray) -> np.ndarray:
    parts = []
    for k, values in enumerate(deepmet.CAT_VALUES):
        parts.append((cat[..., k : k + 1] == np.asarray(values, dtype=np.int64)).astype(np.float32))
    return np.concatenate(parts, axis=-1)


class DeepMET:
    def __init__(self, rng: np.random.Generator, mean: np.ndarray, std: np.ndarray) -> None:
        self.mean, self.std = mean.astype(np.float32), std.astype(np.float32)
        self.phi = nn.MLP(rng, [N_IN, EMB, EMB], "phi")
        self.phi_relu = nn.ReLU()
        self.head_e = nn.Linear(rng, EMB, EMB, "head.0.e")
        self.head_g = nn.Linear(rng, 2 * EMB, EMB, "head.0.g")
        self.head_relu = nn.ReLU()
        self.head_out = nn.Linear(rng, EMB, 1, "head.1", gain=1.0)

    def params(self) -> list[nn.Param]:
        return self.phi.params() + self.head_e.params() + [self.head_g.W] + self.head_out.params()

    def forward(self, cont, cat, mask):
        m = mask[..., None].astype(np.float32)  # [B,P,1]
        x = np.concatenate([(continuous(cont) - self.mean) / self.std, one_hot(cat)], axis=-1)
        e = self.phi_relu.forward(self.phi.forward(x))
        s = (e * m).sum(axis=1)
        c = np.maximum(m.sum(axis=1), np.float32(1.0))
        g = np.concatenate([s / c, s * np.float32(SUM_SCALE)], axis=1)  # [B,64]
        a = self.head_e.forward(e) + self.head_g.forward(g)[:, None, :]
        logit = self.head_out.forward(self.head_relu.forward(a))[..., 0]
        w = nn.sigmoid(logit) * m[..., 0]
        met = -np.stack([(w * cont[..., 3]).sum(axis=1), (w * cont[..., 4]).sum(axis=1)], axis=1)
        self._cache = (m, c, w, cont)
        return met, w

    def backward(self, g_met: np.ndarray) -> None:
        m, c, w, cont = self._cache
        g_w = -(g_met[:, 0:1] * cont[..., 3] + g_met[:, 1:2] * cont[..., 4])  # [B,P]
        g_logit = (g_w * w * (1.0 - w))[..., None].astype(np.float32)  # w already carries the mask
        g_a = self.head_relu.backward(self.head_out.backward(g_logit))
        g_e = self.head_e.backward(g_a)
        g_g = self.head_g.backward(g_a.sum(axis=1))
        g_s = g_g[:, :EMB] / c + g_g[:, EMB:] * np.float32(SUM_SCALE)
        g_e = g_e + g_s[:, None, :] * m
        self.phi.backward(self.phi_relu.backward(g_e))


def resolution(met: np.ndarray, truth: np.ndarray) -> float:
    return float(np.sqrt(np.mean((met.astype(np.float64) - truth) ** 2)))


def pf_met(cont: np.ndarray, mask: np.ndarray) -> np.ndarray:
    return -np.stack([(cont[..., 3] * mask).sum(axis=1), (cont[..., 4] * mask).sum(axis=1)], axis=1)


def train(log) -> dict:
    t0 = time.perf_counter()
    cont, cat, mask, truth = deepmet.generate(N_TRAIN, deepmet.TRAIN_SEED)
    log(f"generated {N_TRAIN} events in {time.perf_counter() - t0:.1f}s")
    flat = continuous(cont)[mask]
    mean, std = flat.mean(axis=0), flat.std(axis=0)
    n_val = N_TRAIN // 10
    val = (cont[:n_val], cat[:n_val], mask[:n_val], truth[:n_val])
    cont, cat, mask, truth = cont[n_val:], cat[n_val:], mask[n_val:], truth[n_val:]
    n_cand = mask.sum(axis=1)
    log(f"validation PF-MET resolution {resolution(pf_met(val[0], val[2]), val[3]):.2f} GeV")

    rng = nn.generator(INIT_SEED)
    model = DeepMET(rng, mean, std)
    steps = EPOCHS * ((len(truth) + BATCH - 1) // BATCH)
    opt = nn.Adam(model.params(), LR, steps)
    for epoch in range(EPOCHS):
        total = 0.0
        for idx in nn.minibatches(rng, len(truth), BATCH):
            p = int(n_cand[idx].max())
            met, _ = model.forward(cont[idx, :p], cat[idx, :p], mask[idx, :p])
            diff = met - truth[idx]
            total += float((diff**2).sum())
            model.backward((diff / np.float32(len(idx))).astype(np.float32))
            opt.step()
        r = resolution(predict(model, *val[:3])[0], val[3])
        log(f"epoch {epoch + 1}/{EPOCHS} train RMS {np.sqrt(total / (2 * len(truth))):.2f} GeV, validation {r:.2f} GeV ({time.perf_counter() - t0:.0f}s)")
    return {"model": model}


def predict(model: DeepMET, cont, cat, mask, batch: int = 256):
    mets, ws = [], []
    for i in range(0, len(cont), batch):
        met, w = model.forward(cont[i : i + batch], cat[i : i + batch], mask[i : i + batch])
        mets.append(met)
        ws.append(w)
    return np.concatenate(mets), np.concatenate(ws)


def numpy_predict(trained: dict, cont, cat, mask):
    return predict(trained["model"], cont, cat, mask)


def build_onnx(trained: dict):
    model: DeepMET = trained["model"]
    b = GraphBuilder(NAME)
    b.input("pf_cont", FLOAT, ["batch", "candidates", 6])
    b.input("pf_cat", INT64, ["batch", "candidates", 3])
    b.input("pf_mask", BOOL, ["batch", "candidates"])
    b.output("met_xy", FLOAT, ["batch", 2])
    b.output("weights", FLOAT, ["batch", "candidates"])

    def cont_slice(name, start, end):
        return b.op("Slice", ["pf_cont", b.i64(f"{name}.start", [start]), b.i64(f"{name}.end", [end]), b.i64(f"{name}.axes", [2])], name)

    pt = cont_slice("pt", 0, 1)
    rest = cont_slice("eta_phi_px_py_dz", 1, 6)
    log_pt = b.op("Log", [b.op("Max", [pt, b.f32("pt_floor", PT_FLOOR)], "pt_floored")], "log_pt")
    x = b.op("Concat", [log_pt, rest], "cont_features", axis=2)
    x = b.op("Sub", [x, b.f32("cont_mean", model.mean)], "cont_centered")
    x = b.op("Div", [x, b.f32("cont_std", model.std)], "cont_standardized")
    hots = []
    for k, (feature, values) in enumerate(zip(deepmet.CAT_FEATURES, deepmet.CAT_VALUES)):
        col = b.op("Slice", ["pf_cat", b.i64(f"{feature}.start", [k]), b.i64(f"{feature}.end", [k + 1]), b.i64(f"{feature}.axes", [2])], f"cat.{feature}")
        eq = b.op("Equal", [col, b.i64(f"{feature}.values", list(values))], f"onehot.{feature}.bool")
        hots.append(b.op("Cast", [eq], f"onehot.{feature}", to=FLOAT))
    x = b.op("Concat", [x] + hots, "candidate_features", axis=2)
    e = b.op("Relu", [b.mlp(x, model.phi.weights(), "phi")], "phi.out")
    m = b.op("Cast", ["pf_mask"], "mask_f", to=FLOAT)
    m3 = b.op("Unsqueeze", [m, b.i64("axis2", [2])], "mask_f3")
    axis1 = b.i64("axis1", [1])
    s = b.op("ReduceSum", [b.op("Mul", [e, m3], "phi.masked"), axis1], "pool.sum", keepdims=0)
    c = b.op("Max", [b.op("ReduceSum", [m3, axis1], "pool.count", keepdims=0), b.f32("one", 1.0)], "pool.count_safe")
    g = b.op("Concat", [b.op("Div", [s, c], "pool.mean"), b.op("Mul", [s, b.f32("sum_scale", SUM_SCALE)], "pool.sum_scaled")], "event_context", axis=1)
    a_e = b.dense(e, model.head_e.W.value, model.head_e.b.value, "head.0.e", None)
    a_g = b.op("MatMul", [g, b.f32("head.0.g.weight", model.head_g.W.value)], "head.0.g.matmul")
    a = b.op("Add", [a_e, b.op("Unsqueeze", [a_g, axis1], "head.0.g.per_candidate")], "head.0.linear")
    logit = b.dense(b.op("Relu", [a], "head.0.relu"), model.head_out.W.value, model.head_out.b.value, "head.1", None)
    logit = b.op("Squeeze", [logit, b.i64("axis_last", [2])], "head.logit")
    w = b.op("Mul", [b.op("Sigmoid", [logit], "head.sigmoid"), m], "weights")
    px = b.op("Squeeze", [cont_slice("px", 3, 4), b.i64("squeeze_px", [2])], "px_2d")
    py = b.op("Squeeze", [cont_slice("py", 4, 5), b.i64("squeeze_py", [2])], "py_2d")
    sum_px = b.op("ReduceSum", [b.op("Mul", [w, px], "w_px"), axis1], "sum_w_px", keepdims=1)
    sum_py = b.op("ReduceSum", [b.op("Mul", [w, py], "w_py"), axis1], "sum_w_py", keepdims=1)
    b.op("Neg", [b.op("Concat", [sum_px, sum_py], "sum_w_pxy", axis=1)], "met_xy")
    return b.model(
        "DeepMET-like toy (zoo/models/deepmet_toy.py): met_xy = -Σ w_i (px_i, py_i) with learned per-candidate "
        "weights w_i in [0,1]. pf_cont [B,P,6] = (pt, eta, phi, px, py, dz); pf_cat INT64 [B,P,3] = "
        "(charge, pf_class, pv_assoc); pf_mask BOOL [B,P]."
    )


def config() -> str:
    return config_pbtxt(
        NAME,
        MAX_BATCH,
        [("pf_cont", "TYPE_FP32", [-1, 6]), ("pf_cat", "TYPE_INT64", [-1, 3]), ("pf_mask", "TYPE_BOOL", [-1])],
        [("met_xy", "TYPE_FP32", [2]), ("weights", "TYPE_FP32", [-1])],
    )
