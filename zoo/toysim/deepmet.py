"""Toy W -> l nu events as particle-flow (PF) candidates, for a DeepMET-like model.

Physics
-------
The missing transverse momentum (MET) of an event is the negative vector sum
of all visible momenta; in W -> l nu events the true MET is the neutrino's
transverse momentum. Plain PF-MET, -Σ p_T over all PF candidates, is spoiled
by particles that do not belong to the hard interaction (pileup) and by the
calorimeter resolution for neutral particles. DeepMET estimates
MET = -Σ w_i p_T,i with a learned weight w_i ∈ [0, 1] per candidate.

Per event:

* W boson: m = 80.4 GeV, transverse momentum from Gamma(1.4, 11 GeV)
  (mean ≈ 15 GeV, ISR tail), rapidity N(0, 1.2); isotropic two-body decay in
  its rest frame into a lepton (muon or electron, 1.5 % pT resolution) and the
  neutrino (the truth).
* Hadronic recoil balancing the W: 1-3 jets whose transverse momenta sum to
  -p_T(W), plus a back-to-back soft dijet (|p_T| ~ Exp(8 GeV)) that cancels in
  the sum. Jets fragment into 3 + Poisson(p_T/4 GeV) particles (Dirichlet
  momentum sharing, ΔR ≲ 0.3): 60 % charged hadrons (tracker: 1 % pT
  resolution), 25 % photons (ECAL: 10 %/√E), 15 % neutral hadrons
  (HCAL: 100 %/√E ⊕ 5 %).
* Underlying event of the primary vertex (PV): Poisson(12) soft particles,
  p_T ~ 0.4 + Exp(0.7) GeV, isotropic, balanced only statistically.
* Pileup: Poisson(20) other interactions at z ~ N(0, 4 cm), each giving
  Poisson(5) charged (|η| < 2.5) and Poisson(3.5) neutral (|η| < 4.7, forward
  |η| > 3 in the HF) candidates, p_T ~ 0.4 + Exp(0.6) GeV.
* Vertex association: tracks have a longitudinal impact parameter dz
  relative to the PV measured with σ = 0.01 cm + 0.03 cm/(p_T/GeV); charged
  candidates are associated to the PV (pv_assoc 2 or 3) when |dz| < 0.1 cm, so
  pileup tracks from nearby vertices leak in. Neutral candidates have no
  track: pv_assoc 1, dz 0.

Inputs (candidates in random order, zero padded, P up to P_MAX):
  pf_cont  FP32 [N, P, 6]: pt (GeV), eta, phi, px, py, dz (cm)
  pf_cat   INT64 [N, P, 3]: charge (-1, 0, 1), pf_class (0 charged hadron,
           1 electron, 2 muon, 3 photon, 4 neutral hadron, 5 HF hadron),
           pv_assoc (0 pileup vertex, 1 no track, 2 loose PV, 3 PV fit)
  pf_mask  BOOL [N, P]
Truth: the neutrino (px, py) in GeV.
"""

from __future__ import annotations

import math

import numpy as np

CONT_FEATURES = ["pt", "eta", "phi", "px", "py", "dz"]
CAT_FEATURES = ["charge", "pf_class", "pv_assoc"]
CAT_VALUES = [(-1, 0, 1), (0, 1, 2, 3, 4, 5), (0, 1, 2, 3)]
P_MAX = 320

TRAIN_SEED = 54_000_001
HELDOUT_SEED = 54_999_001

W_MASS = 80.4
CH, ELE, MU, PHO, NH, HF = 0, 1, 2, 3, 4, 5


def _wrap(phi):
    return (phi + math.pi) % (2.0 * math.pi) - math.pi


def _event(rng: np.random.Generator):
    """One event -> (list of candidate arrays, true MET (px, py))."""
    cands = []  # rows: pt, eta, phi, dz, charge, class, assoc

    def add(pt, eta, phi, dz, charge, cls, assoc):
        cands.append(np.stack(np.broadcast_arrays(pt, eta, phi, dz, charge, cls, assoc), axis=-1).reshape(-1, 7))

    # W boson and its decay.
    w_pt = rng.gamma(1.4, 11.0)
    w_phi = rng.uniform(-math.pi, math.pi)
    w_y = rng.normal(0.0, 1.2)
    mt = math.sqrt(W_MASS**2 + w_pt**2)
    w = np.array([mt * math.cosh(w_y), w_pt * math.cos(w_phi), w_pt * math.sin(w_phi), mt * math.sinh(w_y)])
    cos_t = rng.uniform(-1.0, 1.0)
    phi_s = rng.uniform(-math.pi, math.pi)
    sin_t = math.sqrt(1.0 - cos_t * cos_t)
    pstar = W_MASS / 2.0
    lep_rest = np.array([pstar, pstar * sin_t * math.cos(phi_s), pstar * sin_t * math.sin(phi_s), pstar * cos_t])
    beta = w[1:] / w[0]
    b2 = float(beta @ beta)
    gamma = 1.0 / math.sqrt(1.0 - b2)
    bp = float(beta @ lep_rest[1:])
    p_lab = lep_rest[1:] + ((gamma - 1.0) * bp / b2 + gamma * lep_rest[0]) * beta if b2 > 0 else lep_rest[1:]
    nu = w[1:3] - p_lab[:2]
    lep_pt = math.hypot(p_lab[0], p_lab[1]) * (1.0 + 0.015 * rng.normal())
    lep_eta = math.asinh(p_lab[2] / max(math.hypot(p_lab[0], p_lab[1]), 1e-9))
    lep_phi = math.atan2(p_lab[1], p_lab[0])
    is_mu = rng.random() < 0.5
    add(lep_pt, lep_eta, lep_phi, 0.01 * rng.normal(), 1.0 if rng.random() < 0.5 else -1.0, MU if is_mu else ELE, 3)

    # Hadronic recoil: 1-3 jets around the recoil direction whose momenta sum
    # exactly to -pT(W) (the last jet absorbs the remainder), plus a balanced soft dijet.
    recoil = -w[1:3]
    n_jets = 1 + int(rng.integers(0, 3))
    shares = rng.dirichlet(np.full(n_jets, 2.0))
    phis = math.atan2(recoil[1], recoil[0]) + (rng.normal(0.0, 0.35, n_jets) if n_jets > 1 else np.zeros(1))
    vecs = shares[:, None] * np.stack([np.cos(phis), np.sin(phis)], axis=1) * math.hypot(*recoil)
    vecs[-1] += recoil - vecs.sum(axis=0)
    dijet_pt = rng.exponential(8.0)
    dphi = rng.uniform(-math.pi, math.pi)
    dijet = dijet_pt * np.array([math.cos(dphi), math.sin(dphi)])
    jets = list(vecs) + [dijet, -dijet]
    for j in jets:
        jpt = float(math.hypot(*j))
        if jpt < 0.5:
            continue
        jphi = math.atan2(j[1], j[0])
        jeta = rng.normal(0.0, 1.6)
        m = 3 + int(rng.poisson(jpt / 4.0))
        z = rng.dirichlet(np.full(m, 0.7))
        pt = z * jpt
        eta = jeta + rng.normal(0.0, 0.12, m)
        phi = jphi + rng.normal(0.0, 0.12, m)
        kind = rng.random(m)
        cls = np.where(kind < 0.6, CH, np.where(kind < 0.85, PHO, NH))
        e = pt * np.cosh(eta)
        meas = np.where(
            cls == CH,
            1.0 + 0.01 * rng.normal(size=m),
            np.where(cls == PHO, 1.0 + rng.normal(size=m) * 0.1 / np.sqrt(np.maximum(e, 0.1)),
                     1.0 + rng.normal(size=m) * np.sqrt(1.0 / np.maximum(e, 0.1) + 0.05**2)),
        )
        pt = pt * np.maximum(meas, 0.05)
        charge = np.where(cls == CH, np.where(rng.random(m) < 0.5, -1.0, 1.0), 0.0)
        dz = np.where(cls == CH, rng.normal(size=m) * (0.01 + 0.03 / np.maximum(pt, 0.1)), 0.0)
        add(pt, eta, phi, dz, charge, cls, 0)

    # Underlying event of the PV.
    n_ue = int(rng.poisson(12))
    pt = 0.4 + rng.exponential(0.7, n_ue)
    eta = rng.uniform(-2.5, 2.5, n_ue)
    phi = rng.uniform(-math.pi, math.pi, n_ue)
    charged = rng.random(n_ue) < 0.65
    dz = np.where(charged, rng.normal(size=n_ue) * (0.01 + 0.03 / pt), 0.0)
    add(pt, eta, phi, dz, np.where(charged, np.where(rng.random(n_ue) < 0.5, -1.0, 1.0), 0.0), np.where(charged, CH, PHO), 0)

    # Pileup.
    n_pu = int(rng.poisson(20))
    for _ in range(n_pu):
        z_pu = rng.normal(0.0, 4.0)
        n_c = int(rng.poisson(5.0))
        pt = 0.4 + rng.exponential(0.6, n_c)
        dz = z_pu + rng.normal(size=n_c) * (0.01 + 0.03 / pt)
        add(pt, rng.uniform(-2.5, 2.5, n_c), rng.uniform(-math.pi, math.pi, n_c), dz,
            np.where(rng.random(n_c) < 0.5, -1.0, 1.0), CH, 0)
        n_n = int(rng.poisson(3.5))
        pt = 0.4 + rng.exponential(0.6, n_n)
        eta = rng.uniform(-4.7, 4.7, n_n)
        cls = np.where(np.abs(eta) > 3.0, HF, np.where(rng.random(n_n) < 0.6, PHO, NH))
        add(pt, eta, rng.uniform(-math.pi, math.pi, n_n), 0.0, 0.0, cls, 0)

    c = np.concatenate(cands, axis=0)
    # Vertex association from dz (charged) or "no track" (neutral).
    charged = c[:, 4] != 0
    assoc = np.where(charged, np.where(np.abs(c[:, 3]) < 0.1, np.where(np.abs(c[:, 3]) < 0.03, 3, 2), 0), 1)
    c[:, 6] = assoc
    c[:, 3] = np.where(charged, c[:, 3], 0.0)
    c[:, 2] = _wrap(c[:, 2])
    return c, nu


def generate(n: int, seed: int, p_max: int = P_MAX):
    """n events -> (pf_cont f32 [n,P,6], pf_cat i64 [n,P,3], pf_mask bool [n,P], met_true f32 [n,2])."""
    rng = np.random.Generator(np.random.PCG64(seed))
    cont = np.zeros((n, p_max, 6), dtype=np.float32)
    cat = np.zeros((n, p_max, 3), dtype=np.int64)
    mask = np.zeros((n, p_max), dtype=bool)
    truth = np.zeros((n, 2), dtype=np.float32)
    for i in range(n):
        c, nu = _event(rng)
        c = c[rng.permutation(len(c))][:p_max]  # random order; in the rare overflow, random candidates are lost
        k = len(c)
        pt, eta, phi = c[:, 0], c[:, 1], c[:, 2]
        cont[i, :k] = np.stack([pt, eta, phi, pt * np.cos(phi), pt * np.sin(phi), c[:, 3]], axis=1)
        cat[i, :k] = c[:, 4:7].astype(np.int64)
        mask[i, :k] = True
        truth[i] = nu
    return cont, cat, mask, truth
