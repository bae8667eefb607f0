// Quark and gluon jets with their constituents: a port of zoo/toysim/jets.py.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Generates the jets of one event.
///
/// Physics (see docs/events-physics.md): gluons (colour factor 3) radiate more than
/// quarks (4/3): more particles, softer, wider. Jet pT is log-uniform in 100–1000 GeV,
/// |η| < 2 for both classes; multiplicity 2 + Poisson(μ·G), G ~ Gamma(6, 1/6),
/// μ_q = 9 + 2.6 ln(pT/100 GeV), μ_g = 1.55 μ_q; momentum fractions Dirichlet(0.55 quark,
/// 0.8 gluon); angles Gaussian with width σ (z·N)^−0.35, σ = 0.05 (quark) or 0.056
/// (gluon) × a per-jet log-normal factor, capped at ΔR = 0.4; the axis is then
/// re-centred on the pT-weighted centroid.
enum JetGenerator {
  static let jetRadius = 0.4

  static func generate(configuration: ToyDetectorConfiguration.Jets, random: inout EventRandom) -> ToyJets {
    let extra = max(configuration.meanCount - Double(configuration.minimumCount), 0)
    let count = configuration.minimumCount + random.poisson(extra)
    var jets: [Jet] = []
    jets.reserveCapacity(count)
    for _ in 0..<count {
      jets.append(jet(configuration: configuration, random: &random))
    }
    let longest = jets.map(\.multiplicity).max() ?? 0
    let padded = configuration.padToMaxConstituents ? configuration.maxConstituents : longest
    let nf = ToyJets.featureCount
    var features = [Float](repeating: 0, count: count * nf * padded)
    var mask = [Float](repeating: 0, count: count * padded)
    for (j, jet) in jets.enumerated() {
      for f in 0..<nf {
        let base = (j * nf + f) * padded
        for p in 0..<jet.multiplicity { features[base + p] = jet.features[f * jet.multiplicity + p] }
      }
      for p in 0..<jet.multiplicity { mask[j * padded + p] = 1 }
    }
    return ToyJets(
      count: count, paddedLength: padded, features: features, mask: mask,
      multiplicity: jets.map { Int32($0.multiplicity) }, isQuark: jets.map(\.isQuark),
      pt: jets.map { Float($0.pt) }, eta: jets.map { Float($0.eta) })
  }

  /// One jet: features channels-first [7, multiplicity] (float32), sorted by decreasing pT.
  struct Jet {
    var isQuark: Bool
    var pt: Double
    var eta: Double
    var multiplicity: Int
    var features: [Float]
  }

  static func jet(configuration: ToyDetectorConfiguration.Jets, random: inout EventRandom) -> Jet {
    let quark = random.uniform() < configuration.quarkFraction
    let jetPt = 100.0 * pow(10.0, random.uniform())
    let jetEta = random.uniform(-2.0, 2.0)
    let muQuark = 9.0 + 2.6 * log(jetPt / 100.0)
    let mu = quark ? muQuark : 1.55 * muQuark
    let k = 6.0
    let m = min(2 + random.poisson(mu * random.gamma(shape: k, scale: 1.0 / k)), configuration.maxConstituents)
    let alpha = quark ? 0.55 : 0.8
    let sigma = (quark ? 0.05 : 0.056) * exp(random.normal(mean: 0.0, sd: 0.35))

    var z = [Double](repeating: 0, count: m)
    random.dirichlet(alpha: alpha, into: &z)
    z.sort(by: >)
    var deta = [Double](repeating: 0, count: m)
    var dphi = [Double](repeating: 0, count: m)
    for i in 0..<m {
      let width = sigma * pow(z[i] * Double(m), -0.35)
      deta[i] = random.normal() * width
      dphi[i] = random.normal() * width
      let dr = (deta[i] * deta[i] + dphi[i] * dphi[i]).squareRoot()
      let scale = min(1.0, jetRadius / max(dr, 1e-12))
      deta[i] *= scale
      dphi[i] *= scale
    }
    // Recluster: the axis is the pT-weighted centroid of the constituents.
    var centroidEta = 0.0
    var centroidPhi = 0.0
    for i in 0..<m {
      centroidEta += z[i] * deta[i]
      centroidPhi += z[i] * dphi[i]
    }
    var pt = [Double](repeating: 0, count: m)
    var energy = [Double](repeating: 0, count: m)
    var ptJet = 0.0
    var energyJet = 0.0
    for i in 0..<m {
      deta[i] -= centroidEta
      dphi[i] -= centroidPhi
      pt[i] = z[i] * jetPt
      energy[i] = pt[i] * cosh(jetEta + deta[i])
      ptJet += pt[i]
      energyJet += energy[i]
    }
    var features = [Float](repeating: 0, count: ToyJets.featureCount * m)
    for i in 0..<m {
      features[0 * m + i] = Float(log(pt[i]))
      features[1 * m + i] = Float(log(energy[i]))
      features[2 * m + i] = Float(log(pt[i] / ptJet))
      features[3 * m + i] = Float(log(energy[i] / energyJet))
      features[4 * m + i] = Float(deta[i])
      features[5 * m + i] = Float(dphi[i])
      features[6 * m + i] = Float((deta[i] * deta[i] + dphi[i] * dphi[i]).squareRoot())
    }
    return Jet(isQuark: quark, pt: jetPt, eta: jetEta, multiplicity: m, features: features)
  }
}
