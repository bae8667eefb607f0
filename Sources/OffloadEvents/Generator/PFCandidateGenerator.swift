// Particle-flow candidates of W → ℓν events with pileup: a port of zoo/toysim/deepmet.py.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Generates the particle-flow candidates of one event.
///
/// Physics (see docs/events-physics.md): a W (m = 80.4 GeV, pT ~ Gamma(1.4, 11 GeV),
/// y ~ N(0, 1.2)) decays isotropically into a lepton and the neutrino (the true MET);
/// 1–3 recoil jets sum to −pT(W), plus a balanced soft dijet; jets fragment into
/// charged hadrons, photons and neutral hadrons with their detector resolutions; an
/// underlying event and pileup vertices add soft candidates; charged candidates are
/// associated to the primary vertex by their dz.
enum PFCandidateGenerator {
  static let wMass = 80.4
  enum Class: Int64 {
    case chargedHadron = 0, electron, muon, photon, neutralHadron, hfHadron
  }

  /// One candidate before vertex association.
  struct Candidate {
    var pt: Double
    var eta: Double
    var phi: Double
    var dz: Double
    var charge: Double
    var pfClass: Class
  }

  static func generate(
    pileupVertices nPileup: Int, configuration: ToyDetectorConfiguration.ParticleFlow, random: inout EventRandom
  ) -> ToyPFCandidates {
    var candidates: [Candidate] = []
    candidates.reserveCapacity(256)
    let neutrino = hardScatter(into: &candidates, random: &random)
    underlyingEvent(into: &candidates, random: &random)
    for _ in 0..<nPileup { pileupVertex(into: &candidates, random: &random) }

    // Random order; in the rare overflow, random candidates are lost.
    let order = random.permutation(candidates.count)
    let count = min(candidates.count, configuration.maxCandidates)
    var continuous = [Float](repeating: 0, count: count * ToyPFCandidates.continuousCount)
    var categorical = [Int64](repeating: 0, count: count * ToyPFCandidates.categoricalCount)
    for row in 0..<count {
      let c = candidates[order[row]]
      let charged = c.charge != 0
      let dz = charged ? c.dz : 0.0
      // Vertex association from dz (charged) or "no track" (neutral).
      let association: Int64 = charged ? (abs(dz) < 0.1 ? (abs(dz) < 0.03 ? 3 : 2) : 0) : 1
      let phi = wrapPhi(c.phi)
      let values = [c.pt, c.eta, phi, c.pt * cos(phi), c.pt * sin(phi), dz]
      for (k, v) in values.enumerated() { continuous[row * 6 + k] = Float(v) }
      categorical[row * 3 + 0] = Int64(c.charge)
      categorical[row * 3 + 1] = c.pfClass.rawValue
      categorical[row * 3 + 2] = association
    }
    return ToyPFCandidates(
      pileupVertexCount: nPileup, count: count, continuous: continuous, categorical: categorical,
      trueMETX: Float(neutrino.x), trueMETY: Float(neutrino.y))
  }

  /// φ wrapped into [−π, π) as Python's `(φ + π) % 2π − π`.
  static func wrapPhi(_ phi: Double) -> Double {
    let period = 2.0 * Double.pi
    let shifted = phi + Double.pi
    return shifted - period * (shifted / period).rounded(.down) - Double.pi
  }

  /// The W, its lepton and the hadronic recoil; returns the neutrino (px, py).
  static func hardScatter(into candidates: inout [Candidate], random: inout EventRandom) -> (x: Double, y: Double) {
    let wPt = random.gamma(shape: 1.4, scale: 11.0)
    let wPhi = random.uniform(-Double.pi, Double.pi)
    let wY = random.normal(mean: 0.0, sd: 1.2)
    let mt = (wMass * wMass + wPt * wPt).squareRoot()
    let w = (e: mt * cosh(wY), x: wPt * cos(wPhi), y: wPt * sin(wPhi), z: mt * sinh(wY))
    // Isotropic two-body decay in the W rest frame, boosted to the lab.
    let cosT = random.uniform(-1.0, 1.0)
    let phiS = random.uniform(-Double.pi, Double.pi)
    let sinT = (1.0 - cosT * cosT).squareRoot()
    let pStar = wMass / 2.0
    let rest = (e: pStar, x: pStar * sinT * cos(phiS), y: pStar * sinT * sin(phiS), z: pStar * cosT)
    let beta = (x: w.x / w.e, y: w.y / w.e, z: w.z / w.e)
    let b2 = beta.x * beta.x + beta.y * beta.y + beta.z * beta.z
    var lab = (x: rest.x, y: rest.y, z: rest.z)
    if b2 > 0 {
      let gamma = 1.0 / (1.0 - b2).squareRoot()
      let bp = beta.x * rest.x + beta.y * rest.y + beta.z * rest.z
      let f = (gamma - 1.0) * bp / b2 + gamma * rest.e
      lab = (rest.x + f * beta.x, rest.y + f * beta.y, rest.z + f * beta.z)
    }
    let neutrino = (x: w.x - lab.x, y: w.y - lab.y)
    let lepPtTrue = (lab.x * lab.x + lab.y * lab.y).squareRoot()
    let lepPt = lepPtTrue * (1.0 + 0.015 * random.normal())
    let lepEta = asinh(lab.z / max(lepPtTrue, 1e-9))
    let lepPhi = atan2(lab.y, lab.x)
    let isMuon = random.uniform() < 0.5
    let lepDz = 0.01 * random.normal()
    let lepCharge = random.sign()
    candidates.append(
      Candidate(
        pt: lepPt, eta: lepEta, phi: lepPhi, dz: lepDz, charge: lepCharge, pfClass: isMuon ? .muon : .electron))

    // Hadronic recoil: 1-3 jets around the recoil direction whose momenta sum exactly
    // to −pT(W) (the last jet absorbs the remainder), plus a balanced soft dijet.
    let recoil = (x: -w.x, y: -w.y)
    let recoilPt = (recoil.x * recoil.x + recoil.y * recoil.y).squareRoot()
    let recoilPhi = atan2(recoil.y, recoil.x)
    let nJets = 1 + random.integer(in: 0...2)
    var shares = [Double](repeating: 0, count: nJets)
    random.dirichlet(alpha: 2.0, into: &shares)
    var jets: [(x: Double, y: Double)] = []
    var sum = (x: 0.0, y: 0.0)
    for share in shares {
      let phi = recoilPhi + (nJets > 1 ? random.normal(mean: 0.0, sd: 0.35) : 0.0)
      let v = (x: share * cos(phi) * recoilPt, y: share * sin(phi) * recoilPt)
      jets.append(v)
      sum.x += v.x
      sum.y += v.y
    }
    jets[nJets - 1].x += recoil.x - sum.x
    jets[nJets - 1].y += recoil.y - sum.y
    let dijetPt = random.exponential(scale: 8.0)
    let dijetPhi = random.uniform(-Double.pi, Double.pi)
    let dijet = (x: dijetPt * cos(dijetPhi), y: dijetPt * sin(dijetPhi))
    jets.append(dijet)
    jets.append((x: -dijet.x, y: -dijet.y))
    for j in jets { fragment(jet: j, into: &candidates, random: &random) }
    return neutrino
  }

  /// Fragments a jet of transverse momentum (x, y) into PF candidates.
  static func fragment(jet j: (x: Double, y: Double), into candidates: inout [Candidate], random: inout EventRandom) {
    let jetPt = (j.x * j.x + j.y * j.y).squareRoot()
    guard jetPt >= 0.5 else { return }
    let jetPhi = atan2(j.y, j.x)
    let jetEta = random.normal(mean: 0.0, sd: 1.6)
    let m = 3 + random.poisson(jetPt / 4.0)
    var z = [Double](repeating: 0, count: m)
    random.dirichlet(alpha: 0.7, into: &z)
    for i in 0..<m {
      let eta = jetEta + random.normal(mean: 0.0, sd: 0.12)
      let phi = jetPhi + random.normal(mean: 0.0, sd: 0.12)
      let kind = random.uniform()
      let pfClass: Class = kind < 0.6 ? .chargedHadron : (kind < 0.85 ? .photon : .neutralHadron)
      var pt = z[i] * jetPt
      let e = max(pt * cosh(eta), 0.1)
      let measured: Double
      switch pfClass {
      case .chargedHadron: measured = 1.0 + 0.01 * random.normal()  // tracker
      case .photon: measured = 1.0 + random.normal() * 0.1 / e.squareRoot()  // ECAL
      default: measured = 1.0 + random.normal() * (1.0 / e + 0.05 * 0.05).squareRoot()  // HCAL
      }
      pt *= max(measured, 0.05)
      let charged = pfClass == .chargedHadron
      let charge = charged ? random.sign() : 0.0
      let dz = charged ? random.normal() * (0.01 + 0.03 / max(pt, 0.1)) : 0.0
      candidates.append(Candidate(pt: pt, eta: eta, phi: phi, dz: dz, charge: charge, pfClass: pfClass))
    }
  }

  /// Soft particles of the primary vertex: Poisson(12), pT 0.4 + Exp(0.7) GeV, |η| < 2.5.
  static func underlyingEvent(into candidates: inout [Candidate], random: inout EventRandom) {
    let n = random.poisson(12)
    for _ in 0..<n {
      let pt = 0.4 + random.exponential(scale: 0.7)
      let eta = random.uniform(-2.5, 2.5)
      let phi = random.uniform(-Double.pi, Double.pi)
      let charged = random.uniform() < 0.65
      let dz = charged ? random.normal() * (0.01 + 0.03 / pt) : 0.0
      let charge = charged ? random.sign() : 0.0
      candidates.append(
        Candidate(pt: pt, eta: eta, phi: phi, dz: dz, charge: charge, pfClass: charged ? .chargedHadron : .photon))
    }
  }

  /// One pileup interaction at z ~ N(0, 4 cm): Poisson(5) charged, Poisson(3.5) neutral candidates.
  static func pileupVertex(into candidates: inout [Candidate], random: inout EventRandom) {
    let zVertex = random.normal(mean: 0.0, sd: 4.0)
    let nCharged = random.poisson(5.0)
    for _ in 0..<nCharged {
      let pt = 0.4 + random.exponential(scale: 0.6)
      let dz = zVertex + random.normal() * (0.01 + 0.03 / pt)
      let eta = random.uniform(-2.5, 2.5)
      let phi = random.uniform(-Double.pi, Double.pi)
      candidates.append(
        Candidate(pt: pt, eta: eta, phi: phi, dz: dz, charge: random.sign(), pfClass: .chargedHadron))
    }
    let nNeutral = random.poisson(3.5)
    for _ in 0..<nNeutral {
      let pt = 0.4 + random.exponential(scale: 0.6)
      let eta = random.uniform(-4.7, 4.7)
      let pfClass: Class = abs(eta) > 3.0 ? .hfHadron : (random.uniform() < 0.6 ? .photon : .neutralHadron)
      let phi = random.uniform(-Double.pi, Double.pi)
      candidates.append(Candidate(pt: pt, eta: eta, phi: phi, dz: 0.0, charge: 0.0, pfClass: pfClass))
    }
  }
}
