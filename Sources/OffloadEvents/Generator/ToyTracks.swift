// The tracks of a toy event: inputs of lhcb_ghost_mlp and their truth.

/// LHCb-like long tracks, laid out as the `features` input of `lhcb_ghost_mlp`.
public struct ToyTracks: Sendable, Equatable {
  /// Features per track, in the order of zoo/toysim/lhcb_tracks.py FEATURES.
  public static let featureNames: [String] = [
    "track_chi2ndof", "velo_chi2ndof", "t_chi2ndof", "match_chi2", "n_velo_hits", "n_velo_holes",
    "n_ut_hits", "n_t_hits", "n_t_outliers", "log10_p", "pt", "eta", "ut_residual_rms",
    "n_shared_velo_hits", "delta_ty_pull", "n_pv", "match_quality",
  ]
  public static let featureCount = 17

  /// Primary vertices of the event (also feature 15 of every track).
  public let primaryVertexCount: Int
  /// Number of tracks.
  public let count: Int
  /// FP32 [count, 17], row-major: the model-ready `features` tensor (the model standardises inside).
  public let features: [Float]
  /// Truth: the track is a ghost (`lhcb_tracks.generate`'s label 1).
  public let isGhost: [Bool]
  /// Truth: hidden ghostness g (0 for real tracks, Beta(3, 1) for ghosts).
  public let ghostness: [Float]

  /// Traps when an array's size does not match the counts: check sizes first when reading files.
  public init(primaryVertexCount: Int, count: Int, features: [Float], isGhost: [Bool], ghostness: [Float]) {
    precondition(features.count == count * Self.featureCount && isGhost.count == count && ghostness.count == count)
    self.primaryVertexCount = primaryVertexCount
    self.count = count
    self.features = features
    self.isGhost = isGhost
    self.ghostness = ghostness
  }

  /// No tracks.
  public static let empty = ToyTracks(primaryVertexCount: 0, count: 0, features: [], isGhost: [], ghostness: [])
}
