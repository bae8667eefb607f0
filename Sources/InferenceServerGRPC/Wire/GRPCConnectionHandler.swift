internal import DequeModule
internal import GRPCWire
internal import InferenceRuntime
internal import KServeProtocol
public import NIOCore
internal import NIOHPACK
public import NIOHTTP2

/// Serves gRPC calls on one HTTP/2 connection, reading and writing the connection's frames directly: no
/// channel per stream, no task per stream beyond the one that runs a handler, and responses written on the
/// connection's event loop as soon as the handler returns (gRPC's PROTOCOL-HTTP2 over swift-nio-http2).
///
/// It sits after `NIOHTTP2Handler` (HTTP/2 framing, HPACK, flow-control accounting, stream states) and
/// `NIOHTTP2ServerConnectionManagementHandler` (keepalive pings, GOAWAY and graceful close). Since no stream
/// multiplexer runs, it returns receive-window credit itself: bytes are credited back to the peer as they
/// arrive (the connection's from the window events of the HTTP/2 layer, a stream's from its DATA); the memory a
/// stream can hold is bounded by the message limit, checked from each message's prefix before its bytes are
/// buffered.
///
/// A handler runs as a child task of the connection's task (``GRPCConnectionCalls``; the server has it prefer
/// this connection's event loop, so it stays on this thread). A stream reset by the client, a passed `grpc-timeout` or a
/// closed connection cancels it; a passed deadline answers DEADLINE_EXCEEDED at once.
///
/// Overload (HTTP/2 backpressure): a call refused because its model's queue is full is answered UNAVAILABLE
/// at once; where refusing is dear next to running (``QueueRoom/refusalsAreDear``: models whose executions run
/// inline, microseconds), the connection is not read again until that queue has drained to half its limit
/// (``QueueRoom``), or for at most ``GRPCConnectionConfiguration/maxReadPause``, and the connection's
/// `SETTINGS_MAX_CONCURRENT_STREAMS` drops to the calls it has open (the ones the queue took). The client's
/// further requests wait on its side until a call ends, instead of each costing a refusal: refusing is about as
/// dear as running a small model, and a server that refuses everything a client sends at ten times a model's
/// capacity has little CPU left for the work it admitted (every refused stream frees a slot the client
/// fills again at once). The limit grows back (by a sixteenth) toward the configured one after each quiet
/// ``GRPCConnectionConfiguration/streamLimitRecovery`` without a refusal. Responses go out throughout.
public final class GRPCConnectionHandler: ChannelDuplexHandler {
  public typealias InboundIn = HTTP2Frame
  public typealias InboundOut = HTTP2Frame
  public typealias OutboundIn = HTTP2Frame
  public typealias OutboundOut = HTTP2Frame

  /// One open call. A class, touched only on the event loop: its buffers are mutated in place (a struct read
  /// out of `calls` and written back would share them, and each append would copy the whole partial message).
  final class Call {
    let entry: GRPCMethodTable.Entry
    let context: GRPCCallContext
    let head: GRPCRequestHead
    var deframer: GRPCMessageDeframer
    /// The encoding of responses, when compressing.
    var responseEncoding: GRPCCompression?
    /// The request message of a unary or server-streaming call.
    var message: ByteBuffer?
    /// Messages of a message-by-message stream waiting for their turn.
    var queued: Deque<ByteBuffer> = []
    /// The cancellation of the handler now running.
    var running: GRPCCallCancellation?
    /// The client closed its side (END_STREAM).
    var clientClosed = false
    /// Response headers were sent.
    var sentHeaders = false
    /// Stream-level receive credit not yet returned.
    var unreturnedCredit = 0
    /// The deadline timer.
    var deadline: Scheduled<Void>?

    init(entry: GRPCMethodTable.Entry, context: GRPCCallContext, head: GRPCRequestHead, maxMessageBytes: Int) {
      self.entry = entry
      self.context = context
      self.head = head
      self.deframer = GRPCMessageDeframer(maxMessageBytes: maxMessageBytes)
    }

    /// Stops the running handler and the deadline timer.
    func cancel() {
      running?.cancel()
      deadline?.cancel()
    }
  }

  private let methods: GRPCMethodTable
  private let configuration: GRPCConnectionConfiguration
  private let work: GRPCConnectionCalls
  private var calls: [HTTP2StreamID: Call] = [:]
  private var inReadLoop = false
  private var flushPending = false
  private var flushScheduled = false
  private var context: ChannelHandlerContext?
  /// Reading is paused until a full queue has room (see the type's documentation).
  private var readPaused = false
  /// The channel asked for a read while reading was paused.
  private var readWanted = false
  /// Counts pauses, so that a stale wake-up (the timer after the room signal, or the reverse) does nothing.
  private var pauseNumber = 0
  /// Ends a pause that no room signal ended.
  private var pauseTimer: Scheduled<Void>?
  /// The queue this connection already waits on for room (one registration per queue until it fires).
  private var awaitedRoom: QueueRoom?
  /// The `SETTINGS_MAX_CONCURRENT_STREAMS` last sent: the configured limit, or less after refusals.
  private var streamLimit: Int
  /// A refusal asks to lower the stream limit when this turn's writes are flushed.
  private var streamLimitDue = false
  /// When a call of this connection was last refused for a full queue.
  private var lastRefusal = NIODeadline.distantPast
  /// When the stream limit was last lowered.
  private var lastStreamLimitDecrease: NIODeadline?
  /// Raises a lowered stream limit again.
  private var streamLimitTimer: Scheduled<Void>?

  /// Creates the handler for one connection; `calls` runs its handlers (its ``GRPCConnectionCalls/run()`` is
  /// the connection's task).
  public init(methods: GRPCMethodTable, configuration: GRPCConnectionConfiguration, calls: GRPCConnectionCalls) {
    self.methods = methods
    self.configuration = configuration
    self.work = calls
    self.streamLimit = configuration.maxConcurrentStreams
  }

  public func handlerAdded(context: ChannelHandlerContext) {
    self.context = context
    if context.channel.isActive { openConnectionWindow(context: context) }
  }

  public func handlerRemoved(context: ChannelHandlerContext) {
    cancelAll()
    self.context = nil
  }

  public func channelActive(context: ChannelHandlerContext) {
    openConnectionWindow(context: context)
    context.fireChannelActive()
  }

  public func channelInactive(context: ChannelHandlerContext) {
    cancelAll()
    context.fireChannelInactive()
  }

  /// The connection window starts at 65,535 bytes whatever the settings say; widen it to the target.
  private func openConnectionWindow(context: ChannelHandlerContext) {
    guard let opening = GRPCReceiveWindow.opening(target: configuration.targetWindowSize) else { return }
    context.writeAndFlush(wrapOutboundOut(opening), promise: nil)
  }

  /// Cancels every call; the connection's task ends once their handlers have.
  private func cancelAll() {
    pauseTimer?.cancel()
    pauseTimer = nil
    streamLimitTimer?.cancel()
    streamLimitTimer = nil
    for call in calls.values { call.cancel() }
    calls.removeAll()
    work.finish()
  }

  // MARK: Reading

  public func read(context: ChannelHandlerContext) {
    if readPaused {
      readWanted = true
    } else {
      context.read()
    }
  }

  /// Stops reading this connection until `room` says its queue has room, or for at most `maxReadPause`.
  private func pauseReading(until room: QueueRoom, context: ChannelHandlerContext) {
    guard !readPaused else { return }
    readPaused = true
    pauseNumber &+= 1
    let pause = pauseNumber
    let loop = NIOLoopBound(self, eventLoop: context.eventLoop)
    let eventLoop = context.eventLoop
    pauseTimer = eventLoop.scheduleTask(in: configuration.maxReadPause) { loop.value.resumeReading(pause) }
    guard awaitedRoom !== room else { return }
    awaitedRoom = room
    // The queue keeps its waiters until it has room, possibly long after this connection closed: it holds
    // the handler weakly.
    let weak = NIOLoopBound(WeakHandler(self), eventLoop: eventLoop)
    room.whenRoom {
      eventLoop.execute {
        guard let handler = weak.value.handler else { return }
        if handler.awaitedRoom === room { handler.awaitedRoom = nil }
        handler.resumeReading(handler.pauseNumber)
      }
    }
  }

  /// A weak reference to the handler, for a waiter that may outlive the connection.
  private final class WeakHandler {
    weak var handler: GRPCConnectionHandler?
    init(_ handler: GRPCConnectionHandler) { self.handler = handler }
  }

  /// Ends pause number `pause` (if it is still the current one) and performs the read it held back.
  private func resumeReading(_ pause: Int) {
    guard readPaused, pause == pauseNumber else { return }
    readPaused = false
    pauseTimer?.cancel()
    pauseTimer = nil
    if readWanted, let context {
      readWanted = false
      context.read()
    }
  }

  public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    inReadLoop = true
    let frame = unwrapInboundIn(data)
    switch frame.payload {
    case .headers(let headers):
      if calls[frame.streamID] != nil {
        // Trailers from the client: gRPC clients send none; END_STREAM on them closes the client's side.
        if headers.endStream { clientEnded(frame.streamID, context: context) }
      } else {
        open(frame.streamID, headers: headers.headers, endStream: headers.endStream, context: context)
      }
    case .data(let data):
      // Flow-controlled length: the data, plus the pad length byte and the padding (RFC 9113 §6.1).
      let length = data.data.readableBytes + (data.paddingBytes.map { $0 + 1 } ?? 0)
      returnCredit(frame.streamID, bytes: length, streamOpen: !data.endStream, context: context)
      guard case .byteBuffer(let bytes) = data.data else { break }
      received(frame.streamID, bytes: bytes, endStream: data.endStream, context: context)
    case .rstStream:
      calls.removeValue(forKey: frame.streamID)?.cancel()
    default:
      break
    }
  }

  public func channelReadComplete(context: ChannelHandlerContext) {
    inReadLoop = false
    if flushPending {
      flushPending = false
      flushTurn(context: context)
    }
    context.fireChannelReadComplete()
  }

  public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
    if let window = event as? NIOHTTP2WindowUpdatedEvent {
      if let topUp = GRPCReceiveWindow.topUp(after: window, target: configuration.targetWindowSize) {
        context.write(wrapOutboundOut(topUp), promise: nil)
        markFlush(context: context)
      }
    } else if let closed = event as? StreamClosedEvent {
      calls.removeValue(forKey: closed.streamID)?.cancel()
    }
    context.fireUserInboundEventTriggered(event)
  }

  private func open(_ stream: HTTP2StreamID, headers: HPACKHeaders, endStream: Bool, context: ChannelHandlerContext) {
    let head: GRPCRequestHead
    do {
      head = try GRPCRequestHead(headers)
    } catch {
      switch error {
      case .http(let status):
        writeEnd(stream, trailers: HPACKHeaders([(":status", status)]), clientClosed: endStream, context: context)
      case .status(let status):
        refuse(stream, status: status, clientClosed: endStream, context: context)
      }
      return
    }
    guard let entry = methods.entry(forPath: head.path) else {
      refuse(
        stream, status: Self.unknownMethod(head.path, known: methods.paths), clientClosed: endStream, context: context)
      return
    }
    if configuration.accessPolicy.isRestricting {
      let decision = configuration.accessPolicy.decision(for: entry.group) { name in
        headers[canonicalForm: name].map { String($0) }
      }
      if case .deny(let message) = decision {
        refuse(stream, status: GRPCStatus(.unauthenticated, message), clientClosed: endStream, context: context)
        return
      }
    }
    let call = Call(
      entry: entry, context: GRPCCallContext(path: head.path, headers: headers), head: head,
      maxMessageBytes: configuration.maxMessageBytes)
    if configuration.compressResponses { call.responseEncoding = GRPCRequestHead.acceptedResponseEncoding(in: headers) }
    if let nanos = head.timeoutNanos {
      let loop = NIOLoopBound(self, eventLoop: context.eventLoop)
      call.deadline = context.eventLoop.scheduleTask(in: .nanoseconds(nanos)) {
        loop.value.deadlinePassed(stream)
      }
    }
    calls[stream] = call
    if endStream { clientEnded(stream, context: context) }
  }

  static func unknownMethod(_ path: String, known: [String]) -> GRPCStatus {
    let method = path.split(separator: "/").last.map(String.init) ?? path
    let similar = known.filter { $0.hasSuffix("/" + method) || $0.lowercased().hasSuffix("/" + method.lowercased()) }
    let hint = similar.isEmpty ? "" : " (did you mean \(similar.joined(separator: ", "))?)"
    return GRPCStatus(
      .unimplemented,
      "method '\(path)' is not served here\(hint); this server implements inference.GRPCInferenceService and "
        + "grpc.health.v1.Health")
  }

  private func received(_ stream: HTTP2StreamID, bytes: ByteBuffer, endStream: Bool, context: ChannelHandlerContext) {
    guard let call = calls[stream] else { return }
    call.deframer.append(bytes)
    // END_STREAM on this frame: the client has closed its side even if a message in it is refused.
    if endStream { call.clientClosed = true }
    do {
      while let message = try nextMessage(of: call) {
        try accept(message, on: call, stream, context: context)
      }
    } catch {
      finish(stream, status: GRPCStatus(describing: error), context: context)
      return
    }
    if endStream { clientEnded(stream, context: context) }
  }

  /// The next whole request message of a stream, decompressed.
  private func nextMessage(of call: Call) throws -> ByteBuffer? {
    guard let next = try call.deframer.next() else { return nil }
    guard next.compressed else { return next.bytes }
    guard let encoding = call.head.requestEncoding else {
      throw GRPCStatus(.internal, "a request message is marked compressed but the call sent no grpc-encoding")
    }
    return try encoding.decompress(next.bytes, limit: configuration.maxMessageBytes)
  }

  private func accept(
    _ message: ByteBuffer, on call: Call, _ stream: HTTP2StreamID, context: ChannelHandlerContext
  ) throws {
    switch call.entry.handler {
    case .unary, .serverStreaming:
      guard call.message == nil else {
        throw GRPCStatus(.internal, "\(call.context.path) takes one request message; the client sent more")
      }
      call.message = message
    case .messageByMessage(let handler):
      guard call.queued.count < configuration.maxQueuedStreamMessages else {
        throw GRPCStatus(
          .resourceExhausted,
          "more than \(configuration.maxQueuedStreamMessages) stream requests wait for their answers; "
            + "send fewer at a time")
      }
      call.queued.append(message)
      if call.running == nil { runNext(stream, handler: handler, context: context) }
    }
  }

  private func clientEnded(_ stream: HTTP2StreamID, context: ChannelHandlerContext) {
    guard let call = calls[stream] else { return }
    call.clientClosed = true
    if call.deframer.hasPartialMessage {
      finish(
        stream,
        status: GRPCStatus(
          .internal, "the request stream ended inside a message (truncated message); check the client"),
        context: context)
      return
    }
    if case .messageByMessage = call.entry.handler {
      if call.running == nil && call.queued.isEmpty { finish(stream, status: .ok, context: context) }
      return
    }
    guard let message = call.message else {
      finish(
        stream, status: GRPCStatus(.internal, "\(call.context.path) needs one request message; none was sent"),
        context: context)
      return
    }
    switch call.entry.handler {
    case .unary(let handler):
      start(stream, context: context) { try await handler(message, $0) }
    case .serverStreaming(let handler):
      let loop = NIOLoopBound(self, eventLoop: context.eventLoop)
      let eventLoop = context.eventLoop
      let writer = GRPCResponseWriter { bytes in
        try await eventLoop.submit { try loop.value.writeStreamMessage(stream, bytes) }.get()
      }
      start(stream, context: context) { callContext in
        try await handler(message, callContext, writer)
        return nil
      }
    case .messageByMessage:
      break  // handled above
    }
  }

  // MARK: Running handlers

  /// Runs a unary or server-streaming handler; a returned message is the unary response.
  private func start(
    _ stream: HTTP2StreamID, context: ChannelHandlerContext,
    _ body: @escaping @Sendable (GRPCCallContext) async throws -> ByteBuffer?
  ) {
    guard let call = calls[stream] else { return }
    call.message = nil
    let callContext = call.context
    call.running = spawn(context: context) {
      try await body(callContext)
    } then: { handler, result in
      handler.completed(stream, result)
    }
  }

  /// Runs `body` as a child of the connection's task and hands its result, failures as statuses, to `then` on
  /// this event loop.
  private func spawn<Result: Sendable>(
    context: ChannelHandlerContext, _ body: @escaping @Sendable () async throws -> Result,
    then: @escaping @Sendable (GRPCConnectionHandler, Swift.Result<Result, GRPCStatus>) -> Void
  ) -> GRPCCallCancellation {
    let loop = NIOLoopBound(self, eventLoop: context.eventLoop)
    let eventLoop = context.eventLoop
    let cancellation = GRPCCallCancellation()
    let queued = work.submit(
      .init(cancellation: cancellation) {
        let result: Swift.Result<Result, GRPCStatus>
        var full: QueueRoom?
        do {
          result = .success(try await body())
        } catch {
          result = .failure(GRPCStatus(describing: error))
          if let room = ((error as? InferenceError)?.cause as? QueueFull)?.room, room.refusalsAreDear { full = room }
        }
        if eventLoop.inEventLoop {
          loop.value.settle(result, full: full, then: then)
        } else {
          eventLoop.execute { loop.value.settle(result, full: full, then: then) }
        }
      })
    if !queued {
      then(
        self,
        .failure(
          GRPCStatus(
            .unavailable, "the server is stopping and runs no more calls on this connection; retry on another server")
        ))
    }
    return cancellation
  }

  /// Hands a handler's result on; a refusal for a full queue first pauses reading and asks for a lower
  /// stream limit (sent with the refusal's flush, from the calls still open then).
  private func settle<Result>(
    _ result: Swift.Result<Result, GRPCStatus>, full: QueueRoom?,
    then: (GRPCConnectionHandler, Swift.Result<Result, GRPCStatus>) -> Void
  ) {
    if let full, let context, configuration.maxReadPause > .zero {
      pauseReading(until: full, context: context)
      streamLimitDue = true
      lastRefusal = context.eventLoop.now
    }
    then(self, result)
  }

  // MARK: Stream limit

  /// Lowers `SETTINGS_MAX_CONCURRENT_STREAMS` to the calls open now (those the queue took), but at most to half
  /// the limit in force and at most once per `maxReadPause` (refusals of requests the client sent before it saw
  /// the new limit must not lower it again); then starts raising it again once refusals stop.
  private func lowerStreamLimit(context: ChannelHandlerContext) {
    streamLimitDue = false
    let now = context.eventLoop.now
    if lastStreamLimitDecrease.map({ now - $0 >= configuration.maxReadPause }) ?? true {
      let target = max(calls.count, streamLimit / 2, 1)
      if target < streamLimit {
        streamLimit = target
        lastStreamLimitDecrease = now
        sendStreamLimit(context: context)
      }
    }
    scheduleStreamLimitRecovery(context: context)
  }

  /// Raises a lowered stream limit by a sixteenth (at least one stream), up to the configured one, after each
  /// `streamLimitRecovery` that passed without a refusal: slowly, since each step past what the queue holds
  /// costs refusals.
  private func scheduleStreamLimitRecovery(context: ChannelHandlerContext) {
    guard streamLimitTimer == nil, streamLimit < configuration.maxConcurrentStreams else { return }
    let loop = NIOLoopBound(self, eventLoop: context.eventLoop)
    streamLimitTimer = context.eventLoop.scheduleTask(in: configuration.streamLimitRecovery) {
      let handler = loop.value
      handler.streamLimitTimer = nil
      guard let context = handler.context else { return }
      if context.eventLoop.now - handler.lastRefusal >= handler.configuration.streamLimitRecovery {
        handler.streamLimit = min(
          handler.streamLimit + max(handler.streamLimit / 16, 1), handler.configuration.maxConcurrentStreams)
        handler.sendStreamLimit(context: context)
        context.flush()
      }
      handler.scheduleStreamLimitRecovery(context: context)
    }
  }

  private func sendStreamLimit(context: ChannelHandlerContext) {
    let setting = HTTP2Setting(parameter: .maxConcurrentStreams, value: streamLimit)
    let frame = HTTP2Frame(streamID: .rootStream, payload: .settings(.settings([setting])))
    context.write(wrapOutboundOut(frame), promise: nil)
  }

  private func completed(_ stream: HTTP2StreamID, _ result: Result<ByteBuffer?, GRPCStatus>) {
    guard let context, calls[stream] != nil else { return }
    switch result {
    case .success(let message):
      if let message {
        do {
          try writeStreamMessage(stream, message, flush: false)
        } catch {
          finish(stream, status: GRPCStatus(describing: error), context: context)
          return
        }
      }
      finish(stream, status: .ok, context: context)
    case .failure(let status):
      finish(stream, status: status, context: context)
    }
  }

  /// Runs the next queued message of a message-by-message stream.
  private func runNext(
    _ stream: HTTP2StreamID, handler: @escaping @Sendable (ByteBuffer, GRPCCallContext) async throws -> ByteBuffer,
    context: ChannelHandlerContext
  ) {
    guard let call = calls[stream], let message = call.queued.popFirst() else { return }
    let callContext = call.context
    call.running = spawn(context: context) {
      try await handler(message, callContext)
    } then: { connection, result in
      connection.answered(stream, result, handler: handler)
    }
  }

  private func answered(
    _ stream: HTTP2StreamID, _ result: Result<ByteBuffer, GRPCStatus>,
    handler: @escaping @Sendable (ByteBuffer, GRPCCallContext) async throws -> ByteBuffer
  ) {
    guard let context, let call = calls[stream] else { return }
    call.running = nil
    switch result {
    case .success(let message):
      do {
        try writeStreamMessage(stream, message)
      } catch {
        finish(stream, status: GRPCStatus(describing: error), context: context)
        return
      }
      if !call.queued.isEmpty {
        runNext(stream, handler: handler, context: context)
      } else if call.clientClosed {
        finish(stream, status: .ok, context: context)
      }
    case .failure(let status):
      finish(stream, status: status, context: context)
    }
  }

  private func deadlinePassed(_ stream: HTTP2StreamID) {
    guard let context else { return }
    finish(
      stream,
      status: GRPCStatus(
        .deadlineExceeded,
        "the call's deadline (grpc-timeout) passed before it was answered; an execution it had begun runs on to its end"
      ),
      context: context)
  }

  // MARK: Writing

  /// Sends one response message (with the response headers before the first); `flush: false` when the
  /// trailers follow at once (a unary answer goes out in one flush).
  /// - Throws: `CancellationError` when the call is over.
  func writeStreamMessage(_ stream: HTTP2StreamID, _ message: ByteBuffer, flush: Bool = true) throws {
    guard let context, let call = calls[stream] else { throw CancellationError() }
    var framed = GRPCMessageFramer.frame(message)
    if let encoding = call.responseEncoding {
      framed = GRPCMessageFramer.frame(try encoding.compress(message), compressed: true)
    }
    if !call.sentHeaders {
      call.sentHeaders = true
      var headers = HPACKHeaders()
      headers.reserveCapacity(4)
      headers.add(name: ":status", value: "200")
      headers.add(name: "content-type", value: "application/grpc")
      if let encoding = call.responseEncoding { headers.add(name: "grpc-encoding", value: encoding.rawValue) }
      headers.add(name: "grpc-accept-encoding", value: GRPCCompression.acceptEncodingValue)
      context.write(
        wrapOutboundOut(HTTP2Frame(streamID: stream, payload: .headers(.init(headers: headers)))), promise: nil)
    }
    context.write(
      wrapOutboundOut(HTTP2Frame(streamID: stream, payload: .data(.init(data: .byteBuffer(framed))))), promise: nil)
    if flush { markFlush(context: context) }
  }

  /// Ends a call with a status (trailers after a response, or a trailers-only response).
  private func finish(_ stream: HTTP2StreamID, status: GRPCStatus, context: ChannelHandlerContext) {
    guard let call = calls.removeValue(forKey: stream) else { return }
    call.cancel()
    writeEnd(
      stream, trailers: Self.trailers(status, trailersOnly: !call.sentHeaders), clientClosed: call.clientClosed,
      context: context)
  }

  /// Refuses a call before it was opened (bad headers, unknown method, access denied): a trailers-only answer.
  private func refuse(_ stream: HTTP2StreamID, status: GRPCStatus, clientClosed: Bool, context: ChannelHandlerContext) {
    writeEnd(stream, trailers: Self.trailers(status, trailersOnly: true), clientClosed: clientClosed, context: context)
  }

  /// The final HEADERS of a call: `grpc-status` and `grpc-message`, after `:status` and `content-type` when
  /// no response headers were sent (a trailers-only response).
  private static func trailers(_ status: GRPCStatus, trailersOnly: Bool) -> HPACKHeaders {
    var trailers = HPACKHeaders()
    if trailersOnly {
      trailers.add(name: ":status", value: "200")
      trailers.add(name: "content-type", value: "application/grpc")
    }
    trailers.add(name: "grpc-status", value: String(status.code.rawValue))
    if !status.message.isEmpty { trailers.add(name: "grpc-message", value: status.encodedMessage) }
    return trailers
  }

  /// Writes the final HEADERS; a client still sending is told to stop with RST_STREAM(NO_ERROR), as
  /// RFC 9113 §8.1 allows once the response is complete.
  private func writeEnd(
    _ stream: HTTP2StreamID, trailers: HPACKHeaders, clientClosed: Bool, context: ChannelHandlerContext
  ) {
    context.write(
      wrapOutboundOut(HTTP2Frame(streamID: stream, payload: .headers(.init(headers: trailers, endStream: true)))),
      promise: nil)
    if !clientClosed {
      context.write(wrapOutboundOut(HTTP2Frame(streamID: stream, payload: .rstStream(.noError))), promise: nil)
    }
    markFlush(context: context)
  }

  /// Flushes what was written, once for everything written in the same turn of the event loop: during a read,
  /// at its end; otherwise in a task queued behind the jobs already waiting on this loop (the other calls'
  /// answers that complete in this turn share the flush: one `writev` instead of one each).
  private func markFlush(context: ChannelHandlerContext) {
    if inReadLoop {
      flushPending = true
    } else if !flushScheduled {
      flushScheduled = true
      let loop = NIOLoopBound(self, eventLoop: context.eventLoop)
      context.eventLoop.execute {
        let handler = loop.value
        handler.flushScheduled = false
        guard let context = handler.context else { return }
        handler.flushTurn(context: context)
      }
    }
  }

  /// Flushes this turn's writes, with the lower stream limit a refusal in it asked for.
  private func flushTurn(context: ChannelHandlerContext) {
    if streamLimitDue { lowerStreamLimit(context: context) }
    context.flush()
  }

  /// Returns a stream's receive credit for DATA that arrived while it is open (the connection's is topped up
  /// from the HTTP/2 layer's window events), once half the window is used: small messages cost no
  /// WINDOW_UPDATE each.
  private func returnCredit(_ stream: HTTP2StreamID, bytes: Int, streamOpen: Bool, context: ChannelHandlerContext) {
    let threshold = max(configuration.targetWindowSize / 2, 1)
    guard streamOpen, let call = calls[stream] else { return }
    call.unreturnedCredit += bytes
    if call.unreturnedCredit >= threshold {
      context.write(
        wrapOutboundOut(
          HTTP2Frame(streamID: stream, payload: .windowUpdate(windowSizeIncrement: call.unreturnedCredit))),
        promise: nil)
      call.unreturnedCredit = 0
      markFlush(context: context)
    }
  }
}
