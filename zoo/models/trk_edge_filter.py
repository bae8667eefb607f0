"""trk_edge_filter: Exa.TrkX-like edge filter on a tracker hit graph.

For every candidate edge (inner hit i, outer hit j) the graph gathers both
endpoints' (r, φ, z) and derives pair features inside the model:
  r_i, z_i, r_j, z_j (scaled), Δr, sin Δφ, Δz, z at the beam line
  z0 = z_i − r_i Δz/Δr, curvature proxy sin Δφ / Δr, slope Δz/Δr
then standardizes them and runs an MLP 10 -> 64 ReLU -> 64 ReLU -> 32 ReLU -> 1,
sigmoid = edge_score. Δr is clamped at ≥ 1 cm so that arbitrary (even
same-layer) edges never divide by zero. One request = one event
(max_batch_size 0): hits [H, 3], edge_index [2, E] -> edge_score [E].
"""

from __future__ import annotations

import time

import numpy as np

from zoo import nn
from zoo.metrics import best_efficiency_at_purity, roc_auc
from zoo.onnx_build import FLOAT, INT64, GraphBuilder, config_pbtxt
from zoo.toysim import tracking

NAME = "trk_edge_filter"
INIT_SEED = 65_000_001
N_EVENTS = 100
EPOCHS = 8
BATCH = 1024
LR = 2e-3
SIZES = [10, 64, 64, 32, 1]
DR_MIN = 1.0
FEATURE_NAMES = ["r_i", "z_i", "r_j", "z_j", "dr", "sin_dphi", "dz", "z0", "curvature", "slope"]


def pair_features(hits: np.ndarray, edge_index: np.ndarray) -> np.ndarray:
    """The exact float32 arithmetic of the ONNX graph, in numpy (for training)."""
    a = hits[edge_index[0]]
    b = hits[edge_index[1]]
    dr = b[:, 0] - a[:, 0]
    dr_safe = np.maximum(dr, np.float32(DR_MIN))
    sdphi = np.sin(b[:, 1] - a[:, 1])
    dz = b[:, 2] - a[:, 2]
    slope = dz / dr_safe
    z0 = a[:, 2] - a[:, 0] * slope
    curv = sdphi / dr_safe
    return np.stack(
        [
            a[:, 0] * np.float32(0.01),
            a[:, 2] * np.float32(0.01),
            b[:, 0] * np.float32(0.01),
            b[:, 2] * np.float32(0.01),
            dr * np.float32(0.1),
            sdphi * np.float32(10.0),
            dz * np.float32(0.1),
            z0 * np.float32(0.1),
            curv * np.float32(100.0),
            slope,
        ],
        axis=1,
    ).astype(np.float32)


def train(log) -> dict:
    t0 = time.perf_counter()
    events = tracking.generate(N_EVENTS, tracking.TRAIN_SEED)
    n_val = max(N_EVENTS // 10, 2)
    x = np.concatenate([pair_features(h, e) for h, e, _ in events[n_val:]])
    y = np.concatenate([lab for _, _, lab in events[n_val:]]).astype(np.float32)
    xv = np.concatenate([pair_features(h, e) for h, e, _ in events[:n_val]])
    yv = np.concatenate([lab for _, _, lab in events[:n_val]])
    log(f"generated {N_EVENTS} events, {len(y)} training edges ({y.mean():.1%} true) in {time.perf_counter() - t0:.1f}s")
    mean, std = x.mean(axis=0), x.std(axis=0)
    xn = (x - mean) / std
    xvn = (xv - mean) / std

    rng = nn.generator(INIT_SEED)
    mlp = nn.MLP(rng, SIZES, "edge_mlp")
    steps = EPOCHS * ((len(y) + BATCH - 1) // BATCH)
    opt = nn.Adam(mlp.params(), LR, steps)
    for epoch in range(EPOCHS):
        total = 0.0
        for idx in nn.minibatches(rng, len(y), BATCH):
            loss, g = nn.bce_with_logits(mlp.forward(xn[idx])[:, 0], y[idx])
            mlp.backward(g[:, None])
            opt.step()
            total += loss * len(idx)
        sv = mlp.forward(xvn)[:, 0]
        eff, pur, _ = best_efficiency_at_purity(sv, yv, 0.85)
        log(
            f"epoch {epoch + 1}/{EPOCHS} loss {total / len(y):.4f} validation AUC {roc_auc(sv, yv):.4f}, "
            f"efficiency {eff:.3f} at purity ≥ 0.85 ({time.perf_counter() - t0:.0f}s)"
        )
    return {"mlp": mlp, "mean": mean, "std": std}


def numpy_predict(trained: dict, hits: np.ndarray, edge_index: np.ndarray) -> np.ndarray:
    x = (pair_features(hits, edge_index) - trained["mean"]) / trained["std"]
    return nn.sigmoid(trained["mlp"].forward(x)[:, 0])


def build_onnx(trained: dict):
    b = GraphBuilder(NAME)
    b.input("hits", FLOAT, ["hits", 3])
    b.input("edge_index", INT64, [2, "edges"])
    b.output("edge_score", FLOAT, ["edges"])
    src = b.op("Gather", ["edge_index", b.i64("row0", 0)], "edge_src", axis=0)
    dst = b.op("Gather", ["edge_index", b.i64("row1", 1)], "edge_dst", axis=0)
    a = b.op("Gather", ["hits", src], "hit_i", axis=0)
    c = b.op("Gather", ["hits", dst], "hit_j", axis=0)

    def col(t, k, name):
        return b.op("Gather", [t, b.i64(f"{name}.col", k)], name, axis=1)

    r_i, phi_i, z_i = col(a, 0, "r_i"), col(a, 1, "phi_i"), col(a, 2, "z_i")
    r_j, phi_j, z_j = col(c, 0, "r_j"), col(c, 1, "phi_j"), col(c, 2, "z_j")
    dr = b.op("Sub", [r_j, r_i], "dr")
    dr_safe = b.op("Max", [dr, b.f32("dr_min", DR_MIN)], "dr_safe")
    sdphi = b.op("Sin", [b.op("Sub", [phi_j, phi_i], "dphi")], "sin_dphi")
    dz = b.op("Sub", [z_j, z_i], "dz")
    slope = b.op("Div", [dz, dr_safe], "slope")
    z0 = b.op("Sub", [z_i, b.op("Mul", [r_i, slope], "r_i_slope")], "z0")
    curv = b.op("Div", [sdphi, dr_safe], "curvature")
    scaled = []
    for name, t, scale in [
        ("r_i", r_i, 0.01), ("z_i", z_i, 0.01), ("r_j", r_j, 0.01), ("z_j", z_j, 0.01), ("dr", dr, 0.1),
        ("sin_dphi", sdphi, 10.0), ("dz", dz, 0.1), ("z0", z0, 0.1), ("curvature", curv, 100.0),
    ]:
        scaled.append(b.op("Unsqueeze", [b.op("Mul", [t, b.f32(f"{name}.scale", scale)], f"{name}.scaled"), b.i64(f"{name}.axis", [1])], f"{name}.column"))
    scaled.append(b.op("Unsqueeze", [slope, b.i64("slope.axis", [1])], "slope.column"))
    x = b.op("Concat", scaled, "pair_features", axis=1)
    x = b.op("Div", [b.op("Sub", [x, b.f32("feature_mean", trained["mean"])], "pair_centered"), b.f32("feature_std", trained["std"])], "pair_standardized")
    logit = b.mlp(x, trained["mlp"].weights(), "edge_mlp", gemm=True)
    logit = b.op("Squeeze", [logit, b.i64("squeeze_axis", [1])], "edge_logit")
    b.op("Sigmoid", [logit], "edge_score")
    return b.model(
        "Exa.TrkX-like edge filter (toy, zoo/models/trk_edge_filter.py). hits [H,3] = (r cm, phi rad, z cm); "
        "edge_index INT64 [2,E] = (inner, outer) hit rows; edge_score [E] = P(both hits from the same particle)."
    )


def config() -> str:
    return config_pbtxt(
        NAME,
        0,
        [("hits", "TYPE_FP32", [-1, 3]), ("edge_index", "TYPE_INT64", [2, -1])],
        [("edge_score", "TYPE_FP32", [-1])],
    )
