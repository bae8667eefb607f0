import GRPCWire
import KServeGRPC
import NIOCore
import NIOEmbedded
import NIOHPACK
import NIOHTTP2
import Synchronization
import Testing

@testable import OffloadClient

/// The client's gRPC handler on an in-process channel: calls in, HTTP/2 frames out, server frames in,
/// statuses and messages out. No sockets, no server.
@Suite("gRPC client handler", .timeLimit(.minutes(1)))
struct GRPCClientHandlerTests {
  static let path = "/grpc.health.v1.Health/Check"

  /// Counts the handler's "no new calls here" reports.
  final class UnusableProbe: Sendable {
    let count = Mutex(0)
    func report() { count.withLock { $0 += 1 } }
  }

  struct Harness {
    let channel: NIOAsyncTestingChannel
    let unusable: UnusableProbe

    static func make(
      compression: GRPCCompression? = nil, maxMessageBytes: Int = 1 << 16, metadata: [(String, String)] = []
    ) async throws -> Harness {
      let channel = NIOAsyncTestingChannel()
      let probe = UnusableProbe()
      let settings = GRPCClientSettings(
        authority: "example.org:8001", scheme: "http", compression: compression, maxMessageBytes: maxMessageBytes,
        metadata: metadata)
      try await channel.testingEventLoop.executeInContext {
        try channel.pipeline.syncOperations.addHandler(
          GRPCClientHandler(settings: settings, tls: false, onUnusable: { probe.report() }))
      }
      try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 8001))
      // The connection window is widened first.
      let window = try #require(try await channel.readOutbound(as: HTTP2Frame.self))
      guard case .windowUpdate(let increment) = window.payload else {
        Issue.record("expected the connection WINDOW_UPDATE, got \(window.payload)")
        return Harness(channel: channel, unusable: probe)
      }
      #expect(window.streamID == .rootStream && increment == (16 << 20) - 65_535)
      return Harness(channel: channel, unusable: probe)
    }

    /// Starts a call whose answers arrive on the returned stream.
    func start(
      service: String = "ok", timeoutNanos: Int64? = nil
    ) async throws -> (GRPCClientCall, AsyncThrowingStream<ByteBuffer, any Error>) {
      var request = Grpc_Health_V1_HealthCheckRequest()
      request.service = service
      let (answers, continuation) = AsyncThrowingStream.makeStream(of: ByteBuffer.self)
      let call = GRPCClientCall(
        path: GRPCClientHandlerTests.path, messages: [try GRPCMessageCodec.encode(request)],
        timeoutNanos: timeoutNanos, maxMessageBytes: 1 << 16, answer: .stream(continuation))
      let channel = self.channel
      try await channel.testingEventLoop.executeInContext {
        try channel.pipeline.syncOperations.handler(type: GRPCClientHandler.self).start(call)
      }
      await channel.testingEventLoop.run()
      return (call, answers)
    }

    func cancel(_ call: GRPCClientCall) async throws {
      let channel = self.channel
      try await channel.testingEventLoop.executeInContext {
        try channel.pipeline.syncOperations.handler(type: GRPCClientHandler.self).cancel(call)
      }
      await channel.testingEventLoop.run()
    }

    func written() async throws -> [HTTP2Frame] {
      var frames: [HTTP2Frame] = []
      while let frame = try await channel.readOutbound(as: HTTP2Frame.self) { frames.append(frame) }
      return frames
    }

    func receive(_ stream: HTTP2StreamID, _ payload: HTTP2Frame.FramePayload) async throws {
      try await channel.writeInbound(HTTP2Frame(streamID: stream, payload: payload))
      await channel.testingEventLoop.run()
    }
  }

  static func responseHeaders(_ extra: [(String, String)] = [], status: String = "200") -> HPACKHeaders {
    HPACKHeaders([(":status", status), ("content-type", "application/grpc")] + extra)
  }

  static func response(_ status: Grpc_Health_V1_HealthCheckResponse.ServingStatus) throws -> ByteBuffer {
    var response = Grpc_Health_V1_HealthCheckResponse()
    response.status = status
    return GRPCMessageFramer.frame(try GRPCMessageCodec.encode(response))
  }

  /// Collects a call's messages and its failure, if any.
  static func outcome(
    _ answers: AsyncThrowingStream<ByteBuffer, any Error>
  ) async -> (messages: [ByteBuffer], status: GRPCStatus?) {
    var messages: [ByteBuffer] = []
    do {
      for try await message in answers { messages.append(message) }
      return (messages, nil)
    } catch {
      return (messages, error as? GRPCStatus ?? GRPCStatus(.unknown, "not a status: \(error)"))
    }
  }

  @Test("a call writes gRPC's request headers and one length-prefixed message that ends the stream")
  func requestFrames() async throws {
    let harness = try await Harness.make(compression: nil, metadata: [("authorization", "Bearer t")])
    _ = try await harness.start(timeoutNanos: 1_500_000_000)
    let frames = try await harness.written()
    try #require(frames.count == 2)
    #expect(frames[0].streamID == 1 && frames[1].streamID == 1)
    guard case .headers(let headers) = frames[0].payload, case .data(let data) = frames[1].payload,
      case .byteBuffer(var body) = data.data
    else {
      Issue.record("expected HEADERS then DATA, got \(frames.map(\.payload))")
      return
    }
    #expect(!headers.endStream && data.endStream)
    #expect(headers.headers.first(name: ":method") == "POST")
    #expect(headers.headers.first(name: ":path") == Self.path)
    #expect(headers.headers.first(name: ":authority") == "example.org:8001")
    #expect(headers.headers.first(name: "content-type") == "application/grpc")
    #expect(headers.headers.first(name: "te") == "trailers")
    #expect(headers.headers.first(name: "grpc-timeout") == "1500000u")
    #expect(headers.headers.first(name: "authorization") == "Bearer t")
    #expect(headers.headers.first(name: "grpc-encoding") == nil)
    let flag = body.readInteger(as: UInt8.self)
    let length = body.readInteger(endianness: .big, as: UInt32.self)
    #expect(flag == 0)
    #expect(length.map(Int.init) == body.readableBytes)
    let request = try GRPCMessageCodec.decode(Grpc_Health_V1_HealthCheckRequest.self, from: body)
    #expect(request.service == "ok")
  }

  @Test("stream IDs are odd and increase with each call")
  func streamIDs() async throws {
    let harness = try await Harness.make()
    for _ in 0..<3 { _ = try await harness.start() }
    let ids = try await harness.written().map { Int($0.streamID) }
    #expect(ids == [1, 1, 3, 3, 5, 5])
  }

  @Test("headers, a message and OK trailers deliver the message")
  func answered() async throws {
    let harness = try await Harness.make()
    let (_, answers) = try await harness.start()
    try await harness.receive(1, .headers(.init(headers: Self.responseHeaders())))
    // The message split over two DATA frames.
    var message = try Self.response(.serving)
    let head = message.readSlice(length: 3)!
    try await harness.receive(1, .data(.init(data: .byteBuffer(head))))
    try await harness.receive(1, .data(.init(data: .byteBuffer(message))))
    try await harness.receive(1, .headers(.init(headers: HPACKHeaders([("grpc-status", "0")]), endStream: true)))
    let (messages, status) = await Self.outcome(answers)
    #expect(status == nil)
    try #require(messages.count == 1)
    let response = try GRPCMessageCodec.decode(Grpc_Health_V1_HealthCheckResponse.self, from: messages[0])
    #expect(response.status == .serving)
  }

  @Test("a trailers-only error carries its code and percent-decoded message")
  func trailersOnly() async throws {
    let harness = try await Harness.make()
    let (_, answers) = try await harness.start()
    let headers = Self.responseHeaders([
      ("grpc-status", "5"), ("grpc-message", "model 'x' not found %E2%80%94 try 'y' 100%25"),
    ])
    try await harness.receive(1, .headers(.init(headers: headers, endStream: true)))
    let (_, status) = await Self.outcome(answers)
    #expect(status == GRPCStatus(.notFound, "model 'x' not found — try 'y' 100%"))
  }

  @Test("an HTTP status other than 200 maps to gRPC's code for it, and the stream is reset")
  func httpStatus() async throws {
    let harness = try await Harness.make()
    let (_, answers) = try await harness.start()
    _ = try await harness.written()
    try await harness.receive(1, .headers(.init(headers: HPACKHeaders([(":status", "503")]))))
    let (_, status) = await Self.outcome(answers)
    #expect(status?.code == .unavailable)
    #expect(status?.message.contains("HTTP status 503") == true)
    let reset = try await harness.written()
    #expect(reset.count == 1 && reset.first?.streamID == 1)
    if case .rstStream(let code) = reset.first?.payload {
      #expect(code == .cancel)
    } else {
      Issue.record("no RST_STREAM")
    }
  }

  @Test("a response that is not application/grpc fails as UNKNOWN")
  func wrongContentType() async throws {
    let harness = try await Harness.make()
    let (_, answers) = try await harness.start()
    try await harness.receive(
      1, .headers(.init(headers: HPACKHeaders([(":status", "200"), ("content-type", "text/html")]), endStream: true)))
    let (_, status) = await Self.outcome(answers)
    #expect(status?.code == .unknown)
    #expect(status?.message.contains("text/html") == true)
  }

  @Test("a stream that ends without grpc-status, or inside a message, fails as INTERNAL")
  func missingStatusAndTruncation() async throws {
    let harness = try await Harness.make()
    let (_, first) = try await harness.start()
    try await harness.receive(1, .headers(.init(headers: Self.responseHeaders())))
    try await harness.receive(1, .data(.init(data: .byteBuffer(try Self.response(.serving)), endStream: true)))
    let missing = await Self.outcome(first)
    #expect(missing.status?.code == .internal)
    #expect(missing.status?.message.contains("grpc-status") == true)

    let (_, second) = try await harness.start()
    try await harness.receive(3, .headers(.init(headers: Self.responseHeaders())))
    var message = try Self.response(.serving)
    try await harness.receive(3, .data(.init(data: .byteBuffer(message.readSlice(length: 4)!))))
    try await harness.receive(3, .headers(.init(headers: HPACKHeaders([("grpc-status", "0")]), endStream: true)))
    let truncated = await Self.outcome(second)
    #expect(truncated.status?.code == .internal)
    #expect(truncated.status?.message.contains("truncated") == true)
  }

  @Test("a response message above the client's limit is refused from its prefix")
  func oversizedResponse() async throws {
    let harness = try await Harness.make(maxMessageBytes: 1 << 16)
    let (_, answers) = try await harness.start()
    _ = try await harness.written()
    try await harness.receive(1, .headers(.init(headers: Self.responseHeaders())))
    var prefix = ByteBuffer()
    prefix.writeInteger(UInt8(0))
    prefix.writeInteger(UInt32(1 << 20), endianness: .big)
    try await harness.receive(1, .data(.init(data: .byteBuffer(prefix))))
    let (_, status) = await Self.outcome(answers)
    #expect(status?.code == .resourceExhausted)
    #expect(status?.message.contains("this client's limit") == true)
    let reset = try await harness.written()
    #expect(reset.contains { if case .rstStream = $0.payload { true } else { false } })
  }

  @Test("RST_STREAM from the server maps to gRPC's codes")
  func serverReset() async throws {
    let harness = try await Harness.make()
    let cases: [(HTTP2ErrorCode, GRPCStatus.Code)] = [
      (.refusedStream, .unavailable), (.cancel, .cancelled), (.enhanceYourCalm, .resourceExhausted),
      (.protocolError, .internal),
    ]
    var stream = 1
    for (reset, expected) in cases {
      let (_, answers) = try await harness.start()
      try await harness.receive(HTTP2StreamID(stream), .rstStream(reset))
      let (_, status) = await Self.outcome(answers)
      #expect(status?.code == expected, "RST_STREAM \(reset)")
      stream += 2
    }
  }

  @Test("a passed timeout ends the call with DEADLINE_EXCEEDED and resets its stream")
  func deadline() async throws {
    let harness = try await Harness.make()
    let (_, answers) = try await harness.start(timeoutNanos: 50_000_000)
    _ = try await harness.written()
    await harness.channel.testingEventLoop.advanceTime(by: .milliseconds(49))
    #expect(try await harness.written().isEmpty)
    await harness.channel.testingEventLoop.advanceTime(by: .milliseconds(2))
    let (_, status) = await Self.outcome(answers)
    #expect(status?.code == .deadlineExceeded)
    let reset = try await harness.written()
    #expect(reset.count == 1)
    if case .rstStream(let code) = reset.first?.payload {
      #expect(code == .cancel)
    } else {
      Issue.record("no RST_STREAM")
    }
    // A late answer for the reset stream is ignored.
    try await harness.receive(
      1, .headers(.init(headers: Self.responseHeaders([("grpc-status", "0")]), endStream: true)))
  }

  @Test("cancelling resets the stream; a call cancelled before it started sends nothing")
  func cancellation() async throws {
    let harness = try await Harness.make()
    let (call, answers) = try await harness.start()
    _ = try await harness.written()
    try await harness.cancel(call)
    #expect(await Self.outcome(answers).status?.code == .cancelled)
    let reset = try await harness.written()
    #expect(reset.count == 1 && reset.first?.streamID == 1)

    let (early, earlyAnswers) = AsyncThrowingStream.makeStream(of: ByteBuffer.self)
    let call2 = GRPCClientCall(
      path: Self.path, messages: [], timeoutNanos: nil, maxMessageBytes: 1 << 16, answer: .stream(earlyAnswers))
    try await harness.cancel(call2)
    let channel = harness.channel
    try await channel.testingEventLoop.executeInContext {
      try channel.pipeline.syncOperations.handler(type: GRPCClientHandler.self).start(call2)
    }
    #expect(await Self.outcome(early).status?.code == .cancelled)
    #expect(try await harness.written().isEmpty)
  }

  @Test("a gzip response is inflated; a compressed request says grpc-encoding and sets the flag")
  func compression() async throws {
    let harness = try await Harness.make(compression: .gzip)
    let (_, answers) = try await harness.start()
    let frames = try await harness.written()
    guard case .headers(let headers) = frames.first?.payload, case .data(let data) = frames.last?.payload,
      case .byteBuffer(let body) = data.data
    else {
      Issue.record("expected HEADERS and DATA")
      return
    }
    #expect(headers.headers.first(name: "grpc-encoding") == "gzip")
    #expect(body.getInteger(at: body.readerIndex, as: UInt8.self) == 1)

    var plain = Grpc_Health_V1_HealthCheckResponse()
    plain.status = .notServing
    let compressed = try GRPCCompression.gzip.compress(try GRPCMessageCodec.encode(plain))
    try await harness.receive(1, .headers(.init(headers: Self.responseHeaders([("grpc-encoding", "gzip")]))))
    try await harness.receive(1, .data(.init(data: .byteBuffer(GRPCMessageFramer.frame(compressed, compressed: true)))))
    try await harness.receive(1, .headers(.init(headers: HPACKHeaders([("grpc-status", "0")]), endStream: true)))
    let (messages, status) = await Self.outcome(answers)
    #expect(status == nil)
    let decoded = try GRPCMessageCodec.decode(
      Grpc_Health_V1_HealthCheckResponse.self, from: try #require(messages.first))
    #expect(decoded.status == .notServing)
  }

  @Test("GOAWAY stops new calls here; calls in flight still finish; a lost connection fails the rest")
  func goAwayAndLoss() async throws {
    let harness = try await Harness.make()
    let (_, inFlight) = try await harness.start()
    let (_, lost) = try await harness.start()
    try await harness.receive(.rootStream, .goAway(lastStreamID: 3, errorCode: .noError, opaqueData: nil))
    #expect(harness.unusable.count.withLock { $0 } == 1)
    let (_, refused) = try await harness.start()
    #expect(await Self.outcome(refused).status?.code == .unavailable)

    try await harness.receive(1, .headers(.init(headers: Self.responseHeaders())))
    try await harness.receive(1, .data(.init(data: .byteBuffer(try Self.response(.serving)))))
    try await harness.receive(1, .headers(.init(headers: HPACKHeaders([("grpc-status", "0")]), endStream: true)))
    #expect(await Self.outcome(inFlight).messages.count == 1)

    try await harness.channel.close()
    let status = await Self.outcome(lost).status
    #expect(status?.code == .unavailable)
    #expect(status?.message.contains("lost") == true)
    #expect(harness.unusable.count.withLock { $0 } == 1)
  }

  @Test("after GOAWAY the connection closes once its last call is answered")
  func goAwayThenIdleClose() async throws {
    let harness = try await Harness.make()
    let (_, answers) = try await harness.start()
    try await harness.receive(.rootStream, .goAway(lastStreamID: 1, errorCode: .noError, opaqueData: nil))
    #expect(harness.channel.isActive)
    try await harness.receive(1, .headers(.init(headers: Self.responseHeaders())))
    try await harness.receive(1, .data(.init(data: .byteBuffer(try Self.response(.serving)))))
    try await harness.receive(1, .headers(.init(headers: HPACKHeaders([("grpc-status", "0")]), endStream: true)))
    #expect(await Self.outcome(answers).messages.count == 1)
    try await harness.channel.closeFuture.get()
  }

  @Test("grpc-timeout values keep 8 digits and never shorten the deadline")
  func timeoutHeader() {
    #expect(GRPCTimeout.headerValue(nanoseconds: 999) == "999n")
    #expect(GRPCTimeout.headerValue(nanoseconds: 99_999_999) == "99999999n")
    #expect(GRPCTimeout.headerValue(nanoseconds: 100_000_001) == "100001u")
    #expect(GRPCTimeout.headerValue(nanoseconds: 0) == "1n")
    for nanos: Int64 in [1, 12_345, 1_000_000_007, 86_400_000_000_000, Int64.max / 2] {
      let value = GRPCTimeout.headerValue(nanoseconds: nanos)
      #expect(value.count <= 9)
      #expect((GRPCTimeout.nanoseconds(value) ?? 0) >= nanos, "\(value) for \(nanos)")
    }
  }
}
