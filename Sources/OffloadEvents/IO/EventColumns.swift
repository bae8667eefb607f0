// The column names of the event file format and the events → columns direction.

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Converts toy events to the columns of an event file and back (see `EventFile` for the layout).
enum EventColumns {
  // Column names, format version 1.
  static let formatVersion = "format_version"
  static let featureNamesJSON = "feature_names_json"
  static let configurationJSON = "configuration_json"
  static let eventIndex = "event_index"
  static let eventPileupQuantile = "event_pileup_quantile"
  static let eventChecksum = "event_checksum"
  static let tracksCount = "tracks_count"
  static let tracksPrimaryVertexCount = "tracks_primary_vertex_count"
  static let tracksFeatures = "tracks_features"
  static let tracksIsGhost = "tracks_is_ghost"
  static let tracksGhostness = "tracks_ghostness"
  static let jetsCount = "jets_count"
  static let jetsPaddedLength = "jets_padded_length"
  static let jetsMultiplicity = "jets_multiplicity"
  static let jetsIsQuark = "jets_is_quark"
  static let jetsPt = "jets_pt"
  static let jetsEta = "jets_eta"
  static let jetsConstituents = "jets_constituents"
  static let hcalCount = "hcal_count"
  static let hcalPileupMu = "hcal_pileup_mu"
  static let hcalPulses = "hcal_pulses"
  static let hcalChannel = "hcal_channel"
  static let hcalTrueEnergy = "hcal_true_energy"
  static let pfCount = "pf_count"
  static let pfPileupVertexCount = "pf_pileup_vertex_count"
  static let pfTrueMETX = "pf_true_met_x"
  static let pfTrueMETY = "pf_true_met_y"
  static let pfContinuous = "pf_continuous"
  static let pfCategorical = "pf_categorical"
  static let hitsCount = "hits_count"
  static let hitsPosition = "hits_position"
  static let hitsParticle = "hits_particle"
  static let edgesCount = "edges_count"
  static let edgesIndex = "edges_index"
  static let edgesIsTrue = "edges_is_true"

  /// Names along the last axis of the columns that have one, stored as `feature_names_json`.
  static let featureNames: [String: [String]] = [
    tracksFeatures: ToyTracks.featureNames,
    jetsConstituents: ToyJets.featureNames,
    hcalPulses: (0..<ToyHCALChannels.sampleCount).map { "ts\($0)" },
    hcalChannel: ToyHCALChannels.channelFeatureNames,
    pfContinuous: ToyPFCandidates.continuousNames,
    pfCategorical: ToyPFCandidates.categoricalNames,
    hitsPosition: ["r", "phi", "z"],
    edgesIndex: ["inner", "outer"],
  ]

  /// `feature_names_json`: sorted keys, so the bytes never change.
  static func featureNamesData() -> [UInt8] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    // Encoding a dictionary of string arrays cannot fail.
    return Array((try? encoder.encode(featureNames)) ?? Data())
  }

  /// The columns of `events`, in file order.
  static func encode(
    _ events: [ToyEvent], configurationJSON: String?
  ) throws -> [(name: String, array: NumpyArray)] {
    let n = events.count
    var index: [UInt64] = []
    var quantile: [Double] = []
    var checksum: [UInt64] = []
    var tracksCount: [Int64] = []
    var tracksPV: [Int64] = []
    var tracksFeatures: [Float] = []
    var tracksIsGhost: [Bool] = []
    var tracksGhostness: [Float] = []
    var jetsCount: [Int64] = []
    var jetsPadded: [Int64] = []
    var jetsMultiplicity: [Int32] = []
    var jetsIsQuark: [Bool] = []
    var jetsPt: [Float] = []
    var jetsEta: [Float] = []
    var jetsConstituents: [Float] = []
    var hcalCount: [Int64] = []
    var hcalMu: [Float] = []
    var hcalPulses: [Float] = []
    var hcalChannel: [Float] = []
    var hcalTrueEnergy: [Float] = []
    var pfCount: [Int64] = []
    var pfPU: [Int64] = []
    var pfMETX: [Float] = []
    var pfMETY: [Float] = []
    var pfContinuous: [Float] = []
    var pfCategorical: [Int64] = []
    var hitsCount: [Int64] = []
    var hitsPosition: [Float] = []
    var hitsParticle: [Int32] = []
    var edgesCount: [Int64] = []
    var edgesIndex: [Int64] = []
    var edgesIsTrue: [Bool] = []
    index.reserveCapacity(n)
    quantile.reserveCapacity(n)
    checksum.reserveCapacity(n)
    tracksFeatures.reserveCapacity(events.reduce(0) { $0 + $1.tracks.features.count })
    hcalPulses.reserveCapacity(events.reduce(0) { $0 + $1.hcal.pulses.count })
    hitsPosition.reserveCapacity(events.reduce(0) { $0 + $1.trackerHits.hits.count })
    edgesIndex.reserveCapacity(events.reduce(0) { $0 + $1.trackerHits.edgeIndex.count })

    for event in events {
      index.append(event.index)
      quantile.append(event.pileupQuantile)
      checksum.append(event.checksum())

      let t = event.tracks
      tracksCount.append(Int64(t.count))
      tracksPV.append(Int64(t.primaryVertexCount))
      tracksFeatures.append(contentsOf: t.features)
      tracksIsGhost.append(contentsOf: t.isGhost)
      tracksGhostness.append(contentsOf: t.ghostness)

      let j = event.jets
      jetsCount.append(Int64(j.count))
      jetsPadded.append(Int64(j.paddedLength))
      jetsMultiplicity.append(contentsOf: j.multiplicity)
      jetsIsQuark.append(contentsOf: j.isQuark)
      jetsPt.append(contentsOf: j.pt)
      jetsEta.append(contentsOf: j.eta)
      try appendConstituents(of: j, eventIndex: event.index, to: &jetsConstituents)

      let h = event.hcal
      hcalCount.append(Int64(h.count))
      hcalMu.append(h.pileupMu)
      hcalPulses.append(contentsOf: h.pulses)
      hcalChannel.append(contentsOf: h.channels)
      hcalTrueEnergy.append(contentsOf: h.trueEnergy)

      let p = event.pfCandidates
      pfCount.append(Int64(p.count))
      pfPU.append(Int64(p.pileupVertexCount))
      pfMETX.append(p.trueMETX)
      pfMETY.append(p.trueMETY)
      pfContinuous.append(contentsOf: p.continuous)
      pfCategorical.append(contentsOf: p.categorical)

      let g = event.trackerHits
      hitsCount.append(Int64(g.hitCount))
      hitsPosition.append(contentsOf: g.hits)
      hitsParticle.append(contentsOf: g.hitParticle)
      edgesCount.append(Int64(g.edgeCount))
      for k in 0..<g.edgeCount {
        edgesIndex.append(g.edgeIndex[k])
        edgesIndex.append(g.edgeIndex[g.edgeCount + k])
      }
      edgesIsTrue.append(contentsOf: g.edgeIsTrue)
    }

    func rows(_ values: [Float], _ width: Int) throws -> NumpyArray {
      try NumpyArray(values, shape: [values.count / width, width])
    }
    var columns: [(name: String, array: NumpyArray)] = [
      (formatVersion, try NumpyArray([EventFile.formatVersion], shape: [])),
      (featureNamesJSON, try NumpyArray(featureNamesData())),
    ]
    if let configurationJSON {
      columns.append((self.configurationJSON, try NumpyArray(Array(configurationJSON.utf8))))
    }
    columns += [
      (eventIndex, try NumpyArray(index)),
      (eventPileupQuantile, try NumpyArray(quantile)),
      (eventChecksum, try NumpyArray(checksum)),
      (self.tracksCount, try NumpyArray(tracksCount)),
      (tracksPrimaryVertexCount, try NumpyArray(tracksPV)),
      (self.tracksFeatures, try rows(tracksFeatures, ToyTracks.featureCount)),
      (self.tracksIsGhost, try NumpyArray(tracksIsGhost)),
      (self.tracksGhostness, try NumpyArray(tracksGhostness)),
      (self.jetsCount, try NumpyArray(jetsCount)),
      (jetsPaddedLength, try NumpyArray(jetsPadded)),
      (self.jetsMultiplicity, try NumpyArray(jetsMultiplicity)),
      (self.jetsIsQuark, try NumpyArray(jetsIsQuark)),
      (self.jetsPt, try NumpyArray(jetsPt)),
      (self.jetsEta, try NumpyArray(jetsEta)),
      (self.jetsConstituents, try rows(jetsConstituents, ToyJets.featureCount)),
      (self.hcalCount, try NumpyArray(hcalCount)),
      (hcalPileupMu, try NumpyArray(hcalMu)),
      (self.hcalPulses, try rows(hcalPulses, ToyHCALChannels.sampleCount)),
      (self.hcalChannel, try rows(hcalChannel, ToyHCALChannels.channelFeatureCount)),
      (self.hcalTrueEnergy, try NumpyArray(hcalTrueEnergy)),
      (self.pfCount, try NumpyArray(pfCount)),
      (pfPileupVertexCount, try NumpyArray(pfPU)),
      (pfTrueMETX, try NumpyArray(pfMETX)),
      (pfTrueMETY, try NumpyArray(pfMETY)),
      (self.pfContinuous, try rows(pfContinuous, ToyPFCandidates.continuousCount)),
      (
        self.pfCategorical,
        try NumpyArray(pfCategorical, shape: [pfCategorical.count / ToyPFCandidates.categoricalCount, 3])
      ),
      (self.hitsCount, try NumpyArray(hitsCount)),
      (self.hitsPosition, try rows(hitsPosition, 3)),
      (self.hitsParticle, try NumpyArray(hitsParticle)),
      (self.edgesCount, try NumpyArray(edgesCount)),
      (self.edgesIndex, try NumpyArray(edgesIndex, shape: [edgesIndex.count / 2, 2])),
      (self.edgesIsTrue, try NumpyArray(edgesIsTrue)),
    ]
    return columns
  }

  /// Appends each jet's particles as rows of 7 features (particle-major), after checking that
  /// the padded layout holds nothing else: +0.0 features and mask 0 beyond the
  /// multiplicity, mask exactly 1 within it.
  static func appendConstituents(of jets: ToyJets, eventIndex: UInt64, to output: inout [Float]) throws {
    let nf = ToyJets.featureCount
    let padded = jets.paddedLength
    let one = Float(1).bitPattern
    for j in 0..<jets.count {
      let m = Int(jets.multiplicity[j])
      guard m >= 0 && m <= padded else {
        throw EventFileError.unrepresentable(
          eventIndex: eventIndex, detail: "jet \(j) has multiplicity \(m) outside 0...\(padded)")
      }
      for p in 0..<padded {
        let bits = jets.mask[j * padded + p].bitPattern
        guard bits == (p < m ? one : 0) else {
          throw EventFileError.unrepresentable(
            eventIndex: eventIndex, detail: "jet \(j) has mask \(jets.mask[j * padded + p]) at particle \(p)")
        }
      }
      for p in 0..<padded {
        for f in 0..<nf {
          let value = jets.features[(j * nf + f) * padded + p]
          if p < m {
            output.append(value)
          } else if value.bitPattern != 0 {
            throw EventFileError.unrepresentable(
              eventIndex: eventIndex, detail: "jet \(j) has non-zero padding at feature \(f), particle \(p)")
          }
        }
      }
    }
  }
}
