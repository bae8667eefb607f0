import Foundation
import KServeProtocol
import Testing

@Suite(.timeLimit(.minutes(1))) struct TensorElementTests {
  /// Builds a tensor from `values`, checks its datatype and byte size, and reads the values back both ways.
  static func roundTrip<T: TensorElement & Equatable>(
    _ values: [T], shape: [Int64], datatype: DataType, sourceLocation: SourceLocation = #_sourceLocation
  ) throws {
    let tensor = try InferenceTensor(name: "t", values: values, shape: shape)
    #expect(tensor.name == "t", sourceLocation: sourceLocation)
    #expect(tensor.datatype == datatype, sourceLocation: sourceLocation)
    #expect(T.dataType == datatype, sourceLocation: sourceLocation)
    #expect(tensor.shape == shape, sourceLocation: sourceLocation)
    #expect(tensor.data.count == values.count * (datatype.elementSize ?? -1), sourceLocation: sourceLocation)
    #expect(try tensor.values(as: T.self) == values, sourceLocation: sourceLocation)
    let lent = try tensor.withValues(as: T.self) { Array($0) }
    #expect(lent == values, sourceLocation: sourceLocation)
  }

  @Test func floatRoundTrip() throws {
    let values: [Float] = [1.5, -2, 0, .infinity, -.greatestFiniteMagnitude, .leastNonzeroMagnitude]
    try Self.roundTrip(values, shape: [2, 3], datatype: .fp32)
  }

  @Test func doubleRoundTrip() throws {
    let values: [Double] = [.pi, -1e300, 0, .leastNonzeroMagnitude, -.infinity]
    try Self.roundTrip(values, shape: [5], datatype: .fp64)
  }

  @Test func signedIntegerRoundTrips() throws {
    try Self.roundTrip([.min, -1, 0, .max] as [Int8], shape: [4], datatype: .int8)
    try Self.roundTrip([.min, -1, 0, .max] as [Int16], shape: [2, 2], datatype: .int16)
    try Self.roundTrip([.min, -1, 0, .max] as [Int32], shape: [1, 4], datatype: .int32)
    try Self.roundTrip([.min, -1, 0, .max] as [Int64], shape: [4, 1], datatype: .int64)
  }

  @Test func unsignedIntegerRoundTrips() throws {
    try Self.roundTrip([.min, 1, 0x80, .max] as [UInt8], shape: [4], datatype: .uint8)
    try Self.roundTrip([.min, 1, 0x8000, .max] as [UInt16], shape: [4], datatype: .uint16)
    try Self.roundTrip([.min, 1, 0x8000_0000, .max] as [UInt32], shape: [4], datatype: .uint32)
    try Self.roundTrip([.min, 1, 0x8000_0000_0000_0000, .max] as [UInt64], shape: [4], datatype: .uint64)
  }

  @Test func boolRoundTrip() throws {
    try Self.roundTrip([true, false, false, true, true, false] as [Bool], shape: [1, 2, 3], datatype: .bool)
    let tensor = try InferenceTensor(name: "flags", values: [true, false], shape: [2])
    #expect(tensor.data == Data([1, 0]))
  }

  #if !(os(macOS) && arch(x86_64))
  @Test func float16RoundTrip() throws {
    try Self.roundTrip([1.5, -2, 0, 65504, .infinity] as [Float16], shape: [5], datatype: .fp16)
  }
  #endif

  @Test func scalarAndEmptyShapes() throws {
    try Self.roundTrip([Int32(42)], shape: [], datatype: .int32)
    try Self.roundTrip([Float](), shape: [0, 3], datatype: .fp32)
  }

  @Test func dataIsLittleEndianRowMajor() throws {
    let tensor = try InferenceTensor(name: "t", values: [Int32(1), 0x0102_0304], shape: [2])
    #expect(tensor.data == Data([1, 0, 0, 0, 4, 3, 2, 1]))
  }

  @Test func oneDimensionalConvenienceUsesTheCountAsShape() throws {
    let tensor = InferenceTensor(name: "t", values: [Int64(3), 4, 5])
    #expect(tensor.shape == [3])
    #expect(tensor.datatype == .int64)
    #expect(try tensor.values(as: Int64.self) == [3, 4, 5])
  }

  @Test func nonArrayCollectionsWork() throws {
    let tensor = try InferenceTensor(name: "t", values: (1...6).map { Float($0) }.reversed(), shape: [2, 3])
    #expect(try tensor.values(as: Float.self) == [6, 5, 4, 3, 2, 1])
    let fromRange = try InferenceTensor(name: "r", values: Int32(0)..<Int32(4), shape: [4])
    #expect(try fromRange.values(as: Int32.self) == [0, 1, 2, 3])
  }

  @Test(arguments: [[2, 2], [5], [3, -1], []] as [[Int64]])
  func countThatDoesNotFillTheShapeIsRejected(_ shape: [Int64]) {
    let error = #expect(throws: InferenceError.self) {
      try InferenceTensor(name: "input0", values: [Float](repeating: 1, count: 3), shape: shape)
    }
    #expect(error?.code == .invalidArgument)
    #expect(error?.message.contains("input0") == true)
    #expect(error?.message.contains(TensorShape.describe(shape)) == true)
  }

  @Test func readingAsTheWrongSwiftTypeIsRejected() throws {
    let tensor = try InferenceTensor(name: "t", values: [Float(1), 2], shape: [2])
    let reads: [(String, () throws -> Void)] = [
      ("Int32, same size", { _ = try tensor.values(as: Int32.self) }),
      ("Double", { _ = try tensor.values(as: Double.self) }),
      ("UInt8", { _ = try tensor.values(as: UInt8.self) }),
      ("withValues Int32", { _ = try tensor.withValues(as: Int32.self) { $0.count } }),
    ]
    for (label, read) in reads {
      let error = #expect(throws: InferenceError.self, "\(label)") { try read() }
      #expect(error?.code == .invalidArgument, "\(label)")
      #expect(error?.message.contains("FP32") == true, "\(label)")
    }
  }

  @Test func bytesThatDoNotFitTheShapeAreRejected() {
    let short = InferenceTensor(name: "t", datatype: .fp32, shape: [3], data: Data(count: 8))
    #expect(throws: InferenceError.self) { try short.values(as: Float.self) }
    let ragged = InferenceTensor(name: "t", datatype: .fp32, shape: [2], data: Data(count: 9))
    #expect(throws: InferenceError.self) { try ragged.values(as: Float.self) }
    #expect(throws: InferenceError.self) { try ragged.withValues(as: Float.self) { $0.count } }
  }

  @Test func withValuesReadsAnUnalignedSliceCorrectly() throws {
    let values: [Float] = [1, 2.5, -3, 4e10, 5, 6, 7, 8]
    var bytes = Data([0xFF])
    values.withUnsafeBytes { bytes.append(contentsOf: $0) }
    // A slice starting one byte in: its storage is not aligned for Float.
    let tensor = InferenceTensor(name: "t", datatype: .fp32, shape: [8], data: bytes.dropFirst())
    #expect(try tensor.values(as: Float.self) == values)
    #expect(try tensor.withValues(as: Float.self) { Array($0) } == values)
  }

  @Test func withValuesPassesTheBodysResultAndErrors() throws {
    let tensor = try InferenceTensor(name: "t", values: [Int16(1), 2, 3], shape: [3])
    #expect(try tensor.withValues(as: Int16.self) { $0.reduce(0, +) } == 6)
    struct Stop: Error {}
    #expect(throws: Stop.self) { try tensor.withValues(as: Int16.self) { _ -> Int in throw Stop() } }
  }

  @Test func stringsRoundTripAsBytes() throws {
    let strings = ["", "hello", "héllo wörld", "日本語", "🧪 test", String(repeating: "x", count: 1_000)]
    let tensor = try InferenceTensor(name: "text", strings: strings, shape: [2, 3])
    #expect(tensor.datatype == .bytes)
    #expect(tensor.shape == [2, 3])
    #expect(tensor.data.count == strings.reduce(0) { $0 + 4 + $1.utf8.count })
    #expect(try tensor.strings() == strings)
  }

  @Test func onlyEmptyStringsRoundTrip() throws {
    let tensor = try InferenceTensor(name: "t", strings: ["", ""], shape: [2])
    #expect(tensor.data.count == 8)
    #expect(try tensor.strings() == ["", ""])
  }

  @Test func substringsAreAccepted() throws {
    let line = "alpha,beta,gamma"
    let tensor = try InferenceTensor(name: "t", strings: line.split(separator: ","), shape: [3])
    #expect(try tensor.strings() == ["alpha", "beta", "gamma"])
  }

  @Test func stringCountThatDoesNotFillTheShapeIsRejected() {
    let error = #expect(throws: InferenceError.self) {
      try InferenceTensor(name: "text", strings: ["a", "b"], shape: [3])
    }
    #expect(error?.code == .invalidArgument)
    #expect(error?.message.contains("text") == true)
  }

  @Test func stringsAndNumbersDoNotMix() throws {
    let numbers = try InferenceTensor(name: "t", values: [UInt8(65), 66], shape: [2])
    let notBytes = #expect(throws: InferenceError.self) { try numbers.strings() }
    #expect(notBytes?.code == .invalidArgument)
    let text = try InferenceTensor(name: "t", strings: ["AB"], shape: [1])
    #expect(throws: InferenceError.self) { try text.values(as: UInt8.self) }
  }
}
