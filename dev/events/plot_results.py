"""Physics plots of an `offload events run --output results.npz` file (numpy + matplotlib, from .venv).

    .venv/bin/python dev/events/plot_results.py results.npz --out docs/images/events/physics.png
"""

from __future__ import annotations

import argparse

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    r = np.load(args.results)
    fig, axes = plt.subplots(2, 3, figsize=(14, 8))
    bins = np.linspace(0, 1, 41)

    ax = axes[0, 0]
    ghost = r["track_is_ghost"]
    ax.hist(r["ghost_prob"][~ghost], bins=bins, histtype="step", density=True, label="real tracks")
    ax.hist(r["ghost_prob"][ghost], bins=bins, histtype="step", density=True, label="ghosts")
    ax.set(xlabel="lhcb_ghost_mlp ghost_prob", ylabel="density", yscale="log", title="ghost-track classifier")
    ax.legend()

    ax = axes[0, 1]
    quark = r["jet_is_quark"]
    ax.hist(r["prob_quark"][quark], bins=bins, histtype="step", density=True, label="quark jets")
    ax.hist(r["prob_quark"][~quark], bins=bins, histtype="step", density=True, label="gluon jets")
    ax.set(xlabel="jet_tagger_qg prob_quark", ylabel="density", title="quark/gluon tagger")
    ax.legend()

    ax = axes[0, 2]
    sel = r["true_energy"] >= 5
    residual = r["energy"][sel] / r["true_energy"][sel] - 1
    ax.hist(residual, bins=np.linspace(-0.5, 0.5, 81), histtype="step")
    ax.set(xlabel="E_pred / E_true - 1 (E_true >= 5 GeV)", ylabel="channels", title="hcal_facile energy")

    ax = axes[1, 0]
    d = r["met_xy"] - r["true_met_xy"]
    ax.hist(d[:, 0], bins=40, histtype="step", label="x")
    ax.hist(d[:, 1], bins=40, histtype="step", label="y")
    ax.set(xlabel="MET_pred - MET_true (GeV)", ylabel="events", title="deepmet_toy")
    ax.legend()

    ax = axes[1, 1]
    true_edge = r["edge_is_true"]
    ax.hist(r["edge_score"][true_edge], bins=bins, histtype="step", density=True, label="true edges")
    ax.hist(r["edge_score"][~true_edge], bins=bins, histtype="step", density=True, label="fake edges")
    ax.set(xlabel="trk_edge_filter edge_score", ylabel="density", yscale="log", title="tracking edge filter")
    ax.legend()

    ax = axes[1, 2]
    for scores, labels, name in (
        (r["ghost_prob"], ghost, "ghost vs real"),
        (r["prob_quark"], quark, "quark vs gluon"),
        (r["edge_score"], true_edge, "true vs fake edge"),
    ):
        order = np.argsort(-scores, kind="stable")
        lab = labels[order]
        tpr = np.cumsum(lab) / max(1, lab.sum())
        fpr = np.cumsum(~lab) / max(1, (~lab).sum())
        ax.plot(fpr, tpr, label=name)
    ax.set(xlabel="background efficiency", ylabel="signal efficiency", title="ROC curves")
    ax.legend()
    fig.suptitle(f"offload events: {len(r['event_index'])} events")
    fig.tight_layout()
    fig.savefig(args.out, dpi=90)


if __name__ == "__main__":
    main()
