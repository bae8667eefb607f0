// The tracker hit graph of a toy event: inputs of trk_edge_filter and their truth.

/// Silicon-tracker hits in random order and the candidate edges between adjacent
/// layers, laid out as the `hits` and `edge_index` inputs of `trk_edge_filter`.
public struct ToyTrackerHits: Sendable, Equatable {
  /// Number of hits (H).
  public let hitCount: Int
  /// FP32 [H, 3], row-major: (r cm, φ rad, z cm) (`hits`).
  public let hits: [Float]
  /// Number of candidate edges (E).
  public let edgeCount: Int
  /// INT64 [2, E], row-major (`edge_index`): row 0 the inner hit, row 1 the outer hit,
  /// sorted by (inner, outer).
  public let edgeIndex: [Int64]
  /// Truth: both hits of the edge belong to the same particle.
  public let edgeIsTrue: [Bool]
  /// Truth: particle of each hit, −1 for a noise hit.
  public let hitParticle: [Int32]

  /// Traps when an array's size does not match the counts: check sizes first when reading files.
  public init(
    hitCount: Int, hits: [Float], edgeCount: Int, edgeIndex: [Int64], edgeIsTrue: [Bool], hitParticle: [Int32]
  ) {
    precondition(hits.count == 3 * hitCount && hitParticle.count == hitCount)
    precondition(edgeIndex.count == 2 * edgeCount && edgeIsTrue.count == edgeCount)
    self.hitCount = hitCount
    self.hits = hits
    self.edgeCount = edgeCount
    self.edgeIndex = edgeIndex
    self.edgeIsTrue = edgeIsTrue
    self.hitParticle = hitParticle
  }

  /// No hits.
  public static let empty = ToyTrackerHits(
    hitCount: 0, hits: [], edgeCount: 0, edgeIndex: [], edgeIsTrue: [], hitParticle: [])
}
