// The event file format: NPY arrays, .npz archives, and toy events as columns.

import Foundation
import Testing

@testable import OffloadEvents

/// A fresh directory under the system's temporary directory, removed by the caller.
private func temporaryDirectory() throws -> URL {
  let url = FileManager.default.temporaryDirectory.appendingPathComponent("offload-events-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  return url
}

private let configurationJSON = #"{"seed": 20260001, "jets": {"meanCount": 8}}"#

private func generatedEvents(_ count: UInt64 = 20, configuration: ToyDetectorConfiguration = .init()) -> [ToyEvent] {
  Array(EventGenerator(seed: 20_260_001, configuration: configuration).events(0..<count))
}

@Suite("Event files", .timeLimit(.minutes(1)))
struct EventFileTests {
  @Test("20 generated events read back equal, with their configuration")
  func roundTrip() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let events = generatedEvents()
    let url = dir.appendingPathComponent("events.npz")
    try EventFile.write(events, configurationJSON: configurationJSON, to: url)
    let contents = try EventFile.readContents(from: url)
    #expect(contents.events == events)
    #expect(contents.events.map { $0.checksum() } == events.map { $0.checksum() })
    #expect(contents.configurationJSON == configurationJSON)
    #expect(try EventFile.read(from: url) == events)

    // Overwriting an existing file replaces it.
    try EventFile.write(Array(events.prefix(3)), configurationJSON: nil, to: url)
    let again = try EventFile.readContents(from: url)
    #expect(again.events == Array(events.prefix(3)))
    #expect(again.configurationJSON == nil)
  }

  @Test("No events, empty collections and fixed padding round-trip too")
  func edgeCases() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let url = dir.appendingPathComponent("edge.npz")

    try EventFile.write([], configurationJSON: "", to: url)
    let empty = try EventFile.readContents(from: url)
    #expect(empty.events.isEmpty)
    #expect(empty.configurationJSON == "")

    let partial = generatedEvents(
      5,
      configuration: .defaults {
        $0.models = [.jetTaggerQG, .deepmetToy]
        $0.jets.padToMaxConstituents = true
        $0.jets.minimumCount = 0
        $0.jets.meanCount = 0.5
      })
    #expect(partial.contains { $0.jets.count == 0 })
    try EventFile.write(partial, configurationJSON: nil, to: url)
    #expect(try EventFile.read(from: url) == partial)
  }

  @Test("Two writes of the same events are byte-identical")
  func reproducible() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let events = generatedEvents(6)
    let first = dir.appendingPathComponent("a.npz")
    let second = dir.appendingPathComponent("b.npz")
    try EventFile.write(events, configurationJSON: configurationJSON, to: first)
    try EventFile.write(events, configurationJSON: configurationJSON, to: second)
    #expect(try Data(contentsOf: first) == Data(contentsOf: second))
  }

  @Test("A truncated file is rejected with an error")
  func truncated() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let url = dir.appendingPathComponent("events.npz")
    try EventFile.write(generatedEvents(3), configurationJSON: nil, to: url)
    let bytes = try Data(contentsOf: url)
    for length in [0, 10, bytes.count / 2, bytes.count - 30, bytes.count - 1] {
      let damaged = dir.appendingPathComponent("truncated-\(length).npz")
      try bytes.prefix(length).write(to: damaged)
      #expect(throws: (any Error).self, "truncated to \(length) bytes") { try EventFile.read(from: damaged) }
    }
    #expect(throws: NumpyArchiveError.self) { try EventFile.read(from: dir.appendingPathComponent("missing.npz")) }
  }

  @Test("A flipped byte in a column's data is caught by the archive's CRC-32")
  func flippedByte() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let url = dir.appendingPathComponent("events.npz")
    try EventFile.write(generatedEvents(3), configurationJSON: nil, to: url)
    var bytes = try Data(contentsOf: url)
    // The local header of the entry comes first; its NPY data starts after the first magic past it.
    let name = Data("tracks_features.npy".utf8)
    let entry = try #require(bytes.firstRange(of: name))
    let magic = try #require(bytes[entry.upperBound...].firstRange(of: Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59])))
    let headerLength = Int(bytes[magic.lowerBound + 8]) | Int(bytes[magic.lowerBound + 9]) << 8
    let dataStart = magic.lowerBound + 10 + headerLength
    bytes[dataStart + 101] ^= 0x40
    let damaged = dir.appendingPathComponent("flipped.npz")
    try bytes.write(to: damaged)

    let error = try #require(throws: NumpyArchiveError.self) { try EventFile.read(from: damaged) }
    #expect(error.kind == .entry)
    #expect(error.entry == "tracks_features.npy")
    #expect(error.description.contains(damaged.path))
  }

  @Test("A changed value that passes the archive is caught by the event checksum")
  func checksumMismatch() throws {
    let events = generatedEvents(3)
    var columns = Dictionary(
      uniqueKeysWithValues: try EventColumns.encode(events, configurationJSON: nil).map { ($0.name, $0.array) })
    var energy = try #require(columns["hcal_true_energy"]).floats()
    let row = events[0].hcal.count + 5  // a channel of the second event
    energy[row] = energy[row].nextUp
    columns["hcal_true_energy"] = try NumpyArray(energy)
    let error = try #require(throws: EventFileError.self) { try EventColumns.decode(columns, file: "x.npz") }
    guard case .checksumMismatch(let file, let position, let eventIndex, _, _) = error else {
      Issue.record("expected a checksum mismatch, got \(error)")
      return
    }
    #expect(file == "x.npz")
    #expect(position == 1)
    #expect(eventIndex == events[1].index)
  }

  @Test("Missing, mistyped and inconsistent columns are reported by name")
  func badColumns() throws {
    let events = generatedEvents(2)
    let good = Dictionary(
      uniqueKeysWithValues: try EventColumns.encode(events, configurationJSON: nil).map { ($0.name, $0.array) })

    var missing = good
    missing["edges_is_true"] = nil
    #expect(throws: EventFileError.missingColumn(file: "f", column: "edges_is_true")) {
      try EventColumns.decode(missing, file: "f")
    }

    var mistyped = good
    mistyped["tracks_ghostness"] = try NumpyArray(try good["tracks_ghostness"]!.floats().map(Double.init))
    #expect(throws: EventFileError.self) { try EventColumns.decode(mistyped, file: "f") }

    var negative = good
    negative["pf_count"] = try NumpyArray([-1, 5] as [Int64])
    #expect(throws: EventFileError.self) { try EventColumns.decode(negative, file: "f") }

    var tooLong = good
    var multiplicity = try good["jets_multiplicity"]!.int32s()
    multiplicity[0] = Int32.max
    tooLong["jets_multiplicity"] = try NumpyArray(multiplicity)
    #expect(throws: EventFileError.self) { try EventColumns.decode(tooLong, file: "f") }

    var future = good
    future["format_version"] = try NumpyArray([2] as [Int64], shape: [])
    #expect(throws: EventFileError.unsupportedFormatVersion(file: "f", version: 2)) {
      try EventColumns.decode(future, file: "f")
    }
  }

  @Test("Jets whose padding is not zero are refused on write")
  func unrepresentableJets() throws {
    var event = generatedEvents(1)[0]
    let jets = event.jets
    var features = jets.features
    let padded = jets.paddedLength
    let jet = try #require(jets.multiplicity.firstIndex { Int($0) < padded })
    features[jet * ToyJets.featureCount * padded + padded - 1] = 1  // feature 0 of the last, padded particle
    event.jets = ToyJets(
      count: jets.count, paddedLength: padded, features: features, mask: jets.mask, multiplicity: jets.multiplicity,
      isQuark: jets.isQuark, pt: jets.pt, eta: jets.eta)
    #expect(throws: EventFileError.self) { try EventColumns.encode([event], configurationJSON: nil) }
  }
}

@Suite("NPY arrays and .npz archives", .timeLimit(.minutes(1)))
struct NumpyArrayTests {
  static let shapes: [[Int]] = [[], [0], [1], [5], [2, 3], [0, 4], [3, 0, 2], [2, 2, 2, 2]]

  /// Valid bytes for `count` elements of `dtype` (booleans must be 0 or 1).
  static func sampleData(_ dtype: NumpyDType, count: Int) -> Data {
    var random = EventRandom(seed: UInt64(count) &* 31 &+ UInt64(dtype.byteSize))
    return Data(
      (0..<count * dtype.byteSize).map { _ in
        dtype == .bool ? UInt8(random.next() & 1) : UInt8(truncatingIfNeeded: random.next())
      })
  }

  @Test("Header round trip for every dtype and shape, 64-byte aligned, as numpy writes it")
  func headerRoundTrip() throws {
    for dtype in NumpyDType.allCases {
      for shape in Self.shapes {
        let count = shape.reduce(1, *)
        let array = try NumpyArray(dtype: dtype, shape: shape, data: Self.sampleData(dtype, count: count))
        let npy = array.npyBytes()
        #expect(npy.prefix(8) == Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0]))
        let headerLength = Int(npy[8]) | Int(npy[9]) << 8
        #expect((10 + headerLength) % 64 == 0)
        #expect(npy[10 + headerLength - 1] == 0x0A)
        #expect(npy.count == 10 + headerLength + count * dtype.byteSize)
        let back = try NumpyArray(npy: npy)
        #expect(back == array, "\(dtype) \(shape)")
        #expect(back.elementCount == count)
      }
    }
    // The exact text numpy 2 writes (including its spare spaces after the first dimension).
    let header = NumpyArray.headerText(dtype: .float32, shape: [3, 17])
    #expect(
      header == "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 17), }" + String(repeating: " ", count: 20))
    #expect(NumpyArray.headerText(dtype: .bool, shape: []) == "{'descr': '|b1', 'fortran_order': False, 'shape': (), }")
    #expect(
      NumpyArray.headerText(dtype: .int64, shape: [7]).hasPrefix(
        "{'descr': '<i8', 'fortran_order': False, 'shape': (7,), }"))
  }

  @Test("Typed initialisers and accessors keep the values and check the dtype")
  func typedValues() throws {
    #expect(
      try NumpyArray([1.5, -0.0, .infinity] as [Float]).floats().map(\.bitPattern)
        == [1.5, -0.0, .infinity].map { Float($0).bitPattern })
    #expect(try NumpyArray([1.5, .pi] as [Double], shape: [2, 1]).doubles() == [1.5, .pi])
    #expect(try NumpyArray([Int64.min, 0, Int64.max]).int64s() == [Int64.min, 0, Int64.max])
    #expect(try NumpyArray([UInt64.max, 1]).uint64s() == [UInt64.max, 1])
    #expect(try NumpyArray([Int32.min, -1]).int32s() == [Int32.min, -1])
    #expect(try NumpyArray([0, 255] as [UInt8]).uint8s() == [0, 255])
    #expect(try NumpyArray([true, false, true]).bools() == [true, false, true])
    #expect(try NumpyArray([42] as [Int64], shape: []).shape == [])
    // Little-endian bytes.
    #expect(try NumpyArray([1] as [Int32]).data == Data([1, 0, 0, 0]))

    let floats = try NumpyArray([1, 2] as [Float])
    #expect(throws: NumpyFormatError.dtypeMismatch(requested: .float64, actual: .float32)) { try floats.doubles() }
    #expect(throws: NumpyFormatError.dtypeMismatch(requested: .int32, actual: .float32)) { try floats.int32s() }
    #expect(throws: NumpyFormatError.shapeMismatch(shape: [3], elementCount: 2)) {
      try NumpyArray([1, 2] as [Float], shape: [3])
    }
    #expect(throws: NumpyFormatError.invalidShape([-1])) { try NumpyArray(dtype: .uint8, shape: [-1], data: Data()) }
    #expect(throws: NumpyFormatError.dataSizeMismatch(expectedBytes: 8, actualBytes: 4)) {
      try NumpyArray(dtype: .float64, shape: [1], data: Data(count: 4))
    }
    let badBool = try NumpyArray(dtype: .bool, shape: [2], data: Data([1, 7]))
    #expect(throws: NumpyFormatError.invalidBool(index: 1, byte: 7)) { try badBool.bools() }
  }

  /// An NPY file with a hand-written header (padded to 64 bytes).
  static func npy(_ header: String, major: UInt8 = 1, data: Data = Data()) -> Data {
    let prefix = major == 1 ? 10 : 12
    var text = header
    text += String(repeating: " ", count: 63 - (prefix + text.utf8.count) % 64) + "\n"
    var out = Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, major, 0])
    let n = text.utf8.count
    out.append(contentsOf: (0..<(major == 1 ? 2 : 4)).map { UInt8((n >> (8 * $0)) & 0xFF) })
    out.append(contentsOf: text.utf8)
    out.append(data)
    return out
  }

  @Test("Headers written by other tools parse: version 2.0 and 3.0, double quotes, other key order")
  func otherHeaders() throws {
    let two = Data([1, 0, 0, 0, 2, 0, 0, 0])
    let v2 = try NumpyArray(
      npy: Self.npy(#"{"shape": (2L,), "fortran_order": False, "descr": "<i4"}"#, major: 2, data: two))
    #expect(v2.shape == [2])
    #expect(try v2.int32s() == [1, 2])
    let v3 = try NumpyArray(
      npy: Self.npy("{'descr':'<f8','fortran_order':False,'shape':()}", major: 3, data: Data(count: 8)))
    #expect(try v3.doubles() == [0])
    let native = try NumpyArray(
      npy: Self.npy("{'descr': '=u8', 'fortran_order': False, 'shape': (1, 1), }", data: Data(count: 8)))
    #expect(native.dtype == .uint64)
    let bytes = try NumpyArray(
      npy: Self.npy("{'descr': '<u1', 'fortran_order': False, 'shape': (1,), }", data: Data([9])))
    #expect(try bytes.uint8s() == [9])
  }

  @Test("Malformed NPY bytes are rejected with clear errors")
  func malformed() throws {
    let good = try NumpyArray([1, 2, 3] as [Float]).npyBytes()
    #expect(throws: NumpyFormatError.notNPY) { try NumpyArray(npy: Data("PK\u{3}\u{4}hello".utf8)) }
    #expect(throws: NumpyFormatError.notNPY) { try NumpyArray(npy: Data()) }
    #expect(throws: NumpyFormatError.truncatedHeader) { try NumpyArray(npy: good.prefix(7)) }
    #expect(throws: NumpyFormatError.truncatedHeader) { try NumpyArray(npy: good.prefix(40)) }
    #expect(throws: NumpyFormatError.dataSizeMismatch(expectedBytes: 12, actualBytes: 11)) {
      try NumpyArray(npy: good.dropLast())
    }
    #expect(throws: NumpyFormatError.dataSizeMismatch(expectedBytes: 12, actualBytes: 13)) {
      try NumpyArray(npy: good + Data([0]))
    }
    var version = good
    version[6] = 4
    #expect(throws: NumpyFormatError.unsupportedVersion(major: 4, minor: 0)) { try NumpyArray(npy: version) }
    #expect(throws: NumpyFormatError.fortranOrder) {
      try NumpyArray(npy: Self.npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", data: Data(count: 16)))
    }
    #expect(throws: NumpyFormatError.unsupportedDescr(">f4")) {
      try NumpyArray(npy: Self.npy("{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", data: Data(count: 4)))
    }
    #expect(throws: NumpyFormatError.unsupportedDescr("<c8")) {
      try NumpyArray(npy: Self.npy("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", data: Data(count: 8)))
    }
    for header in [
      "{'descr': '<f4', 'fortran_order': False}",  // no shape
      "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'extra': 1}",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (1), }",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), } x",
      "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1,), }",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (1,)",
      "{'descr': '<f4', 'fortran_order': 0, 'shape': (1,), }",
      "['descr']",
    ] {
      #expect(throws: NumpyFormatError.self, "\(header)") {
        try NumpyArray(npy: Self.npy(header, data: Data(count: 4)))
      }
    }
    #expect(throws: NumpyFormatError.self) {
      try NumpyArray(npy: Self.npy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }"))
    }
  }

  @Test("Archives keep entry order, name entries `<name>.npy`, and reject duplicate names")
  func archive() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let url = dir.appendingPathComponent("arrays.npz")
    let arrays: [(name: String, array: NumpyArray)] = [
      ("zeta", try NumpyArray([1, 2, 3] as [Float], shape: [3, 1])),
      ("alpha", try NumpyArray([7] as [Int64], shape: [])),
      ("empty", try NumpyArray([] as [Bool])),
    ]
    try NumpyArchive.write(arrays, to: url)
    let ordered = try NumpyArchive.readOrdered(from: url)
    #expect(ordered.map(\.name) == ["zeta", "alpha", "empty"])
    #expect(ordered.map(\.array) == arrays.map(\.array))
    #expect(try NumpyArchive.read(from: url)["alpha"] == arrays[1].array)
    let raw = try Data(contentsOf: url)
    #expect(raw.prefix(4) == Data([0x50, 0x4B, 0x03, 0x04]))
    #expect(raw.firstRange(of: Data("zeta.npy".utf8)) != nil)

    let duplicate = [arrays[0], arrays[0]]
    #expect(throws: NumpyArchiveError.self) {
      try NumpyArchive.write(duplicate, to: dir.appendingPathComponent("dup.npz"))
    }
    #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("dup.npz").path))
    #expect(throws: NumpyArchiveError.self) {
      try NumpyArchive.write(arrays, to: dir.appendingPathComponent("no-such-dir/x.npz"))
    }
    // Nothing left behind but the archive.
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["arrays.npz"])

    let notZip = dir.appendingPathComponent("not.npz")
    try Data("not a zip file".utf8).write(to: notZip)
    let error = try #require(throws: NumpyArchiveError.self) { try NumpyArchive.read(from: notZip) }
    #expect(error.kind == .file)
    #expect(error.description.contains("not.npz"))
    try FileManager.default.removeItem(at: notZip)
  }
}
