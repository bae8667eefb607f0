// Silicon-tracker hits and candidate edges: a port of zoo/toysim/tracking.py.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Generates the tracker hit graph of one event.
///
/// Physics (see docs/events-physics.md): 8 barrel layers (r 3.2–66 cm, |z| < 120 cm) in
/// 2 T; particles with pT = 1 GeV + Exp(2 GeV), |η| < 2, z0 ~ N(0, 3.5 cm) follow helices
/// with multiple scattering (2 % X0 per layer); hits are smeared (pixels 15/100 µm,
/// strips 80/500 µm), 97 % efficient, plus 1.5 % noise hits. Candidate edges join
/// adjacent layers when Δφ fits pT > 0.3 GeV and the line through both hits meets the
/// beam line at |z| < 25 cm; an edge is true when both hits come from one particle.
enum TrackerHitGenerator {
  static let radii: [Double] = [3.2, 7.2, 11.5, 17.2, 26.0, 36.0, 50.0, 66.0]
  static let halfLength = 120.0
  static let sigmaRPhi: [Double] = [0.0015, 0.0015, 0.0015, 0.0015, 0.008, 0.008, 0.008, 0.008]
  static let sigmaZ: [Double] = [0.01, 0.01, 0.01, 0.01, 0.05, 0.05, 0.05, 0.05]
  static let x0PerLayer = 0.02
  static let bTesla = 2.0
  static let ptMin = 1.0
  static let ptSlope = 2.0
  static let z0Sigma = 3.5
  static let hitEfficiency = 0.97
  static let noiseFraction = 0.015
  static let ptMinCut = 0.3
  static let z0Cut = 25.0

  /// Hits in simulation order, before shuffling.
  struct Hit {
    var r: Double
    var phi: Double
    var z: Double
    var particle: Int32
    var layer: Int
  }

  static func generate(configuration: ToyDetectorConfiguration.Tracker, random: inout EventRandom) -> ToyTrackerHits {
    let simulated = simulate(particles: configuration.particles, random: &random)
    let order = random.permutation(simulated.count)  // hit order carries no information
    let hits = order.map { simulated[$0] }
    let (edges, labels) = buildEdges(hits)
    var flat = [Float](repeating: 0, count: 3 * hits.count)
    for (i, h) in hits.enumerated() {
      flat[3 * i] = Float(h.r)
      flat[3 * i + 1] = Float(h.phi)
      flat[3 * i + 2] = Float(h.z)
    }
    var edgeIndex = [Int64](repeating: 0, count: 2 * edges.count)
    for (k, e) in edges.enumerated() {
      edgeIndex[k] = Int64(e.src)
      edgeIndex[edges.count + k] = Int64(e.dst)
    }
    return ToyTrackerHits(
      hitCount: hits.count, hits: flat, edgeCount: edges.count, edgeIndex: edgeIndex, edgeIsTrue: labels,
      hitParticle: hits.map(\.particle))
  }

  /// Propagates the particles layer by layer and records their hits and the noise hits.
  static func simulate(particles n: Int, random: inout EventRandom) -> [Hit] {
    var phi0 = [Double](repeating: 0, count: n)
    var eta = [Double](repeating: 0, count: n)
    var z0 = [Double](repeating: 0, count: n)
    var charge = [Double](repeating: 0, count: n)
    var rCurv = [Double](repeating: 0, count: n)
    var theta0 = [Double](repeating: 0, count: n)
    var coshEta = [Double](repeating: 0, count: n)
    var sinhEta = [Double](repeating: 0, count: n)
    for i in 0..<n {
      let pt = ptMin + random.exponential(scale: ptSlope)
      eta[i] = random.uniform(-2.0, 2.0)
      phi0[i] = random.uniform(-Double.pi, Double.pi)
      z0[i] = random.normal(mean: 0.0, sd: z0Sigma)
      charge[i] = random.sign()
      rCurv[i] = pt / (0.3 * bTesla) * 100.0  // cm
      coshEta[i] = cosh(eta[i])
      sinhEta[i] = sinh(eta[i])
      theta0[i] = 0.0136 / (pt * coshEta[i]) * x0PerLayer.squareRoot()
    }
    var kinkT = [Double](repeating: 0, count: n)
    var kinkZ = [Double](repeating: 0, count: n)
    var dispT = [Double](repeating: 0, count: n)
    var dispZ = [Double](repeating: 0, count: n)
    var hits: [Hit] = []
    hits.reserveCapacity(Int(Double(n * radii.count) * 1.02))
    var rPrevious = 0.0
    for (layer, r) in radii.enumerated() {
      let step = r - rPrevious
      rPrevious = r
      var seen = 0
      for i in 0..<n {
        dispT[i] += kinkT[i] * step
        dispZ[i] += kinkZ[i] * step * coshEta[i] * coshEta[i]  // a polar kink moves z by the path length
        let halfAngle = asin(r / (2.0 * rCurv[i]))
        let s = 2.0 * rCurv[i] * halfAngle
        let phi = phi0[i] - charge[i] * halfAngle + dispT[i] / r + random.normal() * sigmaRPhi[layer] / r
        let z = z0[i] + s * sinhEta[i] + dispZ[i] + random.normal() * sigmaZ[layer]
        if abs(z) < halfLength && random.uniform() < hitEfficiency {
          hits.append(Hit(r: r, phi: PFCandidateGenerator.wrapPhi(phi), z: z, particle: Int32(i), layer: layer))
          seen += 1
        }
      }
      let nNoise = random.poisson(noiseFraction * Double(seen))
      for _ in 0..<nNoise {
        let phi = random.uniform(-Double.pi, Double.pi)
        let z = random.uniform(-halfLength, halfLength)
        hits.append(Hit(r: r, phi: phi, z: z, particle: -1, layer: layer))
      }
      for i in 0..<n {
        kinkT[i] += random.normal() * theta0[i]
        kinkZ[i] += random.normal() * theta0[i] / coshEta[i]
      }
    }
    return hits
  }

  /// Half-width of the Δφ window between two layers: the bend of a pT = 0.3 GeV track plus 4 mrad.
  static func phiWindow(innerRadius: Double, outerRadius: Double) -> Double {
    let rCurv = ptMinCut / (0.3 * bTesla) * 100.0
    return asin(outerRadius / (2 * rCurv)) - asin(innerRadius / (2 * rCurv)) + 0.004
  }

  /// Candidate edges (inner, outer) sorted by (inner, outer), and their truth labels.
  static func buildEdges(_ hits: [Hit]) -> (edges: [(src: Int, dst: Int)], labels: [Bool]) {
    let r = hits.map(\.r)
    let phi = hits.map(\.phi)
    let z = hits.map(\.z)
    var byLayer = [[Int]](repeating: [], count: radii.count)
    for (i, h) in hits.enumerated() { byLayer[h.layer].append(i) }
    var keys: [UInt64] = []
    keys.reserveCapacity(3 * hits.count)
    var extPhi: [Double] = []
    var extIndex: [Int] = []
    for l in 0..<(radii.count - 1) {
      let window = phiWindow(innerRadius: radii[l], outerRadius: radii[l + 1])
      // The outer layer sorted by φ, extended by ±2π for the wrap-around.
      let outer = byLayer[l + 1].sorted { phi[$0] < phi[$1] }
      extPhi.removeAll(keepingCapacity: true)
      extIndex.removeAll(keepingCapacity: true)
      for shift in [-2.0 * Double.pi, 0.0, 2.0 * Double.pi] {
        for j in outer {
          extPhi.append(phi[j] + shift)
          extIndex.append(j)
        }
      }
      for src in byLayer[l] {
        var k = lowerBound(extPhi, phi[src] - window)
        let upper = phi[src] + window
        while k < extPhi.count && extPhi[k] <= upper {
          let dst = extIndex[k]
          let zAtBeam = z[src] - r[src] * (z[dst] - z[src]) / (r[dst] - r[src])
          if abs(zAtBeam) < z0Cut { keys.append(UInt64(src) << 32 | UInt64(dst)) }
          k += 1
        }
      }
    }
    keys.sort()
    var edges: [(src: Int, dst: Int)] = []
    edges.reserveCapacity(keys.count)
    var labels: [Bool] = []
    labels.reserveCapacity(keys.count)
    for key in keys {
      let src = Int(key >> 32)
      let dst = Int(key & 0xFFFF_FFFF)
      edges.append((src, dst))
      labels.append(hits[src].particle >= 0 && hits[src].particle == hits[dst].particle)
    }
    return (edges, labels)
  }

  /// First index of the ascending `values` with value ≥ `target`.
  static func lowerBound(_ values: [Double], _ target: Double) -> Int {
    var low = 0
    var high = values.count
    while low < high {
      let mid = (low + high) / 2
      if values[mid] < target { low = mid + 1 } else { high = mid }
    }
    return low
  }
}
