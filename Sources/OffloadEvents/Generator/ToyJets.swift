// The jets of a toy event: inputs of jet_tagger_qg and their truth.

/// Quark and gluon jets as sets of particles, laid out as the `pf_features` and
/// `pf_mask` inputs of `jet_tagger_qg` (channels first, particles sorted by
/// decreasing pT, zero padded to `paddedLength`).
public struct ToyJets: Sendable, Equatable {
  /// Per-particle features, in the order of zoo/toysim/jets.py FEATURES.
  public static let featureNames: [String] = [
    "log_pt", "log_e", "log_pt_rel", "log_e_rel", "delta_eta", "delta_phi", "delta_r",
  ]
  public static let featureCount = 7

  /// Number of jets.
  public let count: Int
  /// P: particles per jet after padding (the event's longest jet, or the configured maximum).
  public let paddedLength: Int
  /// FP32 [count, 7, P], row-major (`pf_features`); zero beyond each jet's multiplicity.
  public let features: [Float]
  /// FP32 [count, 1, P] (`pf_mask`): 1 for a particle, 0 for padding.
  public let mask: [Float]
  /// Particles in each jet (≤ P).
  public let multiplicity: [Int32]
  /// Truth: quark jet (label 1) or gluon jet (0).
  public let isQuark: [Bool]
  /// Truth: jet transverse momentum in GeV and pseudorapidity.
  public let pt: [Float]
  public let eta: [Float]

  /// Traps when an array's size does not match the counts: check sizes first when reading files.
  public init(
    count: Int, paddedLength: Int, features: [Float], mask: [Float], multiplicity: [Int32], isQuark: [Bool],
    pt: [Float], eta: [Float]
  ) {
    precondition(features.count == count * Self.featureCount * paddedLength && mask.count == count * paddedLength)
    precondition(multiplicity.count == count && isQuark.count == count && pt.count == count && eta.count == count)
    self.count = count
    self.paddedLength = paddedLength
    self.features = features
    self.mask = mask
    self.multiplicity = multiplicity
    self.isQuark = isQuark
    self.pt = pt
    self.eta = eta
  }

  /// No jets.
  public static let empty = ToyJets(
    count: 0, paddedLength: 0, features: [], mask: [], multiplicity: [], isQuark: [], pt: [], eta: [])
}
