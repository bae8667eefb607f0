"""Toy silicon tracker events as hit graphs, for an Exa.TrkX-like edge filter.

Physics
-------
A barrel tracker of 8 cylindrical layers (radii 3.2 ... 66 cm, |z| < 120 cm)
in a 2 T solenoid. Charged particles come from the luminous region
(z0 ~ N(0, 3.5 cm), d0 = 0) with p_T = 1 GeV + Exp(2 GeV), |η| < 2, random
charge; each event has 300 of them (the p_T > 1 GeV particles that
Exa.TrkX-style pipelines target; softer particles are not simulated).

* Trajectory: a helix. Transverse radius of curvature R = p_T / (0.3 B)
  (R = 167 cm × p_T/GeV); at radius r the azimuth is φ0 − q·asin(r / 2R)
  and z = z0 + s·sinh(η) with transverse path length s = 2R·asin(r / 2R).
* Multiple scattering: each layer is 2 % of a radiation length; a particle
  gets Gaussian kinks of θ0 = 13.6 MeV / p · √0.02 in both directions at
  every layer, which displace its later hits.
* Measurement: Gaussian smearing σ(rφ) = 15 µm, σ(z) = 100 µm on the four
  pixel layers, 80 µm / 500 µm on the four strip layers; hit efficiency 97 %;
  noise hits (1.5 % of the real hits per layer, uniform).
* Graph construction (what the edge filter receives): candidate edges join a
  hit on layer l to a hit on layer l + 1 when |Δφ| is compatible with
  p_T > 0.3 GeV (plus a multiple-scattering margin) and the straight line
  through both hits meets the beam line at |z| < 25 cm: a deliberately loose
  geometric construction that keeps all true edges and leaves the rejection
  to the filter. An edge is true when both hits belong to the same particle
  (always on adjacent layers).

With only two hits per edge the filter's handles are the curvature implied by
Δφ/Δr (true edges: p_T > 1 GeV; fakes: anywhere in the window) and the z0
intercept (true edges: the luminous region; fakes: anywhere in ±25 cm).

Inputs for one event: hits FP32 [H, 3] = (r [cm], φ [rad], z [cm]) in random
order, edge_index INT64 [2, E] = (inner hit, outer hit) row indices into
hits; truth: edge labels [E].
"""

from __future__ import annotations

import math

import numpy as np

RADII = np.array([3.2, 7.2, 11.5, 17.2, 26.0, 36.0, 50.0, 66.0])
HALF_LENGTH = 120.0
SIGMA_RPHI = np.array([0.0015] * 4 + [0.008] * 4)
SIGMA_Z = np.array([0.01] * 4 + [0.05] * 4)
X0_PER_LAYER = 0.02
B_TESLA = 2.0
N_PARTICLES = 300
PT_MIN = 1.0
PT_SLOPE = 2.0
Z0_SIGMA = 3.5
HIT_EFFICIENCY = 0.97
NOISE_FRACTION = 0.015
PT_MIN_CUT = 0.3
Z0_CUT = 25.0

TRAIN_SEED = 55_000_001
HELDOUT_SEED = 55_999_001


def _wrap(phi):
    return (phi + np.pi) % (2.0 * np.pi) - np.pi


def _dphi_window(r_in: float, r_out: float) -> float:
    r_curv = PT_MIN_CUT / (0.3 * B_TESLA) * 100.0
    return math.asin(r_out / (2 * r_curv)) - math.asin(r_in / (2 * r_curv)) + 0.004


def event(rng: np.random.Generator, n_particles: int = N_PARTICLES):
    """One event -> (hits f32 [H,3], edge_index i64 [2,E], labels i8 [E])."""
    n = n_particles
    pt = PT_MIN + rng.exponential(PT_SLOPE, n)
    eta = rng.uniform(-2.0, 2.0, n)
    phi0 = rng.uniform(-np.pi, np.pi, n)
    z0 = rng.normal(0.0, Z0_SIGMA, n)
    q = np.where(rng.random(n) < 0.5, -1.0, 1.0)
    p = pt * np.cosh(eta)
    r_curv = pt / (0.3 * B_TESLA) * 100.0
    theta0 = 0.0136 / p * math.sqrt(X0_PER_LAYER)

    hit_r, hit_phi, hit_z, hit_pid, hit_layer = [], [], [], [], []
    kink_t = np.zeros(n)
    kink_z = np.zeros(n)
    disp_t = np.zeros(n)
    disp_z = np.zeros(n)
    r_prev = 0.0
    for layer, r in enumerate(RADII):
        step = r - r_prev
        disp_t += kink_t * step
        disp_z += kink_z * step * np.cosh(eta) ** 2  # a polar kink moves z by the path length along the track
        r_prev = r
        s = 2.0 * r_curv * np.arcsin(r / (2.0 * r_curv))
        phi = phi0 - q * np.arcsin(r / (2.0 * r_curv)) + disp_t / r + rng.normal(0.0, SIGMA_RPHI[layer], n) / r
        z = z0 + s * np.sinh(eta) + disp_z + rng.normal(0.0, SIGMA_Z[layer], n)
        seen = (np.abs(z) < HALF_LENGTH) & (rng.random(n) < HIT_EFFICIENCY)
        idx = np.flatnonzero(seen)
        hit_r.append(np.full(idx.size, r))
        hit_phi.append(_wrap(phi[idx]))
        hit_z.append(z[idx])
        hit_pid.append(idx)
        hit_layer.append(np.full(idx.size, layer))
        n_noise = int(rng.poisson(NOISE_FRACTION * idx.size))
        hit_r.append(np.full(n_noise, r))
        hit_phi.append(rng.uniform(-np.pi, np.pi, n_noise))
        hit_z.append(rng.uniform(-HALF_LENGTH, HALF_LENGTH, n_noise))
        hit_pid.append(np.full(n_noise, -1))
        hit_layer.append(np.full(n_noise, layer))
        kink_t += rng.normal(0.0, 1.0, n) * theta0
        kink_z += rng.normal(0.0, 1.0, n) * theta0 / np.cosh(eta)
    r = np.concatenate(hit_r)
    phi = np.concatenate(hit_phi)
    z = np.concatenate(hit_z)
    pid = np.concatenate(hit_pid)
    layer = np.concatenate(hit_layer)

    order = rng.permutation(r.size)  # hit order carries no information
    r, phi, z, pid, layer = r[order], phi[order], z[order], pid[order], layer[order]

    src_all, dst_all = [], []
    for l in range(len(RADII) - 1):
        inner = np.flatnonzero(layer == l)
        outer = np.flatnonzero(layer == l + 1)
        window = _dphi_window(RADII[l], RADII[l + 1])
        # Sort the outer layer by φ and scan a φ window (with wrap-around) for each inner hit.
        outer = outer[np.argsort(phi[outer], kind="stable")]
        ophi = phi[outer]
        ext_phi = np.concatenate([ophi - 2 * np.pi, ophi, ophi + 2 * np.pi])
        ext_idx = np.concatenate([outer, outer, outer])
        lo = np.searchsorted(ext_phi, phi[inner] - window, side="left")
        hi = np.searchsorted(ext_phi, phi[inner] + window, side="right")
        counts = hi - lo
        src = np.repeat(inner, counts)
        offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        dst = ext_idx[np.repeat(lo, counts) + offsets]
        dr = r[dst] - r[src]
        z_at_beam = z[src] - r[src] * (z[dst] - z[src]) / dr
        keep = np.abs(z_at_beam) < Z0_CUT
        src_all.append(src[keep])
        dst_all.append(dst[keep])
    src = np.concatenate(src_all)
    dst = np.concatenate(dst_all)
    order = np.lexsort((dst, src))
    src, dst = src[order], dst[order]
    labels = (pid[src] == pid[dst]) & (pid[src] >= 0)
    hits = np.stack([r, phi, z], axis=1).astype(np.float32)
    return hits, np.stack([src, dst]).astype(np.int64), labels.astype(np.int8)


def generate(n_events: int, seed: int, n_particles: int = N_PARTICLES):
    """A list of n_events (hits, edge_index, labels) tuples."""
    rng = np.random.Generator(np.random.PCG64(seed))
    return [event(rng, n_particles) for _ in range(n_events)]
