// The columns → events direction of the event file format, with every check a damaged
// or foreign file needs before the events' initialisers (which trap on bad sizes) run.

extension EventColumns {
  /// Most elements one event's padded jet features may have (1 GiB of float32): a damaged
  /// `jets_padded_length` must not make the reader allocate without bound.
  static let maxPaddedJetElements = 1 << 28

  /// The events and configuration of an event file's columns; `file` names it in errors.
  static func decode(_ columns: [String: NumpyArray], file: String) throws -> EventFileContents {
    let c = ColumnReader(columns: columns, file: file)
    let version = try c.values(formatVersion, Int64.self, shape: [])[0]
    guard version == EventFile.formatVersion else {
      throw EventFileError.unsupportedFormatVersion(file: file, version: version)
    }
    var configuration: String?
    if columns[configurationJSON] != nil {
      let count = columns[configurationJSON]?.shape.first ?? 0
      let bytes = try c.values(configurationJSON, UInt8.self, shape: [count])
      guard let text = String(validating: bytes, as: UTF8.self) else {
        throw EventFileError.invalidConfigurationJSON(file: file)
      }
      configuration = text
    }

    let n = try c.column(eventIndex).shape.first ?? -1
    let index = try c.values(eventIndex, UInt64.self, shape: [n])
    let quantile = try c.values(eventPileupQuantile, Double.self, shape: [n])
    let checksum = try c.values(eventChecksum, UInt64.self, shape: [n])

    let trackOffsets = try c.offsets(tracksCount, events: n)
    let tracksPV = try c.values(tracksPrimaryVertexCount, Int64.self, shape: [n])
    let nTracks = trackOffsets[n]
    let trackFeatures = try c.values(tracksFeatures, Float.self, shape: [nTracks, ToyTracks.featureCount])
    let trackIsGhost = try c.values(tracksIsGhost, Bool.self, shape: [nTracks])
    let trackGhostness = try c.values(tracksGhostness, Float.self, shape: [nTracks])

    let jetOffsets = try c.offsets(jetsCount, events: n)
    let nJets = jetOffsets[n]
    let padded = try c.values(jetsPaddedLength, Int64.self, shape: [n])
    let multiplicity = try c.values(jetsMultiplicity, Int32.self, shape: [nJets])
    let jetIsQuark = try c.values(jetsIsQuark, Bool.self, shape: [nJets])
    let jetPt = try c.values(jetsPt, Float.self, shape: [nJets])
    let jetEta = try c.values(jetsEta, Float.self, shape: [nJets])
    var constituentOffsets = [0]
    constituentOffsets.reserveCapacity(nJets + 1)
    for e in 0..<n {
      let p = padded[e]
      let jetsHere = jetOffsets[e + 1] - jetOffsets[e]
      let (elements, overflow) = p.multipliedReportingOverflow(by: Int64(jetsHere * ToyJets.featureCount))
      guard p >= 0, !overflow, elements <= maxPaddedJetElements else {
        throw EventFileError.inconsistent(
          file: file, column: jetsPaddedLength, detail: "row \(e): padded length \(p) is out of range")
      }
      for j in jetOffsets[e]..<jetOffsets[e + 1] {
        guard multiplicity[j] >= 0 && Int64(multiplicity[j]) <= p else {
          throw EventFileError.inconsistent(
            file: file, column: jetsMultiplicity,
            detail: "jet \(j): multiplicity \(multiplicity[j]) outside 0...\(p) (the event's padded length)")
        }
        constituentOffsets.append(constituentOffsets[j] + Int(multiplicity[j]))
      }
    }
    let constituents = try c.values(
      jetsConstituents, Float.self, shape: [constituentOffsets[nJets], ToyJets.featureCount])

    let hcalOffsets = try c.offsets(hcalCount, events: n)
    let nChannels = hcalOffsets[n]
    let hcalMu = try c.values(hcalPileupMu, Float.self, shape: [n])
    let pulses = try c.values(hcalPulses, Float.self, shape: [nChannels, ToyHCALChannels.sampleCount])
    let channel = try c.values(hcalChannel, Float.self, shape: [nChannels, ToyHCALChannels.channelFeatureCount])
    let trueEnergy = try c.values(hcalTrueEnergy, Float.self, shape: [nChannels])

    let pfOffsets = try c.offsets(pfCount, events: n)
    let nPF = pfOffsets[n]
    let pfPU = try c.values(pfPileupVertexCount, Int64.self, shape: [n])
    let metX = try c.values(pfTrueMETX, Float.self, shape: [n])
    let metY = try c.values(pfTrueMETY, Float.self, shape: [n])
    let continuous = try c.values(pfContinuous, Float.self, shape: [nPF, ToyPFCandidates.continuousCount])
    let categorical = try c.values(pfCategorical, Int64.self, shape: [nPF, ToyPFCandidates.categoricalCount])

    let hitOffsets = try c.offsets(hitsCount, events: n)
    let nHits = hitOffsets[n]
    let position = try c.values(hitsPosition, Float.self, shape: [nHits, 3])
    let particle = try c.values(hitsParticle, Int32.self, shape: [nHits])
    let edgeOffsets = try c.offsets(edgesCount, events: n)
    let nEdges = edgeOffsets[n]
    let edges = try c.values(edgesIndex, Int64.self, shape: [nEdges, 2])
    let edgeIsTrue = try c.values(edgesIsTrue, Bool.self, shape: [nEdges])

    var events: [ToyEvent] = []
    events.reserveCapacity(n)
    for e in 0..<n {
      func slice<T>(_ values: [T], _ offsets: [Int], width: Int = 1) -> [T] {
        Array(values[offsets[e] * width..<offsets[e + 1] * width])
      }
      let tracks = ToyTracks(
        primaryVertexCount: Int(tracksPV[e]), count: trackOffsets[e + 1] - trackOffsets[e],
        features: slice(trackFeatures, trackOffsets, width: ToyTracks.featureCount),
        isGhost: slice(trackIsGhost, trackOffsets), ghostness: slice(trackGhostness, trackOffsets))

      let jetCount = jetOffsets[e + 1] - jetOffsets[e]
      let p = Int(padded[e])
      let nf = ToyJets.featureCount
      var features = [Float](repeating: 0, count: jetCount * nf * p)
      var mask = [Float](repeating: 0, count: jetCount * p)
      for local in 0..<jetCount {
        let j = jetOffsets[e] + local
        for particle in 0..<Int(multiplicity[j]) {
          let row = (constituentOffsets[j] + particle) * nf
          for f in 0..<nf { features[(local * nf + f) * p + particle] = constituents[row + f] }
          mask[local * p + particle] = 1
        }
      }
      let jets = ToyJets(
        count: jetCount, paddedLength: p, features: features, mask: mask,
        multiplicity: slice(multiplicity, jetOffsets), isQuark: slice(jetIsQuark, jetOffsets),
        pt: slice(jetPt, jetOffsets), eta: slice(jetEta, jetOffsets))

      let hcal = ToyHCALChannels(
        pileupMu: hcalMu[e], count: hcalOffsets[e + 1] - hcalOffsets[e],
        pulses: slice(pulses, hcalOffsets, width: ToyHCALChannels.sampleCount),
        channels: slice(channel, hcalOffsets, width: ToyHCALChannels.channelFeatureCount),
        trueEnergy: slice(trueEnergy, hcalOffsets))

      let pf = ToyPFCandidates(
        pileupVertexCount: Int(pfPU[e]), count: pfOffsets[e + 1] - pfOffsets[e],
        continuous: slice(continuous, pfOffsets, width: ToyPFCandidates.continuousCount),
        categorical: slice(categorical, pfOffsets, width: ToyPFCandidates.categoricalCount),
        trueMETX: metX[e], trueMETY: metY[e])

      let edgeCount = edgeOffsets[e + 1] - edgeOffsets[e]
      var edgeIndex = [Int64](repeating: 0, count: 2 * edgeCount)
      for k in 0..<edgeCount {
        edgeIndex[k] = edges[2 * (edgeOffsets[e] + k)]
        edgeIndex[edgeCount + k] = edges[2 * (edgeOffsets[e] + k) + 1]
      }
      let hits = ToyTrackerHits(
        hitCount: hitOffsets[e + 1] - hitOffsets[e], hits: slice(position, hitOffsets, width: 3),
        edgeCount: edgeCount, edgeIndex: edgeIndex, edgeIsTrue: slice(edgeIsTrue, edgeOffsets),
        hitParticle: slice(particle, hitOffsets))

      let event = ToyEvent(
        index: index[e], pileupQuantile: quantile[e], tracks: tracks, jets: jets, hcal: hcal, pfCandidates: pf,
        trackerHits: hits)
      let computed = event.checksum()
      guard computed == checksum[e] else {
        throw EventFileError.checksumMismatch(
          file: file, position: e, eventIndex: index[e], stored: checksum[e], computed: computed)
      }
      events.append(event)
    }
    return EventFileContents(events: events, configurationJSON: configuration)
  }
}

/// Typed, shape-checked access to the columns of one file.
struct ColumnReader {
  let columns: [String: NumpyArray]
  let file: String

  func column(_ name: String) throws -> NumpyArray {
    guard let array = columns[name] else { throw EventFileError.missingColumn(file: file, column: name) }
    return array
  }

  /// The elements of column `name`, which must be of `T`'s dtype and exactly `shape`.
  func values<T: NumpyElement>(_ name: String, _: T.Type, shape: [Int]) throws -> [T] {
    let array = try column(name)
    guard array.dtype == T.numpyDType, array.shape == shape else {
      throw EventFileError.wrongColumn(
        file: file, column: name, expected: "\(T.numpyDType.rawValue) \(shape)",
        found: "\(array.dtype.rawValue) \(array.shape)")
    }
    do {
      return try array.values(as: T.self)
    } catch {
      throw EventFileError.inconsistent(file: file, column: name, detail: error.description)
    }
  }

  /// Offsets of a count column of `events` non-negative int64 counts: `[0, c0, c0 + c1, …]`.
  func offsets(_ name: String, events: Int) throws -> [Int] {
    let counts = try values(name, Int64.self, shape: [events])
    var offsets = [0]
    offsets.reserveCapacity(events + 1)
    for (row, count) in counts.enumerated() {
      let (sum, overflow) = offsets[row].addingReportingOverflow(Int(count))
      guard count >= 0, !overflow else {
        throw EventFileError.inconsistent(file: file, column: name, detail: "row \(row): count \(count) is invalid")
      }
      offsets.append(sum)
    }
    return offsets
  }
}
