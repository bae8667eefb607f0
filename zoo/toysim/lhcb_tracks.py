"""Toy LHCb long tracks and ghosts for the ghost-probability classifier.

Physics
-------
An LHCb *long track* is a VELO segment (vertex locator, before the magnet)
matched to a SciFi T-station segment (after the magnet), optionally confirmed
by UT hits in between, then refitted with a Kalman filter. A *ghost* is a
track that does not correspond to one charged particle: mostly a wrong
VELO-T match or a T segment built from hits of several particles. Ghosts get
more frequent with detector occupancy (number of primary vertices).

Each track carries a hidden "ghostness" g: 0 for real tracks; for ghosts
g ~ Beta(3, 1) on (0, 1], so most ghosts are clearly wrong combinations but a
tail of ghosts (small g, e.g. two segments of nearly collinear particles)
looks almost real. Every feature distribution is an interpolation between its
real-track and its full-ghost form by g. No single feature separates well;
the separation comes from combining many weak, partly nonlinear handles:

* chi2 per degree of freedom of the VELO and of the T segments:
  chi2(ndf)/ndf for real tracks, inflated for ghosts; real tracks at low
  momentum are inflated too (multiple scattering under-modelled by the fit,
  factor 1 + 4 GeV/p), so the chi2 has to be read together with p; the full
  fit chi2/ndf combines both segments, half the matching chi2 and the UT hits;
* VELO-T matching chi2 (4 dof) and the signed slope mismatch pull Δty
  (Gaussian, width grows with g: only |Δty| matters, a handle a linear
  classifier cannot use);
* hit counts: VELO hits relative to the expected number (which grows with η),
  UT hits out of 4 layers, SciFi hits out of 12, outliers removed by the fit,
  VELO hits shared with other tracks (grows with occupancy);
* kinematics: ghosts are reconstructed at lower momentum;
* event occupancy (number of PVs, 1 + Poisson(4.5)): raises the ghost rate
  (8 % + 3.5 % per PV, about 27 % on average) and the number of shared hits,
  for real tracks as well;
* a matching-algorithm quality score.

Features (FP32 [N, 17], in this order): see FEATURES.
Labels: 1 = ghost, 0 = real track.
"""

from __future__ import annotations

import numpy as np

FEATURES = [
    "track_chi2ndof",  # full Kalman fit chi2 / ndf
    "velo_chi2ndof",  # VELO segment chi2 / ndf
    "t_chi2ndof",  # T (SciFi) segment chi2 / ndf
    "match_chi2",  # VELO-T matching chi2 (4 dof)
    "n_velo_hits",
    "n_velo_holes",  # expected minus found VELO hits
    "n_ut_hits",  # out of 4 UT layers
    "n_t_hits",  # out of 12 SciFi layers
    "n_t_outliers",  # hits removed by the fit
    "log10_p",  # log10(p / GeV)
    "pt",  # GeV
    "eta",
    "ut_residual_rms",  # UT hit residual RMS in units of sigma (0 if no UT hits)
    "n_shared_velo_hits",
    "delta_ty_pull",  # signed VELO-T slope mismatch / its error
    "n_pv",  # primary vertices in the event
    "match_quality",  # matching algorithm score in (0, 1)
]
N_FEATURES = len(FEATURES)

TRAIN_SEED = 51_000_001
HELDOUT_SEED = 51_999_001


def _lerp(a, b, g):
    return a + (b - a) * g


def generate(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """n tracks -> (features float32 [n, 17], labels int8 [n]; 1 = ghost)."""
    rng = np.random.Generator(np.random.PCG64(seed))
    n_pv = 1 + rng.poisson(4.5, n)
    p_ghost = np.clip(0.08 + 0.035 * n_pv, 0.0, 0.6)
    ghost = rng.random(n) < p_ghost
    g = np.where(ghost, rng.beta(3.0, 1.0, n), 0.0)

    log10_p = np.where(ghost, rng.normal(0.75, 0.35, n), rng.normal(1.0, 0.35, n))
    log10_p = np.clip(log10_p, np.log10(2.0), np.log10(300.0))
    p = 10.0**log10_p
    eta = 2.0 + 3.0 * rng.beta(np.where(ghost, 1.4, 1.1), 1.1, n)
    pt = p / np.cosh(eta)
    ms = 1.0 + 4.0 / p  # low-momentum chi2 inflation (multiple scattering)

    n_velo_exp = np.round(8.0 + 3.0 * (eta - 2.0)).astype(np.int64)
    n_velo = rng.binomial(n_velo_exp, _lerp(0.97, 0.88, g))
    n_velo = np.maximum(n_velo, 3)
    n_ut = rng.binomial(4, _lerp(0.93, 0.65, g))
    n_t = np.maximum(rng.binomial(12, _lerp(0.96, 0.86, g)), 6)
    n_out = rng.poisson(_lerp(0.25, 0.9, g))

    ndf_velo = 2 * n_velo - 4
    ndf_t = 2 * n_t - 5
    ndf = ndf_velo + ndf_t + n_ut
    velo_chi2 = rng.chisquare(ndf_velo) / ndf_velo * _lerp(1.0, 1.25, g) * np.sqrt(ms)
    t_chi2 = rng.chisquare(ndf_t) / ndf_t * _lerp(1.0, 1.35, g) * np.sqrt(ms)
    match_chi2 = rng.chisquare(4, n) * ms * _lerp(1.0, 3.2, g)
    match_chi2 = np.minimum(match_chi2, 40.0)  # the matching cut
    track_chi2 = (velo_chi2 * ndf_velo + t_chi2 * ndf_t + 0.5 * match_chi2 + rng.chisquare(np.maximum(n_ut, 1))) / ndf
    ut_rms = np.where(n_ut > 0, np.sqrt(rng.chisquare(np.maximum(n_ut, 1)) / np.maximum(n_ut, 1)) * _lerp(1.0, 1.5, g), 0.0)
    n_shared = rng.poisson(0.04 * n_pv + _lerp(0.0, 0.6, g))
    dty = rng.normal(0.0, 1.0, n) * _lerp(1.0, 3.5, g)
    quality = rng.beta(_lerp(4.0, 2.0, g), _lerp(1.6, 2.4, g))

    x = np.stack(
        [
            track_chi2,
            velo_chi2,
            t_chi2,
            match_chi2,
            n_velo,
            n_velo_exp - n_velo,
            n_ut,
            n_t,
            n_out,
            log10_p,
            pt,
            eta,
            ut_rms,
            n_shared,
            dty,
            n_pv,
            quality,
        ],
        axis=1,
    ).astype(np.float32)
    return x, ghost.astype(np.int8)
