// Which zoo model consumes which collection of a toy event, with the tensor names,
// types and per-object shapes of models/<name>/config.pbtxt.

/// Element type of a model tensor; the raw value is the KServe v2 datatype name.
public enum ToyTensorDatatype: String, Sendable, Codable, CaseIterable {
  case fp32 = "FP32"
  case int64 = "INT64"
  case bool = "BOOL"

  /// Bytes per element in the KServe binary layout.
  public var byteSize: Int {
    switch self {
    case .fp32: 4
    case .int64: 8
    case .bool: 1
    }
  }
}

/// A model input or output as the zoo model's config declares it.
public struct ToyTensorSpec: Sendable, Equatable {
  public var name: String
  public var datatype: ToyTensorDatatype
  /// Shape of one object's slice without the batch dimension (config `dims`); −1 is variable.
  /// For `trk_edge_filter` (no batching) this is the full tensor shape.
  public var dims: [Int]

  public init(name: String, datatype: ToyTensorDatatype, dims: [Int]) {
    self.name = name
    self.datatype = datatype
    self.dims = dims
  }
}

/// The zoo model for each collection of a toy event.
public enum ToyModel: String, CaseIterable, Sendable, Codable {
  /// Ghost probability of every track: one row of 17 features per track.
  case lhcbGhostMLP = "lhcb_ghost_mlp"
  /// Quark/gluon probability of every jet: 7 features × P particles per jet, and a mask.
  case jetTaggerQG = "jet_tagger_qg"
  /// Energy of every HCAL channel: 8 samples and 4 channel coordinates per channel.
  case hcalFacile = "hcal_facile"
  /// Missing transverse momentum of the event from its particle-flow candidates.
  case deepmetToy = "deepmet_toy"
  /// Score of every candidate edge of the event's tracker hit graph.
  case trkEdgeFilter = "trk_edge_filter"

  /// The name of the model in the repository (`models/<name>`).
  public var modelName: String { rawValue }

  /// What one batch row is: "track", "jet", "channel", or "event".
  public var objectName: String {
    switch self {
    case .lhcbGhostMLP: "track"
    case .jetTaggerQG: "jet"
    case .hcalFacile: "channel"
    case .deepmetToy, .trkEdgeFilter: "event"
    }
  }

  /// `max_batch_size` of the model's config; 0 means the model takes no batch dimension.
  public var maxBatchSize: Int {
    switch self {
    case .lhcbGhostMLP: 4096
    case .jetTaggerQG: 1024
    case .hcalFacile: 65536
    case .deepmetToy: 256
    case .trkEdgeFilter: 0
    }
  }

  /// The model's inputs in config order.
  public var inputs: [ToyTensorSpec] {
    switch self {
    case .lhcbGhostMLP:
      [ToyTensorSpec(name: "features", datatype: .fp32, dims: [ToyTracks.featureCount])]
    case .jetTaggerQG:
      [
        ToyTensorSpec(name: "pf_features", datatype: .fp32, dims: [ToyJets.featureCount, -1]),
        ToyTensorSpec(name: "pf_mask", datatype: .fp32, dims: [1, -1]),
      ]
    case .hcalFacile:
      [
        ToyTensorSpec(name: "pulses", datatype: .fp32, dims: [ToyHCALChannels.sampleCount]),
        ToyTensorSpec(name: "channel", datatype: .fp32, dims: [ToyHCALChannels.channelFeatureCount]),
      ]
    case .deepmetToy:
      [
        ToyTensorSpec(name: "pf_cont", datatype: .fp32, dims: [-1, ToyPFCandidates.continuousCount]),
        ToyTensorSpec(name: "pf_cat", datatype: .int64, dims: [-1, ToyPFCandidates.categoricalCount]),
        ToyTensorSpec(name: "pf_mask", datatype: .bool, dims: [-1]),
      ]
    case .trkEdgeFilter:
      [
        ToyTensorSpec(name: "hits", datatype: .fp32, dims: [-1, 3]),
        ToyTensorSpec(name: "edge_index", datatype: .int64, dims: [2, -1]),
      ]
    }
  }

  /// The model's outputs in config order.
  public var outputs: [ToyTensorSpec] {
    switch self {
    case .lhcbGhostMLP: [ToyTensorSpec(name: "ghost_prob", datatype: .fp32, dims: [1])]
    case .jetTaggerQG: [ToyTensorSpec(name: "prob_quark", datatype: .fp32, dims: [1])]
    case .hcalFacile: [ToyTensorSpec(name: "energy", datatype: .fp32, dims: [1])]
    case .deepmetToy:
      [
        ToyTensorSpec(name: "met_xy", datatype: .fp32, dims: [2]),
        ToyTensorSpec(name: "weights", datatype: .fp32, dims: [-1]),
      ]
    case .trkEdgeFilter: [ToyTensorSpec(name: "edge_score", datatype: .fp32, dims: [-1])]
    }
  }

  /// The main input (the first in config order).
  public var primaryInput: ToyTensorSpec { inputs[0] }

  /// The main output: the physics result per object.
  public var primaryOutput: ToyTensorSpec { outputs[0] }

  /// Elements of the main output per object (1 probability or energy; 2 for met_xy;
  /// one score per edge for the edge filter, where the count varies: −1).
  public var outputElementsPerObject: Int {
    switch self {
    case .lhcbGhostMLP, .jetTaggerQG, .hcalFacile: 1
    case .deepmetToy: 2
    case .trkEdgeFilter: -1
    }
  }
}
