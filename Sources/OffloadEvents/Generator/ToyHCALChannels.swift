// The HCAL channels of a toy event: inputs of hcal_facile and their truth.

/// CMS-like HCAL channels read out as 8 time samples, laid out as the `pulses`
/// and `channel` inputs of `hcal_facile`.
public struct ToyHCALChannels: Sendable, Equatable {
  /// Time samples per channel (TS0–TS7, 25 ns each).
  public static let sampleCount = 8
  /// Channel coordinates per channel: ieta, iphi, depth, pileup μ.
  public static let channelFeatureNames: [String] = ["ieta", "iphi", "depth", "pileup_mu"]
  public static let channelFeatureCount = 4
  /// Channels of the toy HCAL: 2 × 72 × (16 × 4 + 13 × 7).
  public static let detectorChannelCount = 22_320

  /// Average pileup μ of the run (also feature 3 of every channel).
  public let pileupMu: Float
  /// Number of channels read out.
  public let count: Int
  /// FP32 [count, 8]: pedestal-subtracted charge per sample in fC (`pulses`).
  public let pulses: [Float]
  /// FP32 [count, 4]: (ieta, iphi, depth, μ) (`channel`).
  public let channels: [Float]
  /// Truth: in-time energy deposited in the channel, GeV.
  public let trueEnergy: [Float]

  /// Traps when an array's size does not match the counts: check sizes first when reading files.
  public init(pileupMu: Float, count: Int, pulses: [Float], channels: [Float], trueEnergy: [Float]) {
    precondition(pulses.count == count * Self.sampleCount && channels.count == count * Self.channelFeatureCount)
    precondition(trueEnergy.count == count)
    self.pileupMu = pileupMu
    self.count = count
    self.pulses = pulses
    self.channels = channels
    self.trueEnergy = trueEnergy
  }

  /// No channels.
  public static let empty = ToyHCALChannels(pileupMu: 0, count: 0, pulses: [], channels: [], trueEnergy: [])
}
