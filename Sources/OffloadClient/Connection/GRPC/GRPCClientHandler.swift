internal import GRPCWire
internal import NIOCore
internal import NIOHPACK
internal import NIOHTTP2
internal import NIOTLS

/// Makes gRPC calls on one HTTP/2 connection by writing and reading its frames directly (gRPC's
/// PROTOCOL-HTTP2 over swift-nio-http2): no channel and no task per stream; a call costs its frames, one
/// hop onto the event loop and one resumption of the caller.
///
/// It sits after `NIOHTTP2Handler` (framing, HPACK, flow-control accounting, and buffering of streams beyond
/// the server's concurrency limit). Stream IDs are chosen here, in the order calls start on the event loop.
/// Without a stream multiplexer it returns receive-window credit itself (a stream's from its DATA, the
/// connection's from the HTTP/2 layer's window events). A GOAWAY, a stream ID space near its end or a lost
/// connection makes it `unusable`: calls already started finish (or fail with UNAVAILABLE if the server
/// will not serve them), new ones go to a new connection.
final class GRPCClientHandler: ChannelDuplexHandler {
  typealias InboundIn = HTTP2Frame
  typealias InboundOut = HTTP2Frame
  typealias OutboundIn = HTTP2Frame
  typealias OutboundOut = HTTP2Frame

  private let settings: GRPCClientSettings
  private let tls: Bool
  private let serverReads: ServerReads
  private var ready: EventLoopPromise<Void>?
  private let onUnusable: @Sendable () -> Void
  private var calls: [HTTP2StreamID: GRPCClientCall] = [:]
  private var nextStreamID = HTTP2StreamID(1)
  private var context: ChannelHandlerContext?
  private var isReady = false
  private var unusable = false
  private var inReadLoop = false
  private var flushPending = false
  private var flushScheduled = false
  /// Why the connection failed, for the calls it ends.
  private var failure: (any Error)?

  /// The last stream ID a client may open before a new connection is needed (2^31 - 1 is the protocol's).
  static let lastStreamID = Int32.max - 2

  /// - Parameter onUnusable: Called once when no new call should start here (GOAWAY, closed, stream IDs used up).
  init(
    settings: GRPCClientSettings, tls: Bool, serverReads: ServerReads = ServerReads(),
    onUnusable: @escaping @Sendable () -> Void
  ) {
    self.settings = settings
    self.tls = tls
    self.serverReads = serverReads
    self.onUnusable = onUnusable
  }

  /// Succeeds once calls can be written (connected, and the TLS handshake done when TLS is on), fails if the
  /// connection ends before. Read on the event loop after the handler was added.
  var readyFuture: EventLoopFuture<Void> { ready!.futureResult }

  // MARK: Connection events

  func handlerAdded(context: ChannelHandlerContext) {
    self.context = context
    ready = context.eventLoop.makePromise()
    if context.channel.isActive { becameActive(context: context) }
  }

  func handlerRemoved(context: ChannelHandlerContext) {
    ended(context: context)
    self.context = nil
  }

  func channelActive(context: ChannelHandlerContext) {
    becameActive(context: context)
    context.fireChannelActive()
  }

  func channelInactive(context: ChannelHandlerContext) {
    ended(context: context)
    context.fireChannelInactive()
  }

  func errorCaught(context: ChannelHandlerContext, error: any Error) {
    if failure == nil { failure = error }
    context.close(promise: nil)
  }

  private func becameActive(context: ChannelHandlerContext) {
    if let opening = GRPCReceiveWindow.opening(target: settings.targetWindowSize) {
      context.writeAndFlush(wrapOutboundOut(opening), promise: nil)
    }
    if !tls { markReady() }
  }

  private func markReady() {
    guard !isReady else { return }
    isReady = true
    ready?.succeed()
  }

  private func ended(context: ChannelHandlerContext) {
    makeUnusable()
    let reason = failure.map { " (\($0))" } ?? ""
    if !isReady {
      isReady = true
      ready?.fail(GRPCStatus(.unavailable, "the connection closed before it was ready\(reason)"))
    }
    let open = calls
    calls.removeAll()
    for call in open.values {
      call.complete(
        GRPCStatus(.unavailable, "the connection to the server was lost before \(call.path) was answered\(reason)"))
    }
  }

  /// No new calls here; the connection closes once the calls it has are answered.
  private func makeUnusable() {
    guard !unusable else { return }
    unusable = true
    onUnusable()
    closeIfIdle()
  }

  // MARK: Starting and cancelling calls

  /// Writes a call's request (HEADERS, then each message as DATA, END_STREAM on the last frame).
  func start(_ call: GRPCClientCall) {
    guard let context else {
      call.complete(GRPCStatus(.unavailable, "the connection to the server is closed; retry the call"))
      return
    }
    guard !call.cancelledEarly else {
      call.complete(GRPCStatus(.cancelled, "the call was cancelled"))
      return
    }
    guard !unusable else {
      call.complete(GRPCStatus(.unavailable, "this connection is closing (GOAWAY or closed); retry the call"))
      return
    }
    var frames: [ByteBuffer] = []
    frames.reserveCapacity(call.messages.count)
    do {
      for message in call.messages {
        if let encoding = settings.compression {
          frames.append(GRPCMessageFramer.frame(try encoding.compress(message), compressed: true))
        } else {
          frames.append(GRPCMessageFramer.frame(message))
        }
      }
    } catch {
      call.complete(GRPCStatus(.internal, "cannot compress the request of \(call.path): \(error)"))
      return
    }
    let stream = nextStreamID
    nextStreamID = HTTP2StreamID(Int32(stream) + 2)
    call.streamID = stream
    calls[stream] = call
    if Int32(stream) >= Self.lastStreamID { makeUnusable() }

    context.write(
      wrapOutboundOut(
        HTTP2Frame(
          streamID: stream, payload: .headers(.init(headers: requestHeaders(call), endStream: frames.isEmpty)))),
      promise: nil)
    for (index, frame) in frames.enumerated() {
      context.write(
        wrapOutboundOut(
          HTTP2Frame(
            streamID: stream,
            payload: .data(.init(data: .byteBuffer(frame), endStream: index == frames.count - 1)))),
        promise: nil)
    }
    markFlush(context: context)
    if let nanos = call.timeoutNanos {
      let loop = NIOLoopBound(self, eventLoop: context.eventLoop)
      call.deadline = context.eventLoop.scheduleTask(in: .nanoseconds(nanos)) {
        loop.value.abandon(
          call,
          status: GRPCStatus(
            .deadlineExceeded, "\(call.path) was not answered within its timeout (\(Self.describe(nanos)))"))
      }
    }
  }

  /// Cancels a call: the stream is reset (RST_STREAM CANCEL) and the caller gets CANCELLED.
  func cancel(_ call: GRPCClientCall) {
    guard call.streamID != nil else {
      call.cancelledEarly = true
      return
    }
    abandon(call, status: GRPCStatus(.cancelled, "the call was cancelled"))
  }

  /// No new calls; the connection closes once its calls are answered.
  func close() {
    makeUnusable()
    closeIfIdle()
  }

  /// Ends a call that is still open on the client's side: reset its stream and report `status`.
  private func abandon(_ call: GRPCClientCall, status: GRPCStatus) {
    guard let stream = call.streamID else { return }
    finish(stream, status, resetIfOpen: true)
  }

  private func requestHeaders(_ call: GRPCClientCall) -> HPACKHeaders {
    var headers = HPACKHeaders()
    headers.reserveCapacity(10 + settings.metadata.count)
    headers.add(name: ":method", value: "POST")
    headers.add(name: ":scheme", value: settings.scheme)
    headers.add(name: ":path", value: call.path)
    headers.add(name: ":authority", value: settings.authority)
    headers.add(name: "content-type", value: "application/grpc")
    headers.add(name: "te", value: "trailers")
    headers.add(name: "user-agent", value: settings.userAgent)
    headers.add(name: "grpc-accept-encoding", value: GRPCCompression.acceptEncodingValue)
    if let encoding = settings.compression { headers.add(name: "grpc-encoding", value: encoding.rawValue) }
    if let nanos = call.timeoutNanos {
      headers.add(name: "grpc-timeout", value: GRPCTimeout.headerValue(nanoseconds: nanos))
    }
    for (name, value) in settings.metadata { headers.add(name: name, value: value) }
    return headers
  }

  static func describe(_ nanos: Int64) -> String {
    nanos >= 1_000_000_000
      ? "\(Double(nanos) / 1e9) s" : nanos >= 1_000_000 ? "\(Double(nanos) / 1e6) ms" : "\(Double(nanos) / 1e3) µs"
  }

  // MARK: Reading

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    inReadLoop = true
    let frame = unwrapInboundIn(data)
    switch frame.payload {
    case .headers(let headers):
      if let call = calls[frame.streamID] { received(headers.headers, endStream: headers.endStream, on: call) }
    case .data(let data):
      // Flow-controlled length: the data, plus the pad length byte and the padding (RFC 9113 §6.1).
      let length = data.data.readableBytes + (data.paddingBytes.map { $0 + 1 } ?? 0)
      guard let call = calls[frame.streamID] else { break }
      returnCredit(call, bytes: length, streamOpen: !data.endStream, context: context)
      if case .byteBuffer(let bytes) = data.data { received(bytes, endStream: data.endStream, on: call) }
    case .rstStream(let code):
      if let call = calls[frame.streamID] {
        finish(frame.streamID, Self.status(forReset: code, path: call.path), resetIfOpen: false)
      }
    case .goAway:
      // Streams above the server's last stream ID are closed by the HTTP/2 layer (StreamClosedEvent).
      makeUnusable()
    default:
      break
    }
  }

  func channelReadComplete(context: ChannelHandlerContext) {
    inReadLoop = false
    serverReads.increment()
    if flushPending {
      flushPending = false
      context.flush()
    }
    context.fireChannelReadComplete()
  }

  func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
    if let window = event as? NIOHTTP2WindowUpdatedEvent {
      if let topUp = GRPCReceiveWindow.topUp(after: window, target: settings.targetWindowSize) {
        context.write(wrapOutboundOut(topUp), promise: nil)
        markFlush(context: context)
      }
    } else if let closed = event as? StreamClosedEvent {
      if let call = calls[closed.streamID] {
        let status =
          closed.reason == .refusedStream || closed.reason == nil
          ? GRPCStatus(
            .unavailable, "the server did not take \(call.path) (stream refused or connection closing); retry it")
          : Self.status(forReset: closed.reason!, path: call.path)
        finish(closed.streamID, status, resetIfOpen: false)
      }
    } else if case TLSUserEvent.handshakeCompleted = event {
      markReady()
    }
    context.fireUserInboundEventTriggered(event)
  }

  private func received(_ headers: HPACKHeaders, endStream: Bool, on call: GRPCClientCall) {
    guard let stream = call.streamID else { return }
    if !call.receivedHeaders {
      call.receivedHeaders = true
      let httpStatus = headers.first(name: ":status") ?? ""
      guard httpStatus == "200" else {
        finish(stream, GRPCStatus(httpStatus: Int(httpStatus) ?? 0), resetIfOpen: !endStream)
        return
      }
      let contentType = headers.first(name: "content-type") ?? ""
      guard contentType.hasPrefix("application/grpc") else {
        finish(
          stream,
          GRPCStatus(
            .unknown,
            "the server answered with content-type '\(contentType)', not application/grpc; is this a gRPC port?"),
          resetIfOpen: !endStream)
        return
      }
      if let encoding = headers.first(name: "grpc-encoding"), encoding != "identity" {
        guard let known = GRPCCompression(rawValue: encoding) else {
          finish(
            stream,
            GRPCStatus(
              .internal, "the server compressed its response with '\(encoding)', which this client cannot read"),
            resetIfOpen: !endStream)
          return
        }
        call.responseEncoding = known
      }
      // Trailers-only response: the status is in these headers.
      if endStream { finish(stream, Self.status(from: headers, path: call.path), resetIfOpen: false) }
      return
    }
    guard endStream else { return }  // HEADERS between response headers and trailers do not exist in gRPC
    if call.deframer.hasPartialMessage {
      finish(
        stream, GRPCStatus(.internal, "the response of \(call.path) ended inside a message (truncated)"),
        resetIfOpen: false)
    } else {
      finish(stream, Self.status(from: headers, path: call.path), resetIfOpen: false)
    }
  }

  private func received(_ bytes: ByteBuffer, endStream: Bool, on call: GRPCClientCall) {
    guard let stream = call.streamID else { return }
    call.deframer.append(bytes)
    do {
      while let message = try call.deframer.next() {
        if message.compressed {
          guard let encoding = call.responseEncoding else {
            throw GRPCStatus(.internal, "a response message is marked compressed but the server sent no grpc-encoding")
          }
          try call.deliver(
            try encoding.decompress(message.bytes, limit: settings.maxMessageBytes, role: .client))
        } else {
          try call.deliver(message.bytes)
        }
      }
    } catch {
      finish(stream, error as? GRPCStatus ?? GRPCStatus(.internal, "\(error)"), resetIfOpen: !endStream)
      return
    }
    if endStream {
      finish(
        stream, GRPCStatus(.internal, "the server ended \(call.path) without a status (no grpc-status trailer)"),
        resetIfOpen: false)
    }
  }

  /// Ends a call with `status`; a stream the server has not closed is reset.
  private func finish(_ stream: HTTP2StreamID, _ status: GRPCStatus, resetIfOpen: Bool) {
    guard let call = calls.removeValue(forKey: stream) else { return }
    call.complete(status)
    if resetIfOpen, let context {
      context.write(wrapOutboundOut(HTTP2Frame(streamID: stream, payload: .rstStream(.cancel))), promise: nil)
      markFlush(context: context)
    }
    closeIfIdle()
  }

  private func closeIfIdle() {
    if unusable && calls.isEmpty { context?.close(promise: nil) }
  }

  /// The status in a response's trailers (or trailers-only headers).
  static func status(from trailers: HPACKHeaders, path: String) -> GRPCStatus {
    guard let code = trailers.first(name: "grpc-status") else {
      return GRPCStatus(.internal, "the server ended \(path) without a status (no grpc-status trailer)")
    }
    return GRPCStatus(wireCode: code, wireMessage: trailers.first(name: "grpc-message"))
  }

  /// gRPC's mapping of HTTP/2 RST_STREAM error codes (PROTOCOL-HTTP2, "Errors").
  static func status(forReset code: HTTP2ErrorCode, path: String) -> GRPCStatus {
    switch code {
    case .refusedStream:
      GRPCStatus(.unavailable, "the server refused \(path) before processing it; retry it")
    case .cancel:
      GRPCStatus(.cancelled, "the server cancelled \(path)")
    case .enhanceYourCalm:
      GRPCStatus(.resourceExhausted, "the server reset \(path) with ENHANCE_YOUR_CALM (too many requests)")
    case .inadequateSecurity:
      GRPCStatus(.permissionDenied, "the server reset \(path): inadequate security")
    default:
      GRPCStatus(.internal, "the server reset the stream of \(path) (HTTP/2 error \(code))")
    }
  }

  // MARK: Writing

  /// One flush for everything written in the same event-loop turn (or within ``GRPCClientSettings/flushDelay``).
  private func markFlush(context: ChannelHandlerContext) {
    if inReadLoop {
      flushPending = true
    } else if !flushScheduled {
      flushScheduled = true
      let loop = NIOLoopBound(self, eventLoop: context.eventLoop)
      let flush = {
        let handler = loop.value
        handler.flushScheduled = false
        handler.context?.flush()
      }
      if let delay = settings.flushDelay {
        context.eventLoop.scheduleTask(in: delay, flush)
      } else {
        context.eventLoop.execute(flush)
      }
    }
  }

  /// Returns a stream's receive credit once half its window is used (small responses cost no WINDOW_UPDATE).
  private func returnCredit(_ call: GRPCClientCall, bytes: Int, streamOpen: Bool, context: ChannelHandlerContext) {
    guard streamOpen, let stream = call.streamID else { return }
    call.unreturnedCredit += bytes
    if call.unreturnedCredit >= max(settings.targetWindowSize / 2, 1) {
      context.write(
        wrapOutboundOut(
          HTTP2Frame(streamID: stream, payload: .windowUpdate(windowSizeIncrement: call.unreturnedCredit))),
        promise: nil)
      call.unreturnedCredit = 0
      markFlush(context: context)
    }
  }
}
