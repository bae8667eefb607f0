"""Toy CMS HCAL channel readout (QIE pulses) for FACILE-style energy regression.

Physics
-------
Each row is one HCAL channel (barrel |ieta| ≤ 16 with depths 1-4, endcap
17-29 with depths 1-7) read out as 8 consecutive 25 ns time samples (TS0-TS7)
of pedestal-subtracted charge in fC. The in-time bunch crossing (BX 0) starts
at 75 ns (TS3). The regression target is the energy deposited in time (BX 0).

* Pulse shape: the scintillator + SiPM pulse is a Gamma-like shape
  t² exp(-t/τ), τ = 7 ns, integrated over 25 ns bins. Its arrival time moves
  with a per-channel phase (depth- and ieta-dependent, a few ns) and with
  time slewing (low-energy pulses arrive later, up to +6 ns).
* Response: fC per GeV = 10 × depth factor × (1 − radiation damage), where
  the endcap damage grows with |ieta| and with depth (up to −35 %), and a 3 %
  modulation in iphi (readout-box structure). The response is a known
  function of the channel, which the network can learn; a plain sum with one
  global calibration cannot.
* Energy resolution of the deposit itself: stochastic 50 %/√E (shower and
  photostatistics) and 2 % constant term; irreducible.
* Out-of-time pileup: for BX −2, −1, +1, +2 a Poisson number of deposits
  with mean μ × 0.007 × (1 + 3 (|ieta|/29)²) (forward channels busier), with
  a Gamma-distributed total energy (1.5 GeV per deposit on average); their
  pulses, shifted by multiples of 25 ns, land inside the 8-sample window and
  bias a plain sum upwards (by ~0.5-3 GeV, fluctuating).
* Electronics noise: Gaussian 2 fC per sample (≈ 0.2 GeV).

Inputs: pulses [N, 8] (fC) and channel [N, 4] = (ieta, iphi, depth, μ) where μ
is the average number of pileup interactions of the run (a condition that is
known per lumisection). True in-time energy in GeV: log-uniform in
[0.5, 500] GeV.
"""

from __future__ import annotations

import math

import numpy as np

N_SAMPLES = 8
CHANNEL_FEATURES = ["ieta", "iphi", "depth", "pileup_mu"]
NOMINAL_FC_PER_GEV = 10.0
TAU_NS = 7.0
IN_TIME_START_NS = 75.0
OOT_BX = (-2, -1, 1, 2)
PU_ENERGY_MEAN = 1.5
NOISE_FC = 2.0

TRAIN_SEED = 53_000_001
HELDOUT_SEED = 53_999_001


def _pulse_cdf(t: np.ndarray) -> np.ndarray:
    """Fraction of a pulse starting at t = 0 collected by time t (Gamma(3, τ) CDF)."""
    x = np.maximum(t, 0.0) / TAU_NS
    return 1.0 - np.exp(-x) * (1.0 + x + 0.5 * x * x)


def pulse_fractions(start_ns: np.ndarray) -> np.ndarray:
    """[N] pulse start times -> [N, 8] fraction of the charge in each 25 ns sample."""
    edges = 25.0 * np.arange(N_SAMPLES + 1)
    cdf = _pulse_cdf(edges[None, :] - start_ns[:, None])
    return np.diff(cdf, axis=1)


def response(ieta: np.ndarray, iphi: np.ndarray, depth: np.ndarray) -> np.ndarray:
    """fC per GeV of a channel."""
    aeta = np.abs(ieta)
    depth_factor = 0.9 + 0.05 * depth
    damage = np.where(aeta > 16, 0.012 * (aeta - 16) * (0.6 + 0.15 * depth), 0.0)
    damage = np.minimum(damage, 0.35)
    phi_mod = 1.0 + 0.03 * np.cos(2.0 * math.pi * iphi / 18.0)
    return NOMINAL_FC_PER_GEV * depth_factor * (1.0 - damage) * phi_mod


def channel_phase_ns(ieta: np.ndarray, depth: np.ndarray) -> np.ndarray:
    return 1.5 * (depth - 2.5) + 0.08 * np.abs(ieta) - 1.0


def generate(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """n channels -> (pulses float32 [n, 8], channel float32 [n, 4], true energy float32 [n] in GeV)."""
    rng = np.random.Generator(np.random.PCG64(seed))
    aeta = rng.integers(1, 30, n)
    ieta = np.where(rng.random(n) < 0.5, -aeta, aeta)
    iphi = rng.integers(1, 73, n)
    max_depth = np.where(aeta <= 16, 4, 7)
    depth = 1 + np.floor(rng.random(n) * max_depth).astype(np.int64)
    mu = rng.uniform(20.0, 70.0, n)

    energy = 0.5 * 1000.0 ** rng.random(n)
    deposit = energy * (1.0 + rng.normal(0.0, 1.0, n) * np.sqrt(0.5**2 / energy + 0.02**2))
    deposit = np.maximum(deposit, 0.0)
    gain = response(ieta, iphi, depth)
    phase = channel_phase_ns(ieta, depth)
    slew = 6.0 * np.exp(-energy / 8.0)
    pulses = (deposit * gain)[:, None] * pulse_fractions(IN_TIME_START_NS + phase + slew)

    occupancy = 0.007 * (1.0 + 3.0 * (aeta / 29.0) ** 2)
    for bx in OOT_BX:
        n_pu = rng.poisson(mu * occupancy)
        e_pu = rng.gamma(np.maximum(n_pu, 1), PU_ENERGY_MEAN) * (n_pu > 0)
        pu_slew = 6.0 * np.exp(-e_pu / 8.0)
        pulses += (e_pu * gain)[:, None] * pulse_fractions(IN_TIME_START_NS + 25.0 * bx + phase + pu_slew)
    pulses += rng.normal(0.0, NOISE_FC, (n, N_SAMPLES))

    channel = np.stack([ieta, iphi, depth, mu], axis=1)
    return pulses.astype(np.float32), channel.astype(np.float32), energy.astype(np.float32)
