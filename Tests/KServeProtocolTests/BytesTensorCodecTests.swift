import Foundation
import KServeProtocol
import Testing

@Suite(.timeLimit(.minutes(1))) struct BytesTensorCodecTests {
  @Test func roundTripKeepsEmptyAndBinaryElements() throws {
    let elements: [[UInt8]] = [[], Array("héllo".utf8), [0, 255, 0], Array(repeating: 7, count: 300)]
    let data = BytesTensorCodec.encode(elements)
    #expect(data.count == elements.reduce(0) { $0 + 4 + $1.count })
    #expect(try BytesTensorCodec.decode(data, expectedCount: 4, tensorName: "t") == elements)
  }

  @Test func lengthPastTheEndIsRejectedWithTheElementIndex() {
    var data = BytesTensorCodec.encode([[1, 2, 3]])
    data.append(contentsOf: [10, 0, 0, 0, 1])
    #expect {
      try BytesTensorCodec.validate(data, expectedCount: 2, tensorName: "t")
    } throws: { error in
      let e = error as? InferenceError
      return e?.code == .invalidArgument && e?.message.contains("element 1 declares 10 bytes") == true
    }
  }

  @Test func countMismatchIsRejected() {
    let data = BytesTensorCodec.encode([[1], [2]])
    #expect(throws: InferenceError.self) { try BytesTensorCodec.validate(data, expectedCount: 3, tensorName: "t") }
  }

  @Test func truncatedPrefixIsRejected() {
    #expect(throws: InferenceError.self) {
      try BytesTensorCodec.validate(Data([1, 0]), expectedCount: 1, tensorName: "t")
    }
  }
}
