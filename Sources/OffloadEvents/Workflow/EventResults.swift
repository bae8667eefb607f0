/// What the demo workflow keeps of each event, as columns: per-object model outputs next to the
/// generator's truth, so physics performance can be computed (and recomputed after merging shards)
/// from the results alone.
///
/// Ragged collections are flat arrays with a per-event count column (`tracks_count` etc.).
public struct EventResults: Sendable, Equatable {
  public var eventIndex: [UInt64] = []
  public var eventChecksum: [UInt64] = []
  public var trackCount: [Int64] = []
  public var ghostProbability: [Float] = []
  public var trackIsGhost: [Bool] = []
  public var jetCount: [Int64] = []
  public var quarkProbability: [Float] = []
  public var jetIsQuark: [Bool] = []
  public var channelCount: [Int64] = []
  public var channelEnergy: [Float] = []
  public var channelTrueEnergy: [Float] = []
  /// Two values per event: predicted MET x, y.
  public var met: [Float] = []
  /// Two values per event: true MET x, y.
  public var metTrue: [Float] = []
  public var edgeCount: [Int64] = []
  public var edgeScore: [Float] = []
  public var edgeIsTrue: [Bool] = []

  /// Empty results.
  public init() {}

  /// Number of events.
  public var count: Int { eventIndex.count }

  /// Appends one processed event of the demo workflow (models it did not run leave empty columns).
  /// - Throws: ``WorkflowError`` when a model's output does not match its collection.
  public mutating func append(_ event: EventData) throws {
    let detector = try event.toyEvent()
    eventIndex.append(event.index)
    eventChecksum.append(detector.checksum())
    func outputs(_ model: ToyModel, expected: Int) throws -> [Float]? {
      guard case .floats(let values)? = event.products[ModelInferenceModule.product(model)] else { return nil }
      guard values.count == expected else {
        throw WorkflowError(
          "event \(event.index): \(model.modelName) returned \(values.count) values for \(expected) expected")
      }
      return values
    }
    if let values = try outputs(.lhcbGhostMLP, expected: detector.tracks.count) {
      trackCount.append(Int64(values.count))
      ghostProbability += values
      trackIsGhost += detector.tracks.isGhost
    }
    if let values = try outputs(.jetTaggerQG, expected: detector.jets.count) {
      jetCount.append(Int64(values.count))
      quarkProbability += values
      jetIsQuark += detector.jets.isQuark
    }
    if let values = try outputs(.hcalFacile, expected: detector.hcal.count) {
      channelCount.append(Int64(values.count))
      channelEnergy += values
      channelTrueEnergy += detector.hcal.trueEnergy
    }
    if let values = try outputs(.deepmetToy, expected: 2) {
      met += values
      metTrue += [detector.pfCandidates.trueMETX, detector.pfCandidates.trueMETY]
    }
    if let values = try outputs(.trkEdgeFilter, expected: detector.trackerHits.edgeCount) {
      edgeCount.append(Int64(values.count))
      edgeScore += values
      edgeIsTrue += detector.trackerHits.edgeIsTrue
    }
  }

  /// Appends another run's results (the merge of shards, in event order).
  public mutating func append(contentsOf other: EventResults) {
    eventIndex += other.eventIndex
    eventChecksum += other.eventChecksum
    trackCount += other.trackCount
    ghostProbability += other.ghostProbability
    trackIsGhost += other.trackIsGhost
    jetCount += other.jetCount
    quarkProbability += other.quarkProbability
    jetIsQuark += other.jetIsQuark
    channelCount += other.channelCount
    channelEnergy += other.channelEnergy
    channelTrueEnergy += other.channelTrueEnergy
    met += other.met
    metTrue += other.metTrue
    edgeCount += other.edgeCount
    edgeScore += other.edgeScore
    edgeIsTrue += other.edgeIsTrue
  }
}
