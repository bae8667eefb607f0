import GRPCWire
import InferenceServerGRPC
import KServeGRPC
import NIOCore
import NIOHPACK
import Testing

@Suite("gRPC wire: framing, timeouts, statuses, request headers", .timeLimit(.minutes(1)))
struct GRPCWireTests {
  static func prefixed(_ payload: [UInt8], compressed: Bool = false) -> ByteBuffer {
    var buffer = ByteBuffer()
    buffer.writeInteger(UInt8(compressed ? 1 : 0))
    buffer.writeInteger(UInt32(payload.count), endianness: .big)
    buffer.writeBytes(payload)
    return buffer
  }

  @Test func messagesSplitAcrossAndWithinFramesComeOutWhole() throws {
    var stream = Self.prefixed([1, 2, 3])
    var second = Self.prefixed([9, 8], compressed: true)
    stream.writeBuffer(&second)
    var deframer = GRPCMessageDeframer(maxMessageBytes: 100)
    // Byte by byte: nothing until a message is complete.
    var messages: [GRPCMessageDeframer.Message] = []
    while let byte = stream.readSlice(length: 1) {
      deframer.append(byte)
      while let message = try deframer.next() { messages.append(message) }
    }
    #expect(messages.map { Array($0.bytes.readableBytesView) } == [[1, 2, 3], [9, 8]])
    #expect(messages.map(\.compressed) == [false, true])
    #expect(!deframer.hasPartialMessage)
  }

  @Test func anEmptyMessageIsAMessage() throws {
    var deframer = GRPCMessageDeframer(maxMessageBytes: 100)
    deframer.append(Self.prefixed([]))
    let message = try #require(try deframer.next())
    #expect(message.bytes.readableBytes == 0)
  }

  @Test func aPrefixAboveTheLimitIsRefusedBeforeItsBytesArrive() throws {
    var deframer = GRPCMessageDeframer(maxMessageBytes: 10)
    var prefix = ByteBuffer()
    prefix.writeInteger(UInt8(0))
    prefix.writeInteger(UInt32(11), endianness: .big)
    deframer.append(prefix)
    #expect(throws: GRPCStatus.self) { try deframer.next() }
    do {
      _ = try deframer.next()
    } catch let status as GRPCStatus {
      #expect(status.code == .resourceExhausted)
      #expect(status.message.contains("limit of 10 bytes"))
    }
  }

  @Test func aTruncatedMessageIsVisible() throws {
    var deframer = GRPCMessageDeframer(maxMessageBytes: 100)
    var partial = Self.prefixed([1, 2, 3, 4])
    partial.moveWriterIndex(to: partial.writerIndex - 2)
    deframer.append(partial)
    #expect(try deframer.next() == nil)
    #expect(deframer.hasPartialMessage)
  }

  @Test func anUnknownCompressionFlagIsRefused() {
    var deframer = GRPCMessageDeframer(maxMessageBytes: 100)
    var bad = Self.prefixed([1])
    bad.setInteger(UInt8(2), at: bad.readerIndex)
    deframer.append(bad)
    #expect(
      throws: GRPCStatus(
        .internal, "the gRPC message prefix has compression flag 2; only 0 and 1 exist (a broken client or proxy)")
    ) {
      try deframer.next()
    }
  }

  @Test(arguments: [
    ("1H", Int64(3_600_000_000_000)), ("2M", 120_000_000_000), ("3S", 3_000_000_000), ("100m", 100_000_000),
    ("7u", 7_000), ("99999999n", 99_999_999), ("0m", 0),
  ])
  func timeouts(_ text: String, _ nanos: Int64) {
    #expect(GRPCTimeout.nanoseconds(text) == nanos)
  }

  @Test(arguments: ["", "m", "123456789m", "10x", "-1m", "1.5S", "10 m"])
  func malformedTimeouts(_ text: String) {
    #expect(GRPCTimeout.nanoseconds(text) == nil)
  }

  @Test func aHugeTimeoutSaturates() {
    #expect(GRPCTimeout.nanoseconds("99999999H") == Int64.max)
  }

  @Test("grpc-message decoding inverts the encoding and keeps malformed escapes as sent")
  func statusMessagesArePercentDecoded() {
    for text in ["plain", "100% über\n", "model 'x' — try 'y'", "", "%", "tab\tand\r\n", "日本語 ✓"] {
      #expect(GRPCStatus.percentDecode(GRPCStatus(.internal, text).encodedMessage) == text)
    }
    #expect(GRPCStatus.percentDecode("50%2") == "50%2")
    #expect(GRPCStatus.percentDecode("%zz%41") == "%zzA")
    #expect(GRPCStatus(wireCode: "5", wireMessage: "not%20here") == GRPCStatus(.notFound, "not here"))
    #expect(GRPCStatus(wireCode: "99", wireMessage: nil as String?).code == .unknown)
    #expect(GRPCStatus(wireCode: "x", wireMessage: nil as String?).code == .unknown)
    #expect(GRPCStatus(httpStatus: 503).code == .unavailable)
    #expect(GRPCStatus(httpStatus: 404).code == .unimplemented)
    #expect(GRPCStatus(httpStatus: 418).code == .unknown)
  }

  @Test func statusMessagesArePercentEncoded() {
    #expect(GRPCStatus(.internal, "100% über\n").encodedMessage == "100%25 %C3%BCber%0A")
    #expect(GRPCStatus(.ok, "plain text").encodedMessage == "plain text")
  }

  static func headers(_ pairs: [(String, String)]) -> HPACKHeaders {
    HPACKHeaders(pairs)
  }

  static let valid: [(String, String)] = [
    (":method", "POST"), (":scheme", "http"), (":path", "/inference.GRPCInferenceService/ModelInfer"),
    ("content-type", "application/grpc"), ("te", "trailers"),
  ]

  @Test func validHeadersAreRead() throws {
    let headers = Self.headers(
      Self.valid + [
        ("grpc-timeout", "250m"), ("grpc-encoding", "gzip"), ("grpc-accept-encoding", "identity, deflate"),
      ])
    let head = try GRPCRequestHead(headers)
    #expect(head.path == "/inference.GRPCInferenceService/ModelInfer")
    #expect(head.timeoutNanos == 250_000_000)
    #expect(head.requestEncoding == .gzip)
    #expect(GRPCRequestHead.acceptedResponseEncoding(in: headers) == .deflate)
  }

  @Test(arguments: [
    "application/grpc", "application/grpc+proto", "application/grpc; charset=utf-8", "Application/GRPC",
  ])
  func grpcContentTypes(_ value: String) throws {
    var pairs = Self.valid.filter { $0.0 != "content-type" }
    pairs.append(("content-type", value))
    _ = try GRPCRequestHead(Self.headers(pairs))
  }

  @Test(arguments: [nil, "application/json", "application/grpcx", "text/plain"] as [String?])
  func otherContentTypesAre415(_ value: String?) {
    var pairs = Self.valid.filter { $0.0 != "content-type" }
    if let value { pairs.append(("content-type", value)) }
    #expect(throws: GRPCRequestHead.Refusal.http(status: "415")) { try GRPCRequestHead(Self.headers(pairs)) }
  }

  @Test func refusalsNameTheProblem() {
    func refusal(_ change: (inout [(String, String)]) -> Void) -> GRPCStatus? {
      var pairs = Self.valid
      change(&pairs)
      do {
        _ = try GRPCRequestHead(Self.headers(pairs))
        return nil
      } catch {
        if case .status(let status) = error { return status }
        return nil
      }
    }
    #expect(refusal { $0.append(("grpc-timeout", "soon")) }?.code == .invalidArgument)
    #expect(refusal { $0.append(("grpc-encoding", "snappy")) }?.code == .unimplemented)
    #expect(refusal { $0.append(("grpc-encoding", "snappy")) }?.message.contains("gzip") == true)
    #expect(refusal { $0.append(("grpc-encoding", "gzip, deflate")) }?.code == .internal)
    #expect(refusal { $0.append(("grpc-encoding", " identity ")) } == nil)
    #expect(refusal { $0 = $0.map { $0.0 == ":method" ? (":method", "GET") : $0 } }?.code == .invalidArgument)
    #expect(refusal { $0.removeAll { $0.0 == ":path" } }?.code == .unimplemented)
  }

  @Test func compressionRoundTripsAndRespectsTheLimit() throws {
    let original = ByteBuffer(repeating: 7, count: 10_000)
    for encoding in GRPCCompression.allCases {
      let compressed = try encoding.compress(original)
      #expect(compressed.readableBytes < original.readableBytes)
      #expect(try encoding.decompress(compressed, limit: 10_000) == original)
      #expect(throws: GRPCStatus.self) { try encoding.decompress(compressed, limit: 9_999) }
      #expect(throws: GRPCStatus.self) { try encoding.decompress(ByteBuffer(bytes: [1, 2, 3, 4]), limit: 100) }
    }
  }

  @Test func encodedMessagesAreFramedInPlace() throws {
    var message = Grpc_Health_V1_HealthCheckRequest()
    message.service = "inference.GRPCInferenceService"
    let encoded = try GRPCMessageCodec.encode(message)
    let framed = GRPCMessageFramer.frame(encoded)
    #expect(framed.readableBytes == encoded.readableBytes + 5)
    #expect(framed.getInteger(at: framed.readerIndex + 1, as: UInt32.self) == UInt32(encoded.readableBytes))
    var deframer = GRPCMessageDeframer(maxMessageBytes: 1 << 20)
    deframer.append(framed)
    let decoded = try GRPCMessageCodec.decode(
      Grpc_Health_V1_HealthCheckRequest.self, from: try #require(try deframer.next()).bytes)
    #expect(decoded == message)
    // A buffer without reserved room still gets a prefix.
    #expect(GRPCMessageFramer.frame(ByteBuffer(bytes: [1, 2])).readableBytes == 7)
  }

  @Test func malformedProtobufIsInvalidArgument() {
    #expect(throws: GRPCStatus.self) {
      try GRPCMessageCodec.decode(Grpc_Health_V1_HealthCheckRequest.self, from: ByteBuffer(bytes: [0x0A, 0x05, 0x41]))
    }
    // Field 1 (a string) that is not UTF-8.
    do {
      _ = try GRPCMessageCodec.decode(
        Grpc_Health_V1_HealthCheckRequest.self, from: ByteBuffer(bytes: [0x0A, 0x01, 0xFF]))
      Issue.record("decoded a non-UTF-8 string")
    } catch let status as GRPCStatus {
      #expect(status.code == .invalidArgument)
      #expect(status.message.contains("UTF-8"))
    } catch {
      Issue.record("unexpected \(error)")
    }
  }
}
