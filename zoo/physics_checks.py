"""Physics checks of the model zoo on seeded held-out toy data.

Every check regenerates its held-out sample (a seed different from training,
see zoo/toysim), runs the model through a `predict` callable and compares the
physics metric with the thresholds of issue 5, plus an upper sanity bound (a
too-good result means the toy leaks its label). `predict` has the signature

    predict(model_name, inputs: dict[str, np.ndarray], outputs: list[str], sequence=None) -> dict[str, np.ndarray]

(sequence: (sequence_id, start, end) for a stateful model's request)

so the same check runs in-process (OrtPredictor, onnxruntime) and through a
server (GrpcPredictor, tritonclient.grpc). Requests are cut into fixed,
deterministic batches, so two predictors see identical requests and their
outputs (CheckResult.outputs) can be compared element by element.

    .venv/bin/python -m zoo.physics_checks                        # in-process, models/
    .venv/bin/python -m zoo.physics_checks --url 127.0.0.1:8001   # through a server
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from zoo.metrics import best_efficiency_at_purity, quantile_sigma, roc_auc, separation_auc
from zoo.models import lhcb_ghost_filter, pulse_stream_tagger
from zoo.toysim import deepmet, hcal, jets, lhcb_tracks, pulse_stream, tracking

# predict(model, inputs, outputs, sequence=None); sequence = (sequence_id, start, end) for a stateful model.
Predict = Callable[..., dict[str, np.ndarray]]

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODELS = REPO_ROOT / "models"

# Held-out sample sizes and request sizes.
N_TRACKS, TRACK_BATCH = 100_000, 4096
N_JETS, JET_BATCH = 20_000, 1024
N_CHANNELS, CHANNEL_BATCH = 65_536, 16_384  # ~16k rows per request, as a real HCAL event
N_MET_EVENTS, MET_BATCH = 3_000, 100
N_TRACK_EVENTS = 20

# Thresholds (issue 5) and sanity bounds.
GHOST_MIN_AUC, GHOST_MIN_GAIN, GHOST_MAX_AUC = 0.97, 0.10, 0.999
JET_MIN_AUC, JET_MIN_GAIN, JET_MAX_AUC, JET_PADDING_TOL = 0.77, 0.03, 0.95, 1e-5
HCAL_MAX_RATIO, HCAL_MAX_BIAS, HCAL_MIN_RATIO, HCAL_MIN_ENERGY = 0.7, 0.02, 0.2, 5.0
MET_MAX_RATIO, MET_MIN_RATIO = 0.8, 0.2
TRK_MIN_AUC, TRK_MIN_EFF, TRK_PURITY, TRK_MAX_AUC = 0.96, 0.95, 0.85, 0.999
# The ghost filter's cut keeps 98 % of real calibration tracks; on the held-out sample within 1 %.
FILTER_MIN_REAL_EFF, FILTER_MAX_REAL_EFF, FILTER_MIN_GHOST_REJ = 0.97, 0.99, 0.80

# Ensembles, run step by step in-process (a server runs them itself): model -> its steps.
PIPELINES = {lhcb_ghost_filter.NAME: lhcb_ghost_filter.STEPS}
# Stateful models, whose state and START control the in-process predictor feeds as a server does:
# model -> (state input, state output, START control input).
STATEFUL = {pulse_stream_tagger.NAME: (pulse_stream_tagger.STATE_IN, pulse_stream_tagger.STATE_OUT, pulse_stream_tagger.START)}
# The pulse tagger: held-out streams and chunks (each chunk one request), and its thresholds. The gain is over
# the same model with every chunk sent as a sequence of its own (no memory of the pedestal).
N_PULSE_STREAMS, N_PULSE_CHUNKS, PULSE_SEQUENCE_BASE = 24, 300, 7_100_000
PULSE_MIN_AUC, PULSE_MIN_GAIN, PULSE_MAX_AUC, PULSE_MAX_PEDESTAL_RMS = 0.92, 0.05, 0.995, 3.5


@dataclass
class Requirement:
    what: str
    value: float
    op: str  # ">=", "<=", "<"
    bound: float

    @property
    def passed(self) -> bool:
        if not np.isfinite(self.value):
            return False
        return {">=": self.value >= self.bound, "<=": self.value <= self.bound, "<": self.value < self.bound}[self.op]

    def __str__(self) -> str:
        return f"{'ok  ' if self.passed else 'FAIL'} {self.what} = {self.value:.6g} (required {self.op} {self.bound:g})"


@dataclass
class CheckResult:
    model: str
    metrics: dict[str, float]
    requirements: list[Requirement]
    outputs: dict[str, np.ndarray] = field(repr=False)

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.requirements)

    def report(self) -> str:
        lines = [f"{self.model}: {'PASS' if self.passed else 'FAIL'}"]
        lines += [f"  {k} = {v:.6g}" for k, v in self.metrics.items()]
        lines += [f"  {r}" for r in self.requirements]
        return "\n".join(lines)


def _batched(predict: Predict, model: str, inputs: dict[str, np.ndarray], outputs: list[str], batch: int) -> dict[str, np.ndarray]:
    n = len(next(iter(inputs.values())))
    parts: dict[str, list[np.ndarray]] = {o: [] for o in outputs}
    for start in range(0, n, batch):
        res = predict(model, {k: v[start : start + batch] for k, v in inputs.items()}, outputs)
        for o in outputs:
            parts[o].append(res[o])
    return {o: np.concatenate(p) for o, p in parts.items()}


# --------------------------------------------------------------------------
# held-out samples (cached: a test runs each check through two predictors)
# --------------------------------------------------------------------------


@functools.cache
def heldout_tracks():
    return lhcb_tracks.generate(N_TRACKS, lhcb_tracks.HELDOUT_SEED)


@functools.cache
def heldout_jets():
    return jets.generate(N_JETS, jets.HELDOUT_SEED)


@functools.cache
def heldout_hcal():
    return hcal.generate(N_CHANNELS, hcal.HELDOUT_SEED)


@functools.cache
def heldout_met():
    return deepmet.generate(N_MET_EVENTS, deepmet.HELDOUT_SEED)


@functools.cache
def heldout_pulse_streams():
    return pulse_stream.generate(N_PULSE_STREAMS, N_PULSE_CHUNKS, pulse_stream.HELDOUT_SEED)


@functools.cache
def heldout_tracking():
    return tracking.generate(N_TRACK_EVENTS, tracking.HELDOUT_SEED)


# --------------------------------------------------------------------------
# checks
# --------------------------------------------------------------------------


def _ghost_check(predict: Predict, model: str, dtype) -> CheckResult:
    x, y = heldout_tracks()
    out = _batched(predict, model, {"features": x.astype(dtype)}, ["ghost_prob"], TRACK_BATCH)
    prob = out["ghost_prob"]
    if prob.shape != (len(x), 1) or prob.dtype != dtype:
        raise AssertionError(f"{model}: ghost_prob has shape {prob.shape} dtype {prob.dtype}")
    auc = roc_auc(prob[:, 0], y)
    best_name, best = max(((f, separation_auc(x[:, i], y)) for i, f in enumerate(lhcb_tracks.FEATURES)), key=lambda t: t[1])
    return CheckResult(
        model,
        {"ROC AUC": auc, f"best single feature AUC ({best_name})": best, "ghost fraction": float(y.mean())},
        [
            Requirement("ROC AUC", auc, ">=", GHOST_MIN_AUC),
            Requirement("ROC AUC - best single feature AUC", auc - best, ">=", GHOST_MIN_GAIN),
            Requirement("ROC AUC (sanity: no label leak)", auc, "<=", GHOST_MAX_AUC),
        ],
        out,
    )


def check_lhcb_ghost_mlp(predict: Predict) -> CheckResult:
    return _ghost_check(predict, "lhcb_ghost_mlp", np.float32)


def check_lhcb_ghost_mlp_fp16(predict: Predict) -> CheckResult:
    return _ghost_check(predict, "lhcb_ghost_mlp_fp16", np.float16)


def check_lhcb_ghost_filter(predict: Predict) -> CheckResult:
    """The ensemble: its ghost_prob is the classifier's, bit for bit; is_ghost is one cut on it, at the
    calibrated real-track efficiency."""
    model = lhcb_ghost_filter.NAME
    x, y = heldout_tracks()
    out = _batched(predict, model, {"features": x}, ["ghost_prob", "is_ghost"], TRACK_BATCH)
    prob, flag = out["ghost_prob"], out["is_ghost"]
    if prob.shape != (len(x), 1) or prob.dtype != np.float32 or flag.shape != (len(x), 1) or flag.dtype != np.bool_:
        raise AssertionError(f"{model}: ghost_prob {prob.shape} {prob.dtype}, is_ghost {flag.shape} {flag.dtype}")
    alone = _batched(predict, lhcb_ghost_filter.CLASSIFIER, {"features": x}, ["ghost_prob"], TRACK_BATCH)["ghost_prob"]
    differ = int(np.count_nonzero(alone.view(np.uint32) != prob.view(np.uint32))) if alone.shape == prob.shape else len(x)
    prob, flag = prob[:, 0], flag[:, 0]
    real_eff = float(np.mean(~flag[y == 0]))
    ghost_rej = float(np.mean(flag[y == 1]))
    # One threshold: every flagged track has a higher ghost_prob than every kept one.
    overlap = float(prob[~flag].max() - prob[flag].min())
    return CheckResult(
        model,
        {
            "real-track efficiency": real_eff,
            "ghost rejection": ghost_rej,
            "cut (lowest flagged ghost_prob)": float(prob[flag].min()),
            "tracks kept": float(np.mean(~flag)),
        },
        [
            Requirement("real-track efficiency", real_eff, ">=", FILTER_MIN_REAL_EFF),
            Requirement("real-track efficiency (calibrated to 0.98)", real_eff, "<=", FILTER_MAX_REAL_EFF),
            Requirement("ghost rejection", ghost_rej, ">=", FILTER_MIN_GHOST_REJ),
            Requirement("highest kept - lowest flagged ghost_prob", overlap, "<", 0.0),
            Requirement("ghost_prob rows differing from lhcb_ghost_mlp alone", differ, "<=", 0),
        ],
        {"ghost_prob": prob[:, None], "is_ghost": flag[:, None]},
    )


def stream_through(predict: Predict, samples: np.ndarray, stateless: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Every chunk of every stream, one request each, streams interleaved chunk by chunk; each stream is one
    sequence (stateless: every chunk starts and ends a sequence of its own) -> pulse_prob, pedestal [streams, chunks]."""
    model = pulse_stream_tagger.NAME
    n_streams, n_chunks, _ = samples.shape
    prob = np.empty((n_streams, n_chunks), np.float32)
    pedestal = np.empty((n_streams, n_chunks), np.float32)
    for c in range(n_chunks):
        for s in range(n_streams):
            sequence = (PULSE_SEQUENCE_BASE + s, stateless or c == 0, stateless or c == n_chunks - 1)
            out = predict(model, {"samples": samples[s, c][None]}, ["pulse_prob", "pedestal"], sequence=sequence)
            if out["pulse_prob"].shape != (1, 1) or out["pedestal"].shape != (1, 1):
                raise AssertionError(f"{model}: shapes {out['pulse_prob'].shape}, {out['pedestal'].shape}")
            prob[s, c], pedestal[s, c] = out["pulse_prob"][0, 0], out["pedestal"][0, 0]
    return prob, pedestal


def check_pulse_stream_tagger(predict: Predict) -> CheckResult:
    model = pulse_stream_tagger.NAME
    x, y, truth = heldout_pulse_streams()
    prob, pedestal = stream_through(predict, x)
    alone, _ = stream_through(predict, x, stateless=True)
    auc, auc_alone = roc_auc(prob.ravel(), y.ravel()), roc_auc(alone.ravel(), y.ravel())
    rms = float(np.sqrt(np.mean((pedestal.astype(np.float64) - truth) ** 2)))
    swing = float(np.mean(truth.max(axis=1) - truth.min(axis=1)))
    return CheckResult(
        model,
        {
            "ROC AUC (each stream one sequence)": auc,
            "ROC AUC (each chunk its own sequence: no pedestal memory)": auc_alone,
            "pedestal RMS error (counts)": rms,
            "mean pedestal swing per stream (counts)": swing,
            "pulse fraction": float(y.mean()),
        },
        [
            Requirement("ROC AUC", auc, ">=", PULSE_MIN_AUC),
            Requirement("ROC AUC - AUC without pedestal memory", auc - auc_alone, ">=", PULSE_MIN_GAIN),
            Requirement("ROC AUC (sanity: no label leak)", auc, "<=", PULSE_MAX_AUC),
            Requirement("pedestal RMS error (counts)", rms, "<=", PULSE_MAX_PEDESTAL_RMS),
        ],
        {"pulse_prob": prob, "pedestal": pedestal},
    )


def jet_requests(feats: np.ndarray, mask: np.ndarray):
    """Deterministic request batches, each trimmed to its longest jet (so P varies between requests)."""
    mult = mask[:, 0, :].sum(axis=1).astype(np.int64)
    for start in range(0, len(feats), JET_BATCH):
        p = int(mult[start : start + JET_BATCH].max())
        yield feats[start : start + JET_BATCH, :, :p], mask[start : start + JET_BATCH, :, :p]


def jet_padding_difference(predict: Predict, model: str = "jet_tagger_qg", n: int = 512, extra: int = 37) -> float:
    """Max |Δ prob_quark| between a request and the same jets with `extra` more zero-padded particles."""
    feats, mask, _ = heldout_jets()
    f, m = next(jet_requests(feats[:n], mask[:n]))
    base = predict(model, {"pf_features": f, "pf_mask": m}, ["prob_quark"])["prob_quark"]
    fp = np.concatenate([f, np.zeros((n, f.shape[1], extra), np.float32)], axis=2)
    mp = np.concatenate([m, np.zeros((n, 1, extra), np.float32)], axis=2)
    padded = predict(model, {"pf_features": fp, "pf_mask": mp}, ["prob_quark"])["prob_quark"]
    return float(np.max(np.abs(padded.astype(np.float64) - base)))


def check_jet_tagger_qg(predict: Predict) -> CheckResult:
    model = "jet_tagger_qg"
    feats, mask, y = heldout_jets()
    parts = [predict(model, {"pf_features": f, "pf_mask": m}, ["prob_quark"])["prob_quark"] for f, m in jet_requests(feats, mask)]
    prob = np.concatenate(parts)
    if prob.shape != (len(y), 1):
        raise AssertionError(f"{model}: prob_quark has shape {prob.shape}")
    auc = roc_auc(prob[:, 0], y)
    mult_auc = separation_auc(mask[:, 0, :].sum(axis=1), y)
    pad = jet_padding_difference(predict, model)
    return CheckResult(
        model,
        {"ROC AUC (quark vs gluon)": auc, "multiplicity-only AUC": mult_auc, "max |Δ| with 37 extra padded particles": pad},
        [
            Requirement("ROC AUC", auc, ">=", JET_MIN_AUC),
            Requirement("ROC AUC - multiplicity-only AUC", auc - mult_auc, ">=", JET_MIN_GAIN),
            Requirement("ROC AUC (sanity: no label leak)", auc, "<=", JET_MAX_AUC),
            Requirement("padding invariance max |Δ prob_quark|", pad, "<=", JET_PADDING_TOL),
        ],
        {"prob_quark": prob},
    )


def check_hcal_facile(predict: Predict) -> CheckResult:
    model = "hcal_facile"
    pulses, channel, energy = heldout_hcal()
    out = _batched(predict, model, {"pulses": pulses, "channel": channel}, ["energy"], CHANNEL_BATCH)
    pred = out["energy"]
    if pred.shape != (len(energy), 1):
        raise AssertionError(f"{model}: energy has shape {pred.shape}")
    sel = energy >= HCAL_MIN_ENERGY
    r = pred[sel, 0].astype(np.float64) / energy[sel] - 1.0
    s = pulses[sel].sum(axis=1).astype(np.float64)
    calib = np.median(energy[sel] / s)  # the baseline's best global calibration, fitted on this very sample
    r_sum = calib * s / energy[sel] - 1.0
    res, res_sum, bias = quantile_sigma(r), quantile_sigma(r_sum), float(np.median(r))
    return CheckResult(
        model,
        {
            f"relative resolution (E ≥ {HCAL_MIN_ENERGY:g} GeV)": res,
            "simple-sum relative resolution": res_sum,
            "median relative bias": bias,
            "RMS relative error": float(np.sqrt(np.mean(r * r))),
        },
        [
            Requirement("resolution / simple-sum resolution", res / res_sum, "<=", HCAL_MAX_RATIO),
            Requirement("|median bias|", abs(bias), "<", HCAL_MAX_BIAS),
            Requirement("resolution / simple-sum resolution (sanity)", res / res_sum, ">=", HCAL_MIN_RATIO),
        ],
        out,
    )


def met_requests(cont, cat, mask):
    """Deterministic request batches, each trimmed to its largest candidate count."""
    n_cand = mask.sum(axis=1)
    for start in range(0, len(cont), MET_BATCH):
        p = int(n_cand[start : start + MET_BATCH].max())
        sl = slice(start, start + MET_BATCH)
        yield {"pf_cont": cont[sl, :p], "pf_cat": cat[sl, :p], "pf_mask": mask[sl, :p]}


def check_deepmet_toy(predict: Predict) -> CheckResult:
    model = "deepmet_toy"
    cont, cat, mask, truth = heldout_met()
    mets, weights, max_w_pad, w_range = [], [], 0.0, [np.inf, -np.inf]
    for req in met_requests(cont, cat, mask):
        res = predict(model, req, ["met_xy", "weights"])
        w = res["weights"]
        if res["met_xy"].shape != (len(w), 2) or w.shape != req["pf_mask"].shape:
            raise AssertionError(f"{model}: shapes {res['met_xy'].shape}, {w.shape}")
        mets.append(res["met_xy"])
        weights.append(np.pad(w, ((0, 0), (0, cont.shape[1] - w.shape[1]))))
        max_w_pad = max(max_w_pad, float(np.abs(w[~req["pf_mask"]]).max(initial=0.0)))
        w_range = [min(w_range[0], float(w.min())), max(w_range[1], float(w.max()))]
    met = np.concatenate(mets).astype(np.float64)
    px, py = cont[..., 3] * mask, cont[..., 4] * mask
    pf = -np.stack([px.sum(axis=1), py.sum(axis=1)], axis=1)
    chs = mask & (cat[..., 2] != 0)
    chs_met = -np.stack([(cont[..., 3] * chs).sum(axis=1), (cont[..., 4] * chs).sum(axis=1)], axis=1)

    def rms(m):
        return float(np.sqrt(np.mean((m - truth) ** 2)))

    res, res_pf, res_chs = rms(met), rms(pf), rms(chs_met)
    # Recoil components relative to the true W direction are not available here; the
    # residual is the same vector as the recoil residual (the lepton is common to both).
    return CheckResult(
        model,
        {
            "MET resolution (RMS per component, GeV)": res,
            "PF-MET resolution (GeV)": res_pf,
            "CHS-MET resolution (GeV)": res_chs,
            "mean response |met| / |true|": float(np.mean(np.hypot(*met.T)) / np.mean(np.hypot(*truth.T))),
        },
        [
            Requirement("resolution / PF-MET resolution", res / res_pf, "<=", MET_MAX_RATIO),
            Requirement("resolution / CHS-MET resolution", res / res_chs, "<=", 1.0),
            Requirement("resolution / PF-MET resolution (sanity)", res / res_pf, ">=", MET_MIN_RATIO),
            Requirement("max |weight| on padding", max_w_pad, "<=", 0.0),
            Requirement("min weight", w_range[0], ">=", 0.0),
            Requirement("max weight", w_range[1], "<=", 1.0),
        ],
        {"met_xy": np.concatenate(mets), "weights": np.concatenate(weights)},
    )


def check_trk_edge_filter(predict: Predict) -> CheckResult:
    model = "trk_edge_filter"
    scores, labels = [], []
    for hits, edges, lab in heldout_tracking():
        s = predict(model, {"hits": hits, "edge_index": edges}, ["edge_score"])["edge_score"]
        if s.shape != (edges.shape[1],):
            raise AssertionError(f"{model}: edge_score has shape {s.shape}, expected ({edges.shape[1]},)")
        scores.append(s)
        labels.append(lab)
    s, y = np.concatenate(scores), np.concatenate(labels)
    auc = roc_auc(s, y)
    eff, pur, thr = best_efficiency_at_purity(s, y, TRK_PURITY)
    return CheckResult(
        model,
        {"ROC AUC": auc, f"efficiency at purity ≥ {TRK_PURITY}": eff, "purity at that cut": pur, "score cut": thr, "true edge fraction": float(y.mean())},
        [
            Requirement("ROC AUC", auc, ">=", TRK_MIN_AUC),
            Requirement(f"efficiency at purity ≥ {TRK_PURITY}", eff, ">=", TRK_MIN_EFF),
            Requirement("ROC AUC (sanity: no label leak)", auc, "<=", TRK_MAX_AUC),
        ],
        {"edge_score": s},
    )


CHECKS: dict[str, Callable[[Predict], CheckResult]] = {
    "lhcb_ghost_mlp": check_lhcb_ghost_mlp,
    "lhcb_ghost_mlp_fp16": check_lhcb_ghost_mlp_fp16,
    "jet_tagger_qg": check_jet_tagger_qg,
    "hcal_facile": check_hcal_facile,
    "deepmet_toy": check_deepmet_toy,
    "trk_edge_filter": check_trk_edge_filter,
    "lhcb_ghost_filter": check_lhcb_ghost_filter,
    "pulse_stream_tagger": check_pulse_stream_tagger,
}


def models_for(trainers: list[str]) -> list[str]:
    """Model names written by the given trainers (lhcb_ghost_mlp also writes the FP16 variant)."""
    return [m for m in CHECKS if any(m == t or m.startswith(t + "_") for t in trainers)]


# --------------------------------------------------------------------------
# predictors
# --------------------------------------------------------------------------


class OrtPredictor:
    """In-process onnxruntime (CPU) on <models_dir>/<model>/1/model.onnx.

    Session options match Offload's defaults (docs/configuration.md): one
    intra-op and one inter-op thread, sequential execution, all graph
    optimizations. With a multi-threaded pool onnxruntime may split a
    reduction (the masked sums of jet_tagger_qg and deepmet_toy) differently
    and change the last bit of a result, which the bit-exact comparison of
    served and in-process outputs would report.
    """

    def __init__(self, models_dir: Path | str = DEFAULT_MODELS) -> None:
        self.models_dir = Path(models_dir)
        self._sessions: dict = {}
        self._states: dict = {}

    def session(self, model: str):
        import onnxruntime as ort

        if model not in self._sessions:
            path = self.models_dir / model / "1" / "model.onnx"
            opts = ort.SessionOptions()
            opts.intra_op_num_threads = 1
            opts.inter_op_num_threads = 1
            opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
            opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            self._sessions[model] = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        return self._sessions[model]

    def __call__(self, model: str, inputs: dict[str, np.ndarray], outputs: list[str], sequence=None) -> dict[str, np.ndarray]:
        if model in STATEFUL:
            # As the server's sequence batcher: the START control, and the sequence's state fed back.
            state_in, state_out, start_input = STATEFUL[model]
            if sequence is None:
                raise AssertionError(f"{model} is stateful: pass sequence=(id, start, end)")
            sequence_id, start, end = sequence
            rows = len(next(iter(inputs.values())))
            state = np.zeros((rows, 1), np.float32) if start else self._states[(model, sequence_id)]
            feeds = dict(inputs, **{state_in: state, start_input: np.full((rows, 1), float(start), np.float32)})
            values = self.session(model).run(outputs + [state_out], feeds)
            if end:
                self._states.pop((model, sequence_id), None)
            else:
                self._states[(model, sequence_id)] = values[-1]
            return dict(zip(outputs, values[:-1]))
        if model in PIPELINES:
            # An ensemble by hand: each step on the tensors the steps before it produced.
            tensors = dict(inputs)
            for step, step_inputs, step_outputs in PIPELINES[model]:
                produced = self(step, {k: tensors[v] for k, v in step_inputs.items()}, list(step_outputs))
                tensors.update({step_outputs[k]: value for k, value in produced.items()})
            return {o: tensors[o] for o in outputs}
        return dict(zip(outputs, self.session(model).run(outputs, inputs)))


class GrpcPredictor:
    """A Triton-compatible server through tritonclient.grpc (KServe v2)."""

    def __init__(self, url: str, timeout_s: float = 60.0) -> None:
        import tritonclient.grpc as grpcclient

        self._grpc = grpcclient
        self.client = grpcclient.InferenceServerClient(url=url)
        self.timeout_s = timeout_s

    def __call__(self, model: str, inputs: dict[str, np.ndarray], outputs: list[str], sequence=None) -> dict[str, np.ndarray]:
        g = self._grpc
        infer_inputs = []
        for name, array in inputs.items():
            array = np.ascontiguousarray(array)
            inp = g.InferInput(name, list(array.shape), g.np_to_triton_dtype(array.dtype))
            inp.set_data_from_numpy(array)
            infer_inputs.append(inp)
        sequence_id, start, end = sequence or (0, False, False)
        result = self.client.infer(
            model,
            infer_inputs,
            outputs=[g.InferRequestedOutput(o) for o in outputs],
            client_timeout=self.timeout_s,
            sequence_id=sequence_id,
            sequence_start=start,
            sequence_end=end,
        )
        return {o: result.as_numpy(o) for o in outputs}

    def close(self) -> None:
        self.client.close()


def run_all(predict: Predict, log=print, only: list[str] | None = None) -> bool:
    ok = True
    for name, check in CHECKS.items():
        if only is not None and name not in only:
            continue
        result = check(predict)
        log(result.report())
        ok &= result.passed
    log("all physics checks passed" if ok else "SOME PHYSICS CHECKS FAILED")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="host:port of a Triton-compatible gRPC server (default: in-process onnxruntime)")
    parser.add_argument("--models-dir", type=Path, default=DEFAULT_MODELS)
    parser.add_argument("--only", action="append", choices=sorted(CHECKS))
    args = parser.parse_args()
    timeout = float(os.environ.get("OFFLOAD_GRPC_RPC_TIMEOUT", "60"))
    predict = GrpcPredictor(args.url, timeout) if args.url else OrtPredictor(args.models_dir)
    return 0 if run_all(predict, print, args.only) else 1


if __name__ == "__main__":
    sys.exit(main())
