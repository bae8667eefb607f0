import GRPCWire
import InferenceServerGRPC
import KServeGRPC
import KServeProtocol
import NIOCore
import NIOEmbedded
import NIOHPACK
import NIOHTTP2
import Synchronization
import Testing

@testable import InferenceRuntime

/// The connection handler on an in-process channel: HTTP/2 frames in, frames out, no sockets.
@Suite("gRPC connection handler", .timeLimit(.minutes(1)))
struct GRPCConnectionHandlerTests {
  static let echoPath = "/test.Echo/Say"

  /// A table with an echo (unary: Check request → its service name as the response status text is not
  /// possible, so the response is a HealthCheckResponse SERVING when the service is "ok"), a hanging method,
  /// a failing method and a message-by-message echo.
  static func table(hung: HangProbe = HangProbe()) -> GRPCMethodTable {
    var table = GRPCMethodTable()
    table.register(
      service: "test.Echo", method: "Say",
      GRPCMethodTable.unary { (request: Grpc_Health_V1_HealthCheckRequest, _: GRPCCallContext) in
        var response = Grpc_Health_V1_HealthCheckResponse()
        response.status = request.service == "ok" ? .serving : .notServing
        return response
      })
    table.register(
      service: "test.Echo", method: "Hang",
      GRPCMethodTable.unary { (_: Grpc_Health_V1_HealthCheckRequest, _: GRPCCallContext) in
        hung.started()
        do {
          try await Task.sleep(for: .seconds(60))
        } catch {
          hung.cancelled()
          throw error
        }
        return Grpc_Health_V1_HealthCheckResponse()
      })
    table.register(
      service: "test.Echo", method: "Fail",
      GRPCMethodTable.unary {
        (_: Grpc_Health_V1_HealthCheckRequest, _: GRPCCallContext) -> Grpc_Health_V1_HealthCheckResponse in
        throw InferenceError(.notFound, "model 'x' is not here; did you mean 'y'?")
      })
    table.register(
      service: "test.Echo", method: "Stream",
      GRPCMethodTable.messageByMessage { (request: Grpc_Health_V1_HealthCheckRequest, _: GRPCCallContext) in
        var response = Grpc_Health_V1_HealthCheckResponse()
        response.status = request.service == "ok" ? .serving : .notServing
        return response
      })
    // Health is not in an access group; ModelInfer is ("inference").
    table.register(
      service: "inference.GRPCInferenceService", method: "ServerLive",
      GRPCMethodTable.unary { (_: Inference_ServerLiveRequest, _: GRPCCallContext) in
        var response = Inference_ServerLiveResponse()
        response.live = true
        return response
      })
    return table
  }

  /// What the hanging handler reports: "started" and "cancelled", awaited without polling.
  final class HangProbe: Sendable {
    let events: AsyncStream<String>
    private let continuation: AsyncStream<String>.Continuation

    init() {
      (events, continuation) = AsyncStream.makeStream(of: String.self)
    }

    func started() { continuation.yield("started") }
    func cancelled() { continuation.yield("cancelled") }

    /// Waits for the next event to be `event`.
    func next(_ event: String) async {
      for await seen in events {
        #expect(seen == event)
        return
      }
    }
  }

  /// Runs `body` with a channel whose pipeline is the connection handler, while the connection's calls run
  /// in a child task; closes the channel afterwards (if `body` did not), which ends that task.
  static func withChannel(
    _ table: GRPCMethodTable = table(), configuration: GRPCConnectionConfiguration = .init(maxMessageBytes: 1 << 16),
    reads: ReadCounter? = nil, _ body: (NIOAsyncTestingChannel) async throws -> Void
  ) async throws {
    let calls = GRPCConnectionCalls()
    let channel = NIOAsyncTestingChannel()
    try await channel.testingEventLoop.executeInContext {
      if let reads { try channel.pipeline.syncOperations.addHandler(reads) }
      try channel.pipeline.syncOperations.addHandler(
        GRPCConnectionHandler(methods: table, configuration: configuration, calls: calls))
    }
    try await withThrowingDiscardingTaskGroup { group in
      group.addTask { await calls.run() }
      try await body(channel)
      _ = try? await channel.finish()
    }
  }

  /// Counts the reads that pass toward the socket (sits before the connection handler).
  final class ReadCounter: ChannelOutboundHandler, Sendable {
    typealias OutboundIn = Any
    private let count = Atomic<Int>(0)
    var value: Int { count.load(ordering: .relaxed) }

    func read(context: ChannelHandlerContext) {
      count.add(1, ordering: .relaxed)
      context.read()
    }
  }

  static func requestHeaders(_ path: String, extra: [(String, String)] = []) -> HPACKHeaders {
    HPACKHeaders(
      [
        (":method", "POST"), (":scheme", "http"), (":path", path), (":authority", "localhost"),
        ("content-type", "application/grpc"), ("te", "trailers"),
      ] + extra)
  }

  static func message(_ service: String) throws -> ByteBuffer {
    var request = Grpc_Health_V1_HealthCheckRequest()
    request.service = service
    return GRPCMessageFramer.frame(try GRPCMessageCodec.encode(request))
  }

  static func send(
    _ channel: NIOAsyncTestingChannel, stream: Int, path: String, extra: [(String, String)] = [],
    body: ByteBuffer?, end: Bool = true
  ) async throws {
    let id = HTTP2StreamID(stream)
    try await channel.writeInbound(
      HTTP2Frame(
        streamID: id,
        payload: .headers(.init(headers: requestHeaders(path, extra: extra), endStream: body == nil && end))))
    if let body {
      try await channel.writeInbound(
        HTTP2Frame(streamID: id, payload: .data(.init(data: .byteBuffer(body), endStream: end))))
    }
  }

  /// Outbound frames until (and including) the stream's END_STREAM headers; window updates are skipped.
  static func response(_ channel: NIOAsyncTestingChannel, stream: Int) async throws -> [HTTP2Frame.FramePayload] {
    var frames: [HTTP2Frame.FramePayload] = []
    while true {
      let frame = try await channel.waitForOutboundWrite(as: HTTP2Frame.self)
      if case .windowUpdate = frame.payload { continue }
      // An earlier refused stream's RST_STREAM may come first.
      if frame.streamID != HTTP2StreamID(stream), isReset(frame.payload) { continue }
      #expect(frame.streamID == HTTP2StreamID(stream))
      frames.append(frame.payload)
      if case .headers(let headers) = frame.payload, headers.endStream { return frames }
    }
  }

  static func isReset(_ payload: HTTP2Frame.FramePayload) -> Bool {
    if case .rstStream(.noError) = payload { return true }
    return false
  }

  static func status(_ frames: [HTTP2Frame.FramePayload]) -> (code: String?, message: String?) {
    guard case .headers(let trailers)? = frames.last else { return (nil, nil) }
    return (trailers.headers.first(name: "grpc-status"), trailers.headers.first(name: "grpc-message"))
  }

  @Test func aUnaryCallIsAnsweredWithHeadersMessageAndTrailers() async throws {
    try await Self.withChannel { channel in
      try await Self.send(channel, stream: 1, path: Self.echoPath, body: try Self.message("ok"))
      let frames = try await Self.response(channel, stream: 1)
      #expect(frames.count == 3)
      guard case .headers(let headers) = frames[0], case .data(let data) = frames[1] else {
        Issue.record("unexpected frames \(frames)")
        return
      }
      #expect(headers.headers.first(name: ":status") == "200")
      #expect(headers.headers.first(name: "content-type") == "application/grpc")
      guard case .byteBuffer(let body) = data.data else { return }
      var deframer = GRPCMessageDeframer(maxMessageBytes: 1 << 16)
      deframer.append(body)
      let reply = try GRPCMessageCodec.decode(
        Grpc_Health_V1_HealthCheckResponse.self, from: try #require(try deframer.next()).bytes)
      #expect(reply.status == .serving)
      #expect(Self.status(frames).code == "0")
      _ = try await channel.finish()
    }
  }

  @Test func manyCallsOnOneConnectionAreAnsweredEachOnItsStream() async throws {
    try await Self.withChannel { channel in
      for stream in stride(from: 1, through: 39, by: 2) {
        try await Self.send(
          channel, stream: stream, path: Self.echoPath, body: try Self.message(stream % 4 == 1 ? "ok" : "no"))
      }
      var ended = Set<Int>()
      while ended.count < 20 {
        let frame = try await channel.waitForOutboundWrite(as: HTTP2Frame.self)
        if case .headers(let headers) = frame.payload, headers.endStream {
          #expect(headers.headers.first(name: "grpc-status") == "0")
          ended.insert(Int(frame.streamID))
        }
      }
      #expect(ended == Set(stride(from: 1, through: 39, by: 2)))
      _ = try await channel.finish()
    }
  }

  @Test func anUnknownMethodIsUnimplementedAndNamesTheClosestOne() async throws {
    try await Self.withChannel { channel in
      try await Self.send(channel, stream: 1, path: "/other.Service/Say", body: try Self.message("ok"))
      let frames = try await Self.response(channel, stream: 1)
      let status = Self.status(frames)
      #expect(status.code == "12")
      #expect(status.message?.contains("test.Echo/Say") == true)
      // The client had not closed its side: it is told to stop sending.
      let reset = try await channel.waitForOutboundWrite(as: HTTP2Frame.self)
      #expect(Self.isReset(reset.payload))
      _ = try await channel.finish()
    }
  }

  @Test func aNonGRPCRequestGets415() async throws {
    try await Self.withChannel { channel in
      try await channel.writeInbound(
        HTTP2Frame(
          streamID: 1,
          payload: .headers(
            .init(
              headers: HPACKHeaders([
                (":method", "GET"), (":scheme", "http"), (":path", "/"), ("content-type", "text/html"),
              ]),
              endStream: true))))
      let frames = try await Self.response(channel, stream: 1)
      guard case .headers(let headers) = frames[0] else { return }
      #expect(headers.headers.first(name: ":status") == "415")
      #expect(headers.headers.first(name: "grpc-status") == nil)
      _ = try await channel.finish()
    }
  }

  @Test func aPrefixAboveTheLimitIsRefusedAndOtherStreamsGoOn() async throws {
    try await Self.withChannel(configuration: .init(maxMessageBytes: 64)) { channel in
      var lying = ByteBuffer()
      lying.writeInteger(UInt8(0))
      lying.writeInteger(UInt32(1 << 30), endianness: .big)
      try await Self.send(channel, stream: 1, path: Self.echoPath, body: lying, end: false)
      let frames = try await Self.response(channel, stream: 1)
      #expect(Self.status(frames).code == "8")
      #expect(Self.isReset(try await channel.waitForOutboundWrite(as: HTTP2Frame.self).payload))
      // More DATA on the refused stream is dropped; another stream is served.
      try await channel.writeInbound(
        HTTP2Frame(
          streamID: 1, payload: .data(.init(data: .byteBuffer(ByteBuffer(repeating: 0, count: 100)), endStream: true))))
      try await Self.send(channel, stream: 3, path: Self.echoPath, body: try Self.message("ok"))
      #expect(Self.status(try await Self.response(channel, stream: 3)).code == "0")
      _ = try await channel.finish()
    }
  }

  @Test func aTruncatedMessageIsInternal() async throws {
    try await Self.withChannel { channel in
      var body = try Self.message("ok")
      body.moveWriterIndex(to: body.writerIndex - 1)
      try await Self.send(channel, stream: 1, path: Self.echoPath, body: body)
      let status = Self.status(try await Self.response(channel, stream: 1))
      #expect(status.code == "13")
      #expect(status.message?.contains("truncated") == true)
      _ = try await channel.finish()
    }
  }

  @Test func aUnaryCallWithTwoMessagesOrNoneIsRefused() async throws {
    try await Self.withChannel { channel in
      var two = try Self.message("ok")
      var second = try Self.message("ok")
      two.writeBuffer(&second)
      try await Self.send(channel, stream: 1, path: Self.echoPath, body: two)
      #expect(Self.status(try await Self.response(channel, stream: 1)).code == "13")
      try await Self.send(channel, stream: 3, path: Self.echoPath, body: nil)
      #expect(Self.status(try await Self.response(channel, stream: 3)).code == "13")
      _ = try await channel.finish()
    }
  }

  @Test func malformedProtobufIsInvalidArgument() async throws {
    try await Self.withChannel { channel in
      try await Self.send(
        channel, stream: 1, path: Self.echoPath, body: GRPCMessageFramer.frame(ByteBuffer(bytes: [0x0A, 0x05, 0x41])))
      #expect(Self.status(try await Self.response(channel, stream: 1)).code == "3")
      _ = try await channel.finish()
    }
  }

  @Test func handlerErrorsKeepTheirCodeAndMessage() async throws {
    try await Self.withChannel { channel in
      try await Self.send(channel, stream: 1, path: "/test.Echo/Fail", body: try Self.message("ok"))
      let frames = try await Self.response(channel, stream: 1)
      #expect(frames.count == 1)  // trailers-only
      let status = Self.status(frames)
      #expect(status.code == "5")
      #expect(status.message == GRPCStatus(.notFound, "model 'x' is not here; did you mean 'y'?").encodedMessage)
      _ = try await channel.finish()
    }
  }

  @Test func aResetStreamCancelsItsHandler() async throws {
    let probe = HangProbe()
    try await Self.withChannel(Self.table(hung: probe)) { channel in
      try await Self.send(channel, stream: 1, path: "/test.Echo/Hang", body: try Self.message("ok"))
      await probe.next("started")
      try await channel.writeInbound(HTTP2Frame(streamID: 1, payload: .rstStream(.cancel)))
      await probe.next("cancelled")
      // Nothing is written for the reset stream.
      try await Self.send(channel, stream: 3, path: Self.echoPath, body: try Self.message("ok"))
      #expect(Self.status(try await Self.response(channel, stream: 3)).code == "0")
      _ = try await channel.finish()
    }
  }

  @Test func aPassedDeadlineAnswersDeadlineExceededAndCancelsTheHandler() async throws {
    let probe = HangProbe()
    try await Self.withChannel(Self.table(hung: probe)) { channel in
      try await Self.send(
        channel, stream: 1, path: "/test.Echo/Hang", extra: [("grpc-timeout", "50m")], body: try Self.message("ok"))
      await probe.next("started")
      await channel.testingEventLoop.advanceTime(by: .milliseconds(49))
      #expect(
        try await channel.readOutbound(as: HTTP2Frame.self).map { "\($0.payload)" }.map { $0.contains("windowUpdate") }
          ?? true)
      await channel.testingEventLoop.advanceTime(by: .milliseconds(1))
      let status = Self.status(try await Self.response(channel, stream: 1))
      #expect(status.code == "4")
      await probe.next("cancelled")
      _ = try await channel.finish()
    }
  }

  @Test func streamMessagesAreAnsweredInOrderThenTheStreamEnds() async throws {
    try await Self.withChannel { channel in
      var body = ByteBuffer()
      for service in ["ok", "no", "ok", "ok", "no"] {
        var one = try Self.message(service)
        body.writeBuffer(&one)
      }
      try await Self.send(channel, stream: 1, path: "/test.Echo/Stream", body: body)
      let frames = try await Self.response(channel, stream: 1)
      var statuses: [Grpc_Health_V1_HealthCheckResponse.ServingStatus] = []
      for case .data(let data) in frames {
        guard case .byteBuffer(let bytes) = data.data else { continue }
        var deframer = GRPCMessageDeframer(maxMessageBytes: 1 << 16)
        deframer.append(bytes)
        while let message = try deframer.next() {
          statuses.append(
            try GRPCMessageCodec.decode(Grpc_Health_V1_HealthCheckResponse.self, from: message.bytes).status)
        }
      }
      #expect(statuses == [.serving, .notServing, .serving, .serving, .notServing])
      #expect(Self.status(frames).code == "0")
      _ = try await channel.finish()
    }
  }

  @Test func gzipRequestsAreReadAndUnknownEncodingsRefused() async throws {
    try await Self.withChannel { channel in
      var request = Grpc_Health_V1_HealthCheckRequest()
      request.service = "ok"
      let compressed = try GRPCCompression.gzip.compress(try GRPCMessageCodec.encode(request))
      try await Self.send(
        channel, stream: 1, path: Self.echoPath, extra: [("grpc-encoding", "gzip")],
        body: GRPCMessageFramer.frame(compressed, compressed: true))
      #expect(Self.status(try await Self.response(channel, stream: 1)).code == "0")
      // Marked compressed without an encoding.
      try await Self.send(
        channel, stream: 3, path: Self.echoPath, body: GRPCMessageFramer.frame(compressed, compressed: true))
      #expect(Self.status(try await Self.response(channel, stream: 3)).code == "13")
      try await Self.send(
        channel, stream: 5, path: Self.echoPath, extra: [("grpc-encoding", "br")], body: try Self.message("ok"))
      #expect(Self.status(try await Self.response(channel, stream: 5)).code == "12")
      _ = try await channel.finish()
    }
  }

  @Test func responsesAreCompressedOnlyWhenConfigured() async throws {
    for compress in [false, true] {
      try await Self.withChannel(
        configuration: .init(maxMessageBytes: 1 << 16, compressResponses: compress)
      ) { channel in
        try await Self.send(
          channel, stream: 1, path: Self.echoPath, extra: [("grpc-accept-encoding", "gzip,deflate")],
          body: try Self.message("ok"))
        let frames = try await Self.response(channel, stream: 1)
        guard case .headers(let headers) = frames[0] else { return }
        #expect(headers.headers.first(name: "grpc-encoding") == (compress ? "gzip" : nil))
        _ = try await channel.finish()
      }
    }
  }

  @Test func restrictedGroupsNeedTheirHeader() async throws {
    let policy = try AccessPolicy(rules: [AccessPolicy.Rule(groups: [.health], header: "x-token", value: "secret")])
    try await Self.withChannel(configuration: .init(maxMessageBytes: 1 << 16, accessPolicy: policy)) { channel in
      var live = Inference_ServerLiveRequest()
      let body = GRPCMessageFramer.frame(try GRPCMessageCodec.encode(live))
      try await Self.send(channel, stream: 1, path: "/inference.GRPCInferenceService/ServerLive", body: body)
      let denied = Self.status(try await Self.response(channel, stream: 1))
      #expect(denied.code == "16")
      #expect(denied.message?.contains("secret") == false)
      try await Self.send(
        channel, stream: 3, path: "/inference.GRPCInferenceService/ServerLive", extra: [("x-token", "secret")],
        body: body
      )
      #expect(Self.status(try await Self.response(channel, stream: 3)).code == "0")
      live = Inference_ServerLiveRequest()
      _ = try await channel.finish()
    }
  }

  @Test func largeMessagesReturnStreamCredit() async throws {
    try await Self.withChannel(configuration: .init(maxMessageBytes: 1 << 20, targetWindowSize: 65_535)) { channel in
      // A message of ~200 KB in 16 KB frames: the handler must give the stream's window back as it goes.
      var request = Grpc_Health_V1_HealthCheckRequest()
      request.service = String(repeating: "a", count: 200_000)
      var body = GRPCMessageFramer.frame(try GRPCMessageCodec.encode(request))
      try await channel.writeInbound(
        HTTP2Frame(streamID: 1, payload: .headers(.init(headers: Self.requestHeaders(Self.echoPath)))))
      var credit = 0
      while body.readableBytes > 0, let chunk = body.readSlice(length: min(16_384, body.readableBytes)) {
        try await channel.writeInbound(
          HTTP2Frame(streamID: 1, payload: .data(.init(data: .byteBuffer(chunk), endStream: body.readableBytes == 0))))
        while let frame = try await channel.readOutbound(as: HTTP2Frame.self) {
          if case .windowUpdate(let increment) = frame.payload, frame.streamID == 1 { credit += increment }
        }
      }
      #expect(credit >= 150_000)
      _ = try await channel.finish()
    }
  }

  @Test func theConnectionWindowIsToppedUpWhenHalfIsUsed() async throws {
    try await Self.withChannel(configuration: .init(maxMessageBytes: 1 << 20, targetWindowSize: 100_000)) { channel in
      channel.pipeline.fireUserInboundEventTriggered(
        NIOHTTP2WindowUpdatedEvent(streamID: .rootStream, inboundWindowSize: 60_000, outboundWindowSize: nil))
      #expect(try await channel.readOutbound(as: HTTP2Frame.self) == nil)
      channel.pipeline.fireUserInboundEventTriggered(
        NIOHTTP2WindowUpdatedEvent(streamID: .rootStream, inboundWindowSize: 40_000, outboundWindowSize: nil))
      let update = try await channel.waitForOutboundWrite(as: HTTP2Frame.self)
      #expect(update.streamID == .rootStream)
      guard case .windowUpdate(let increment) = update.payload else {
        Issue.record("expected a WINDOW_UPDATE, got \(update.payload)")
        return
      }
      #expect(increment == 60_000)
      _ = try await channel.finish()
    }
  }

  @Test func theConnectionTaskEndsAfterTheConnectionClosesAndItsCallsEnd() async throws {
    let probe = HangProbe()
    let calls = GRPCConnectionCalls()
    let channel = NIOAsyncTestingChannel()
    try await channel.testingEventLoop.executeInContext {
      try channel.pipeline.syncOperations.addHandler(
        GRPCConnectionHandler(
          methods: Self.table(hung: probe), configuration: .init(maxMessageBytes: 1 << 16), calls: calls))
    }
    // The group returns only when `run()` has: the connection's task ended after its hanging call did.
    await withDiscardingTaskGroup { group in
      group.addTask { await calls.run() }
      await #expect(throws: Never.self) {
        try await Self.send(channel, stream: 1, path: "/test.Echo/Hang", body: try Self.message("ok"))
      }
      await probe.next("started")
      _ = try? await channel.finish()
      await probe.next("cancelled")
    }
  }

  @Test func callsAfterTheConnectionTaskWasCancelledAreUnavailable() async throws {
    let calls = GRPCConnectionCalls()
    let channel = NIOAsyncTestingChannel()
    try await channel.testingEventLoop.executeInContext {
      try channel.pipeline.syncOperations.addHandler(
        GRPCConnectionHandler(methods: Self.table(), configuration: .init(maxMessageBytes: 1 << 16), calls: calls))
    }
    try await withThrowingTaskGroup(of: Void.self) { group in
      group.addTask { await calls.run() }
      group.cancelAll()
      try await group.next()
    }
    try await Self.send(channel, stream: 1, path: Self.echoPath, body: try Self.message("ok"))
    let status = Self.status(try await Self.response(channel, stream: 1))
    #expect(status.code == "14")
    #expect(status.message?.contains("retry on another server") == true)
    _ = try await channel.finish()
  }

  // MARK: Overload

  /// A table whose "Full" method is refused the way a full model queue refuses, with that queue's room.
  static func fullTable(_ room: QueueRoom) -> GRPCMethodTable {
    var table = table()
    table.register(
      service: "test.Echo", method: "Full",
      GRPCMethodTable.unary {
        (_: Grpc_Health_V1_HealthCheckRequest, _: GRPCCallContext) -> Grpc_Health_V1_HealthCheckResponse in
        throw InferenceError(
          .unavailable, "model 'm' version 1: request queue is full (4 waiting)", cause: QueueFull(room: room))
      })
    return table
  }

  /// The SETTINGS_MAX_CONCURRENT_STREAMS of the next outbound frame (which must be a SETTINGS frame).
  static func nextStreamLimit(_ channel: NIOAsyncTestingChannel) async throws -> Int? {
    let frame = try await channel.waitForOutboundWrite(as: HTTP2Frame.self)
    guard case .settings(.settings(let values)) = frame.payload else {
      Issue.record("expected SETTINGS, got \(frame.payload)")
      return nil
    }
    return values.first { $0.parameter == .maxConcurrentStreams }?.value
  }

  @Test func aRefusalForAFullQueueHoldsReadsUntilTheQueueHasRoomAndLowersTheStreamLimit() async throws {
    let room = QueueRoom()
    room.markFull(limit: 4)
    let reads = ReadCounter()
    try await Self.withChannel(
      Self.fullTable(room), configuration: .init(maxMessageBytes: 1 << 16, maxConcurrentStreams: 8), reads: reads
    ) { channel in
      try await Self.send(channel, stream: 1, path: "/test.Echo/Full", body: try Self.message("ok"))
      let status = Self.status(try await Self.response(channel, stream: 1))
      #expect(status.code == "14")
      #expect(status.message?.contains("queue is full") == true)
      // No call is open any more, but the limit drops by half at most: 8 -> 4.
      #expect(try await Self.nextStreamLimit(channel) == 4)

      let before = reads.value
      try await channel.testingEventLoop.executeInContext { channel.pipeline.read() }
      #expect(reads.value == before, "the read is held while the queue is full")
      room.noteDepth(2)
      await channel.testingEventLoop.run()
      #expect(reads.value == before + 1, "the held read goes out once the queue has drained to half")

      // Other calls are still served; after a quiet second the limit grows back by a sixteenth (at least one).
      try await Self.send(channel, stream: 3, path: Self.echoPath, body: try Self.message("ok"))
      #expect(Self.status(try await Self.response(channel, stream: 3)).code == "0")
      await channel.testingEventLoop.advanceTime(by: .seconds(1))
      #expect(try await Self.nextStreamLimit(channel) == 5)
      _ = try await channel.finish()
    }
  }

  @Test func readsResumeAfterTheLongestPauseWhenTheQueueStaysFull() async throws {
    let room = QueueRoom()
    room.markFull(limit: 4)
    let reads = ReadCounter()
    try await Self.withChannel(
      Self.fullTable(room), configuration: .init(maxMessageBytes: 1 << 16, maxReadPause: .milliseconds(50)),
      reads: reads
    ) { channel in
      try await Self.send(channel, stream: 1, path: "/test.Echo/Full", body: try Self.message("ok"))
      #expect(Self.status(try await Self.response(channel, stream: 1)).code == "14")
      #expect(try await Self.nextStreamLimit(channel) == 64)
      let before = reads.value
      try await channel.testingEventLoop.executeInContext { channel.pipeline.read() }
      await channel.testingEventLoop.advanceTime(by: .milliseconds(49))
      #expect(reads.value == before)
      await channel.testingEventLoop.advanceTime(by: .milliseconds(1))
      #expect(reads.value == before + 1)
      _ = try await channel.finish()
    }
  }

  /// With the pause turned off, or for a model whose refusals are cheap (executions of milliseconds), every
  /// request read is admitted or refused as Triton does: no held read, no SETTINGS frame.
  @Test(arguments: [true, false])
  func withoutAReadPauseOrForCheapRefusalsNothingChanges(pauseOff: Bool) async throws {
    let room = QueueRoom(refusalsAreDear: { pauseOff })
    room.markFull(limit: 4)
    let reads = ReadCounter()
    try await Self.withChannel(
      Self.fullTable(room),
      configuration: .init(maxMessageBytes: 1 << 16, maxReadPause: pauseOff ? .zero : .milliseconds(50)), reads: reads
    ) { channel in
      try await Self.send(channel, stream: 1, path: "/test.Echo/Full", body: try Self.message("ok"))
      #expect(Self.status(try await Self.response(channel, stream: 1)).code == "14")
      let before = reads.value
      try await channel.testingEventLoop.executeInContext { channel.pipeline.read() }
      #expect(reads.value == before + 1)
      try await Self.send(channel, stream: 3, path: Self.echoPath, body: try Self.message("ok"))
      let frames = try await Self.response(channel, stream: 3)
      #expect(Self.status(frames).code == "0", "no SETTINGS frame came before the answer")
      _ = try await channel.finish()
    }
  }
}
