#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

extension EventResults {
  /// Column names in the results file, in file order.
  static let columns = [
    "event_index", "event_checksum", "tracks_count", "ghost_prob", "track_is_ghost", "jets_count",
    "prob_quark", "jet_is_quark", "channels_count", "energy", "true_energy", "met_xy", "true_met_xy",
    "edges_count", "edge_score", "edge_is_true",
  ]

  /// Writes the results as a NumPy `.npz` archive (`numpy.load(path)`); identical results give
  /// byte-identical files.
  public func write(to url: URL) throws {
    let arrays: [(name: String, array: NumpyArray)] = [
      ("event_index", try NumpyArray(eventIndex)),
      ("event_checksum", try NumpyArray(eventChecksum)),
      ("tracks_count", try NumpyArray(trackCount)),
      ("ghost_prob", try NumpyArray(ghostProbability)),
      ("track_is_ghost", try NumpyArray(trackIsGhost)),
      ("jets_count", try NumpyArray(jetCount)),
      ("prob_quark", try NumpyArray(quarkProbability)),
      ("jet_is_quark", try NumpyArray(jetIsQuark)),
      ("channels_count", try NumpyArray(channelCount)),
      ("energy", try NumpyArray(channelEnergy)),
      ("true_energy", try NumpyArray(channelTrueEnergy)),
      ("met_xy", try NumpyArray(met, shape: [met.count / 2, 2])),
      ("true_met_xy", try NumpyArray(metTrue, shape: [metTrue.count / 2, 2])),
      ("edges_count", try NumpyArray(edgeCount)),
      ("edge_score", try NumpyArray(edgeScore)),
      ("edge_is_true", try NumpyArray(edgeIsTrue)),
    ]
    try NumpyArchive.write(arrays, to: url)
  }

  /// Reads a results file written by ``write(to:)``.
  /// - Throws: When a column is missing or of the wrong type, naming the file and column.
  public init(contentsOf url: URL) throws {
    let arrays = try NumpyArchive.read(from: url)
    func column(_ name: String) throws -> NumpyArray {
      guard let array = arrays[name] else {
        throw WorkflowError("\(url.path): no column '\(name)'; is this an `offload events` results file?")
      }
      return array
    }
    self.init()
    eventIndex = try column("event_index").uint64s()
    eventChecksum = try column("event_checksum").uint64s()
    trackCount = try column("tracks_count").int64s()
    ghostProbability = try column("ghost_prob").floats()
    trackIsGhost = try column("track_is_ghost").bools()
    jetCount = try column("jets_count").int64s()
    quarkProbability = try column("prob_quark").floats()
    jetIsQuark = try column("jet_is_quark").bools()
    channelCount = try column("channels_count").int64s()
    channelEnergy = try column("energy").floats()
    channelTrueEnergy = try column("true_energy").floats()
    met = try column("met_xy").floats()
    metTrue = try column("true_met_xy").floats()
    edgeCount = try column("edges_count").int64s()
    edgeScore = try column("edge_score").floats()
    edgeIsTrue = try column("edge_is_true").bools()
  }

  /// Merges shard results: sorted by their first event, they must cover one contiguous range with no
  /// event missing or repeated.
  /// - Throws: ``WorkflowError`` naming the gap or overlap.
  public static func merge(_ shards: [EventResults]) throws -> EventResults {
    let ordered = shards.filter { $0.count > 0 }.sorted { $0.eventIndex[0] < $1.eventIndex[0] }
    var merged = EventResults()
    for shard in ordered {
      if let last = merged.eventIndex.last, shard.eventIndex[0] != last + 1 {
        throw WorkflowError(
          shard.eventIndex[0] <= last
            ? "shards overlap: event \(shard.eventIndex[0]) appears twice"
            : "events \(last + 1)..<\(shard.eventIndex[0]) are in no shard; run the missing shard")
      }
      guard zip(shard.eventIndex, shard.eventIndex.dropFirst()).allSatisfy({ $1 == $0 + 1 }) else {
        throw WorkflowError("a shard starting at event \(shard.eventIndex[0]) is not contiguous")
      }
      merged.append(contentsOf: shard)
    }
    return merged
  }
}
