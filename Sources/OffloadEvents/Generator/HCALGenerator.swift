// HCAL channel pulses with pileup and noise: a port of zoo/toysim/hcal.py.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Generates the HCAL channels read out in one event.
///
/// Physics (see docs/events-physics.md): each channel reads 8 samples of 25 ns; the
/// in-time pulse t² e^(−t/7 ns) starts at 75 ns plus a channel phase and time slewing;
/// the response (fC/GeV) depends on depth, endcap radiation damage and iphi; the
/// deposit fluctuates by 50 %/√E ⊕ 2 %; out-of-time pileup from bunch crossings −2,
/// −1, +1, +2 (rate ∝ μ) and 2 fC noise per sample are added. True energy is
/// log-uniform in 0.5–500 GeV. The channels of one event are distinct.
enum HCALGenerator {
  static let sampleCount = ToyHCALChannels.sampleCount
  static let nominalFCPerGeV = 10.0
  static let tauNs = 7.0
  static let inTimeStartNs = 75.0
  static let outOfTimeCrossings: [Double] = [-2, -1, 1, 2]
  static let pileupEnergyMean = 1.5
  static let noiseFC = 2.0

  static func generate(
    pileupMu mu: Double, configuration: ToyDetectorConfiguration.HCAL, random: inout EventRandom
  )
    -> ToyHCALChannels
  {
    let count = min(random.poisson(configuration.channelsPerPileupInteraction * mu), configuration.maxChannels)
    var taken = [UInt64](repeating: 0, count: (ToyHCALChannels.detectorChannelCount + 63) / 64)
    var pulses = [Float](repeating: 0, count: count * sampleCount)
    var channels = [Float](repeating: 0, count: count * ToyHCALChannels.channelFeatureCount)
    var trueEnergy = [Float](repeating: 0, count: count)
    var samples = [Double](repeating: 0, count: sampleCount)
    for i in 0..<count {
      let (ieta, iphi, depth) = distinctChannel(taken: &taken, random: &random)
      let energy = channel(ieta: ieta, iphi: iphi, depth: depth, mu: mu, samples: &samples, random: &random)
      for s in 0..<sampleCount { pulses[i * sampleCount + s] = Float(samples[s]) }
      channels[i * 4 + 0] = Float(ieta)
      channels[i * 4 + 1] = Float(iphi)
      channels[i * 4 + 2] = Float(depth)
      channels[i * 4 + 3] = Float(mu)
      trueEnergy[i] = Float(energy)
    }
    return ToyHCALChannels(
      pileupMu: Float(mu), count: count, pulses: pulses, channels: channels, trueEnergy: trueEnergy)
  }

  /// A channel drawn as the zoo draws it (|ieta| uniform in 1–29, random side, iphi
  /// uniform, depth uniform among the tower's 4 or 7), drawn again if already read out.
  static func distinctChannel(taken: inout [UInt64], random: inout EventRandom) -> (Int, Int, Int) {
    while true {
      let aeta = random.integer(in: 1...29)
      let ieta = random.uniform() < 0.5 ? -aeta : aeta
      let iphi = random.integer(in: 1...72)
      let maxDepth = aeta <= 16 ? 4 : 7
      let depth = 1 + Int((random.uniform() * Double(maxDepth)).rounded(.down))
      let id = channelID(ieta: ieta, iphi: iphi, depth: depth)
      let (word, bit) = (id / 64, UInt64(1) << UInt64(id % 64))
      if taken[word] & bit == 0 {
        taken[word] |= bit
        return (ieta, iphi, depth)
      }
    }
  }

  /// A dense index 0..<22 320 of (ieta, iphi, depth).
  static func channelID(ieta: Int, iphi: Int, depth: Int) -> Int {
    let aeta = abs(ieta)
    let towerOffset = aeta <= 16 ? (aeta - 1) * 4 : 64 + (aeta - 17) * 7
    let side = ieta < 0 ? 0 : 1
    return ((side * 72 + (iphi - 1)) * 155) + towerOffset + (depth - 1)
  }

  /// Simulates one channel: fills `samples` (fC) and returns the true in-time energy (GeV).
  static func channel(
    ieta: Int, iphi: Int, depth: Int, mu: Double, samples: inout [Double], random: inout EventRandom
  )
    -> Double
  {
    let aeta = Double(abs(ieta))
    let energy = 0.5 * pow(1000.0, random.uniform())
    let resolution = (0.5 * 0.5 / energy + 0.02 * 0.02).squareRoot()
    let deposit = max(energy * (1.0 + random.normal() * resolution), 0.0)
    let gain = response(ieta: ieta, iphi: iphi, depth: depth)
    let phase = channelPhaseNs(ieta: ieta, depth: depth)
    for s in 0..<sampleCount { samples[s] = 0 }
    addPulse(charge: deposit * gain, startNs: inTimeStartNs + phase + 6.0 * exp(-energy / 8.0), to: &samples)

    let occupancy = 0.007 * (1.0 + 3.0 * (aeta / 29.0) * (aeta / 29.0))
    let pileupLimit = exp(-mu * occupancy)
    for bx in outOfTimeCrossings {
      let nPileup = random.poissonSmall(expMinusLambda: pileupLimit)
      guard nPileup > 0 else { continue }
      let pileupEnergy = random.gamma(shape: Double(nPileup), scale: pileupEnergyMean)
      let slew = 6.0 * exp(-pileupEnergy / 8.0)
      addPulse(charge: pileupEnergy * gain, startNs: inTimeStartNs + 25.0 * bx + phase + slew, to: &samples)
    }
    for s in 0..<sampleCount { samples[s] += random.normal() * noiseFC }
    return energy
  }

  /// Adds a pulse of total `charge` starting at `startNs`, integrated over the 8 samples:
  /// differences of the Gamma(3, τ) CDF 1 − e^(−x)(1 + x + x²/2), x = (t − start)/τ, at the
  /// sample edges t = 0, 25, …, 200 ns (e^(−x) advances by the constant e^(−25/τ) per edge).
  static func addPulse(charge: Double, startNs: Double, to samples: inout [Double]) {
    let first = max(Int((startNs / 25.0).rounded(.down)) + 1, 0)  // first edge after the start
    guard first <= sampleCount else { return }
    var x = (25.0 * Double(first) - startNs) / tauNs
    var decay = exp(-x)
    var previous = 0.0
    for edge in first...sampleCount {
      let cdf = 1.0 - decay * (1.0 + x + 0.5 * x * x)
      if edge > 0 { samples[edge - 1] += charge * (cdf - previous) }
      previous = cdf
      x += stepX
      decay *= stepDecay
    }
  }

  /// Edge spacing in units of τ, and e^(−spacing).
  static let stepX = 25.0 / tauNs
  static let stepDecay = exp(-25.0 / tauNs)

  /// Response of a channel in fC per GeV: depth factor, endcap radiation damage, iphi modulation.
  static func response(ieta: Int, iphi: Int, depth: Int) -> Double {
    let aeta = Double(abs(ieta))
    let d = Double(depth)
    let depthFactor = 0.9 + 0.05 * d
    let damage = min(aeta > 16 ? 0.012 * (aeta - 16) * (0.6 + 0.15 * d) : 0.0, 0.35)
    let phiModulation = 1.0 + 0.03 * cos(2.0 * Double.pi * Double(iphi) / 18.0)
    return nominalFCPerGeV * depthFactor * (1.0 - damage) * phiModulation
  }

  /// Per-channel timing offset in ns.
  static func channelPhaseNs(ieta: Int, depth: Int) -> Double {
    1.5 * (Double(depth) - 2.5) + 0.08 * Double(abs(ieta)) - 1.0
  }
}
