// One toy collision event: every collection laid out for its zoo model.

/// A toy detector event: the tracks, jets, HCAL channels, particle-flow candidates
/// and tracker hits of one collision, each laid out as its zoo model's input, with
/// the truth next to it. A collection switched off in the configuration is empty.
public struct ToyEvent: Sendable, Equatable {
  /// Position of the event in its run: with the run's seed it determines the content.
  public var index: UInt64
  /// Event pileup level as a quantile in (0, 1): sets the primary vertices of the
  /// tracks, μ of the HCAL and the pileup vertices of the PF candidates together.
  public var pileupQuantile: Double
  public var tracks: ToyTracks
  public var jets: ToyJets
  public var hcal: ToyHCALChannels
  public var pfCandidates: ToyPFCandidates
  public var trackerHits: ToyTrackerHits

  public init(
    index: UInt64, pileupQuantile: Double, tracks: ToyTracks, jets: ToyJets, hcal: ToyHCALChannels,
    pfCandidates: ToyPFCandidates, trackerHits: ToyTrackerHits
  ) {
    self.index = index
    self.pileupQuantile = pileupQuantile
    self.tracks = tracks
    self.jets = jets
    self.hcal = hcal
    self.pfCandidates = pfCandidates
    self.trackerHits = trackerHits
  }

  /// Batch rows this event gives `model`: tracks, jets or channels; for `deepmet_toy`
  /// 1 (0 without candidates); for `trk_edge_filter` (no batch dimension) 1 (0 without edges).
  public func objectCount(for model: ToyModel) -> Int {
    switch model {
    case .lhcbGhostMLP: tracks.count
    case .jetTaggerQG: jets.count
    case .hcalFacile: hcal.count
    case .deepmetToy: pfCandidates.count > 0 ? 1 : 0
    case .trkEdgeFilter: trackerHits.edgeCount > 0 ? 1 : 0
    }
  }

  /// Full shape of the model's main input for this event (see `inputs(for:)`).
  public func inputShape(for model: ToyModel) -> [Int] {
    inputShape(for: model, input: model.primaryInput.name) ?? []
  }

  /// Full shape of the named input of `model` for this event; nil for an unknown name.
  public func inputShape(for model: ToyModel, input name: String) -> [Int]? {
    switch (model, name) {
    case (.lhcbGhostMLP, "features"): [tracks.count, ToyTracks.featureCount]
    case (.jetTaggerQG, "pf_features"): [jets.count, ToyJets.featureCount, jets.paddedLength]
    case (.jetTaggerQG, "pf_mask"): [jets.count, 1, jets.paddedLength]
    case (.hcalFacile, "pulses"): [hcal.count, ToyHCALChannels.sampleCount]
    case (.hcalFacile, "channel"): [hcal.count, ToyHCALChannels.channelFeatureCount]
    case (.deepmetToy, "pf_cont"): [1, pfCandidates.count, ToyPFCandidates.continuousCount]
    case (.deepmetToy, "pf_cat"): [1, pfCandidates.count, ToyPFCandidates.categoricalCount]
    case (.deepmetToy, "pf_mask"): [1, pfCandidates.count]
    case (.trkEdgeFilter, "hits"): [trackerHits.hitCount, 3]
    case (.trkEdgeFilter, "edge_index"): [2, trackerHits.edgeCount]
    default: nil
    }
  }

  /// The model's inputs for this event, in config order, with their full shapes. The
  /// arrays are shared with the event (copy-on-write), not copied.
  public func inputs(for model: ToyModel) -> [ToyTensor] {
    model.inputs.map { spec in
      ToyTensor(name: spec.name, shape: inputShape(for: model, input: spec.name) ?? [], data: data(model, spec.name))
    }
  }

  private func data(_ model: ToyModel, _ name: String) -> ToyTensorData {
    switch (model, name) {
    case (.lhcbGhostMLP, _): .fp32(tracks.features)
    case (.jetTaggerQG, "pf_features"): .fp32(jets.features)
    case (.jetTaggerQG, _): .fp32(jets.mask)
    case (.hcalFacile, "pulses"): .fp32(hcal.pulses)
    case (.hcalFacile, _): .fp32(hcal.channels)
    case (.deepmetToy, "pf_cont"): .fp32(pfCandidates.continuous)
    case (.deepmetToy, "pf_cat"): .int64(pfCandidates.categorical)
    case (.deepmetToy, _): .bool([Bool](repeating: true, count: pfCandidates.count))
    case (.trkEdgeFilter, "hits"): .fp32(trackerHits.hits)
    case (.trkEdgeFilter, _): .int64(trackerHits.edgeIndex)
    }
  }
}
