// The particle-flow candidates of a toy event: inputs of deepmet_toy and their truth.

/// Particle-flow candidates of a W → ℓν event, in random order, laid out as one
/// batch row of `deepmet_toy`'s `pf_cont`, `pf_cat` and `pf_mask` (no padding:
/// the mask is all true; pad with zeros and false to batch several events).
public struct ToyPFCandidates: Sendable, Equatable {
  /// Continuous features per candidate: pt (GeV), eta, phi, px, py (GeV), dz (cm).
  public static let continuousNames: [String] = ["pt", "eta", "phi", "px", "py", "dz"]
  public static let continuousCount = 6
  /// Categorical features per candidate: charge (−1, 0, 1), PF class (0 charged hadron,
  /// 1 electron, 2 muon, 3 photon, 4 neutral hadron, 5 HF hadron), PV association
  /// (0 pileup vertex, 1 no track, 2 loose PV, 3 PV fit).
  public static let categoricalNames: [String] = ["charge", "pf_class", "pv_assoc"]
  public static let categoricalCount = 3

  /// Pileup vertices of the event.
  public let pileupVertexCount: Int
  /// Number of candidates.
  public let count: Int
  /// FP32 [count, 6], row-major (`pf_cont` without its batch dimension).
  public let continuous: [Float]
  /// INT64 [count, 3], row-major (`pf_cat` without its batch dimension).
  public let categorical: [Int64]
  /// Truth: the neutrino's transverse momentum (px, py) in GeV, the true MET.
  public let trueMETX: Float
  public let trueMETY: Float

  /// Traps when an array's size does not match the counts: check sizes first when reading files.
  public init(
    pileupVertexCount: Int, count: Int, continuous: [Float], categorical: [Int64], trueMETX: Float, trueMETY: Float
  ) {
    precondition(continuous.count == count * Self.continuousCount && categorical.count == count * Self.categoricalCount)
    self.pileupVertexCount = pileupVertexCount
    self.count = count
    self.continuous = continuous
    self.categorical = categorical
    self.trueMETX = trueMETX
    self.trueMETY = trueMETY
  }

  /// No candidates.
  public static let empty = ToyPFCandidates(
    pileupVertexCount: 0, count: 0, continuous: [], categorical: [], trueMETX: 0, trueMETY: 0)
}
