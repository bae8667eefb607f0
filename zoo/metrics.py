"""Metrics shared by training (for progress reports) and zoo/physics_checks.py."""

from __future__ import annotations

import numpy as np


def roc_auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney U), ties counted as one half.

    labels: 1 = signal (the class that should score high), 0 = background.
    """
    s = np.asarray(scores, dtype=np.float64).ravel()
    y = np.asarray(labels).ravel().astype(bool)
    n_pos = int(y.sum())
    n_neg = y.size - n_pos
    if n_pos == 0 or n_neg == 0:
        raise ValueError("roc_auc needs both classes")
    order = np.argsort(s, kind="stable")
    s_sorted = s[order]
    # Average rank (1-based) of every tie group.
    starts = np.flatnonzero(np.r_[True, s_sorted[1:] != s_sorted[:-1]])
    ends = np.r_[starts[1:], s_sorted.size]
    avg_rank = (starts + ends + 1) / 2.0
    ranks = np.empty_like(s)
    ranks[order] = np.repeat(avg_rank, ends - starts)
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def separation_auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """max(AUC, 1 - AUC): how well one variable separates, whichever way it cuts."""
    a = roc_auc(scores, labels)
    return max(a, 1.0 - a)


def best_efficiency_at_purity(scores: np.ndarray, labels: np.ndarray, min_purity: float) -> tuple[float, float, float]:
    """Highest signal efficiency of a cut `score >= t` whose purity is >= min_purity.

    Returns (efficiency, purity at that cut, threshold t); (0, nan, inf) if no cut reaches min_purity.
    """
    s = np.asarray(scores, dtype=np.float64).ravel()
    y = np.asarray(labels).ravel().astype(bool)
    order = np.argsort(-s, kind="stable")
    s_sorted = s[order]
    tp = np.cumsum(y[order])
    n = np.arange(1, s.size + 1)
    # Only cut between distinct scores.
    last_of_group = np.r_[s_sorted[1:] != s_sorted[:-1], True]
    tp, n, thr = tp[last_of_group], n[last_of_group], s_sorted[last_of_group]
    purity = tp / n
    ok = purity >= min_purity
    if not ok.any():
        return 0.0, float("nan"), float("inf")
    i = int(np.flatnonzero(ok)[np.argmax(tp[ok])])
    return float(tp[i] / y.sum()), float(purity[i]), float(thr[i])


def quantile_sigma(residuals: np.ndarray) -> float:
    """Half the central 68.27 % interval: a Gaussian sigma that ignores far tails."""
    lo, hi = np.quantile(np.asarray(residuals, dtype=np.float64), [0.158655, 0.841345])
    return float((hi - lo) / 2.0)
