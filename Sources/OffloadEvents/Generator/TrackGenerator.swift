// LHCb-like long tracks and ghosts: a port of zoo/toysim/lhcb_tracks.py.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Generates the tracks of one event.
///
/// Physics (see docs/events-physics.md): each track has a hidden ghostness g, 0 for
/// real tracks and Beta(3, 1) for ghosts, and every feature interpolates between its
/// real and its full-ghost distribution by g. The ghost probability per track is
/// 8 % + 3.5 % per primary vertex (at most 60 %); the event's primary vertices also
/// raise the shared-hit count. Formulas and constants are those of the zoo's toy.
enum TrackGenerator {
  static func generate(
    primaryVertexCount nPV: Int, configuration: ToyDetectorConfiguration.Tracks, random: inout EventRandom
  ) -> ToyTracks {
    let count = random.poisson(configuration.perPrimaryVertex * Double(nPV))
    var features = [Float](repeating: 0, count: count * ToyTracks.featureCount)
    var isGhost = [Bool](repeating: false, count: count)
    var ghostness = [Float](repeating: 0, count: count)
    for i in 0..<count {
      let track = self.track(primaryVertexCount: nPV, random: &random)
      isGhost[i] = track.ghost
      ghostness[i] = Float(track.g)
      for (k, value) in track.features.enumerated() { features[i * ToyTracks.featureCount + k] = Float(value) }
    }
    return ToyTracks(
      primaryVertexCount: nPV, count: count, features: features, isGhost: isGhost, ghostness: ghostness)
  }

  /// Probability that a track is a ghost in an event with `nPV` primary vertices.
  static func ghostProbability(primaryVertexCount nPV: Int) -> Double {
    min(max(0.08 + 0.035 * Double(nPV), 0.0), 0.6)
  }

  /// One track: its 17 features (FEATURES order, float64), ghost label and ghostness.
  static func track(
    primaryVertexCount nPV: Int, random: inout EventRandom
  )
    -> (features: [Double], ghost: Bool, g: Double)
  {
    func lerp(_ a: Double, _ b: Double, _ g: Double) -> Double { a + (b - a) * g }
    let ghost = random.uniform() < ghostProbability(primaryVertexCount: nPV)
    let g = ghost ? random.beta(3.0, 1.0) : 0.0

    var log10p = random.normal(mean: ghost ? 0.75 : 1.0, sd: 0.35)
    log10p = min(max(log10p, log10(2.0)), log10(300.0))
    let p = pow(10.0, log10p)
    let eta = 2.0 + 3.0 * random.beta(ghost ? 1.4 : 1.1, 1.1)
    let pt = p / cosh(eta)
    let ms = 1.0 + 4.0 / p  // low-momentum chi2 inflation (multiple scattering)

    let nVeloExpected = Int((8.0 + 3.0 * (eta - 2.0)).rounded(.toNearestOrEven))
    let nVelo = max(random.binomial(nVeloExpected, lerp(0.97, 0.88, g)), 3)
    let nUT = random.binomial(4, lerp(0.93, 0.65, g))
    let nT = max(random.binomial(12, lerp(0.96, 0.86, g)), 6)
    let nOutliers = random.poisson(lerp(0.25, 0.9, g))

    let ndfVelo = Double(2 * nVelo - 4)
    let ndfT = Double(2 * nT - 5)
    let ndf = ndfVelo + ndfT + Double(nUT)
    let veloChi2 = random.chiSquare(ndfVelo) / ndfVelo * lerp(1.0, 1.25, g) * ms.squareRoot()
    let tChi2 = random.chiSquare(ndfT) / ndfT * lerp(1.0, 1.35, g) * ms.squareRoot()
    let matchChi2 = min(random.chiSquare(4) * ms * lerp(1.0, 3.2, g), 40.0)  // the matching cut
    let utDof = Double(max(nUT, 1))
    let trackChi2 = (veloChi2 * ndfVelo + tChi2 * ndfT + 0.5 * matchChi2 + random.chiSquare(utDof)) / ndf
    let utRMS = nUT > 0 ? (random.chiSquare(utDof) / utDof).squareRoot() * lerp(1.0, 1.5, g) : 0.0
    let nShared = random.poisson(0.04 * Double(nPV) + lerp(0.0, 0.6, g))
    let deltaTy = random.normal() * lerp(1.0, 3.5, g)
    let quality = random.beta(lerp(4.0, 2.0, g), lerp(1.6, 2.4, g))

    let features: [Double] = [
      trackChi2, veloChi2, tChi2, matchChi2, Double(nVelo), Double(nVeloExpected - nVelo), Double(nUT),
      Double(nT), Double(nOutliers), log10p, pt, eta, utRMS, Double(nShared), deltaTy, Double(nPV), quality,
    ]
    return (features, ghost, g)
  }
}
