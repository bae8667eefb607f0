"""Toy quark and gluon jets as sets of particles, for the Deep Sets tagger.

Physics
-------
A gluon radiates with colour factor C_A = 3, a quark with C_F = 4/3, so gluon
jets fragment into *more* particles, each carrying a *smaller* share of the
jet momentum, spread over *wider* angles. Real jets show this only
statistically, with large jet-by-jet fluctuations; the toy reproduces that:

* jet kinematics: pT log-uniform in [100, 1000] GeV, |η| < 2, the same for
  both classes (so pT alone carries no information);
* multiplicity: N = 2 + a negative-binomial-like draw Poisson(μ·G),
  G ~ Gamma(k, 1/k), with μ_q = 9 + 2.6·ln(pT/100 GeV) and μ_g = 1.55 μ_q;
  the Gamma smearing (k = 6) widens both distributions, so multiplicity alone
  is far from perfect (AUC ≈ 0.72); at most P_MAX = 64 particles are kept;
* momentum sharing: particle fractions z ~ Dirichlet(α) with α_q = 0.55,
  α_g = 0.8 (larger α: more even sharing, softer leading particle);
  with more particles, gluon constituents are softer still;
* angles: each particle's (Δη, Δφ) to the jet axis is a 2-D Gaussian of
  width σ·(z·N)^(-0.35) (soft particles are wider), capped at the jet radius
  0.4, with σ_q = 0.05 and σ_g = 0.056, each times a per-jet log-normal
  factor exp(N(0, 0.35)) (jet-by-jet fluctuations of the shower); the jet
  axis is then recomputed as the pT-weighted centroid, as a clustering
  algorithm would;
* masses are neglected except that E = pT·cosh(η).

Per-particle features (the 7 ParticleNet kinematic inputs), channels-first
[N, 7, P], sorted by decreasing pT and zero-padded, with a mask [N, 1, P]:
see FEATURES. Labels: 1 = quark, 0 = gluon.
"""

from __future__ import annotations

import numpy as np

FEATURES = [
    "log_pt",  # log(pT / GeV)
    "log_e",  # log(E / GeV)
    "log_pt_rel",  # log(pT / pT_jet)
    "log_e_rel",  # log(E / E_jet)
    "delta_eta",  # η - η_jet
    "delta_phi",  # φ - φ_jet
    "delta_r",  # sqrt(Δη² + Δφ²)
]
N_FEATURES = len(FEATURES)
P_MAX = 64  # padding length used for training and the checks

TRAIN_SEED = 52_000_001
HELDOUT_SEED = 52_999_001

JET_R = 0.4


def generate(n: int, seed: int, p_max: int = P_MAX) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """n jets -> (features float32 [n, 7, p_max], mask float32 [n, 1, p_max], labels int8 [n]; 1 = quark)."""
    rng = np.random.Generator(np.random.PCG64(seed))
    quark = rng.random(n) < 0.5
    jet_pt = 100.0 * 10.0 ** rng.random(n)
    jet_eta = rng.uniform(-2.0, 2.0, n)
    mu_q = 9.0 + 2.6 * np.log(jet_pt / 100.0)
    mu = np.where(quark, mu_q, 1.55 * mu_q)
    k = 6.0
    mult = 2 + rng.poisson(mu * rng.gamma(k, 1.0 / k, n))
    mult = np.minimum(mult, p_max)

    feats = np.zeros((n, N_FEATURES, p_max), dtype=np.float32)
    mask = np.zeros((n, 1, p_max), dtype=np.float32)
    alpha = np.where(quark, 0.55, 0.8)
    sigma = np.where(quark, 0.05, 0.056) * np.exp(rng.normal(0.0, 0.35, n))
    for i in range(n):
        m = int(mult[i])
        z = rng.dirichlet(np.full(m, alpha[i]))
        z = np.sort(z)[::-1]
        width = sigma[i] * (z * m) ** -0.35
        deta = rng.normal(0.0, 1.0, m) * width
        dphi = rng.normal(0.0, 1.0, m) * width
        dr = np.hypot(deta, dphi)
        scale = np.minimum(1.0, JET_R / np.maximum(dr, 1e-12))
        deta, dphi = deta * scale, dphi * scale
        pt = z * jet_pt[i]
        # Recluster: the axis is the pT-weighted centroid of the constituents.
        deta -= np.dot(z, deta)
        dphi -= np.dot(z, dphi)
        eta = jet_eta[i] + deta
        e = pt * np.cosh(eta)
        pt_jet, e_jet = pt.sum(), e.sum()
        feats[i, 0, :m] = np.log(pt)
        feats[i, 1, :m] = np.log(e)
        feats[i, 2, :m] = np.log(pt / pt_jet)
        feats[i, 3, :m] = np.log(e / e_jet)
        feats[i, 4, :m] = deta
        feats[i, 5, :m] = dphi
        feats[i, 6, :m] = np.hypot(deta, dphi)
        mask[i, 0, :m] = 1.0
    return feats, mask, quark.astype(np.int8)
