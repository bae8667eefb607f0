internal import GRPCWire
internal import NIOCore
internal import NIOHTTP2
internal import NIOPosix
internal import NIOSSL
internal import Synchronization

/// One server's gRPC connection and the calls made on it: dialled when the first call needs it, dialled again
/// after it is lost or the server sends GOAWAY. After a failed attempt, calls fail at once with UNAVAILABLE
/// (and the attempt's error) until a backoff of 50 ms, doubling up to 2 s, has passed; so a dead server costs
/// a caller (a pool, a fallback) nothing but the error.
final class GRPCClientConnection: Sendable {
  private struct Connected: Sendable {
    let channel: any Channel
    let handler: NIOLoopBound<GRPCClientHandler>
    let generation: Int
  }

  private enum State {
    case idle(failures: Int, lastError: GRPCStatus?, retryAt: NIODeadline)
    case connecting(EventLoopFuture<Connected>, generation: Int)
    case ready(Connected)
    case closed
  }

  private struct Box {
    var state = State.idle(failures: 0, lastError: nil, retryAt: .uptimeNanoseconds(0))
    var generation = 0
    var closeWaiters: [CheckedContinuation<Void, Never>] = []
    var closeRequested = false
  }

  private let host: String
  private let port: Int
  private let settings: GRPCClientSettings
  private let tls: NIOSSLContext?
  private let serverHostname: String?
  private let box = Mutex(Box())
  /// Counts the reads that brought frames from the server, on any of this connection's channels.
  let serverReads = ServerReads()

  /// The longest a connection attempt may take.
  static let connectTimeout = TimeAmount.seconds(10)

  /// - Parameters:
  ///   - tls: A client TLS context (ALPN `h2`), or `nil` for plaintext.
  ///   - serverHostname: The TLS server name (SNI, and the name the certificate must carry), `nil` for an IP.
  init(host: String, port: Int, settings: GRPCClientSettings, tls: NIOSSLContext?, serverHostname: String?) {
    self.host = host
    self.port = port
    self.settings = settings
    self.tls = tls
    self.serverHostname = serverHostname
  }

  // MARK: Life cycle

  /// Returns after ``close()``, once the connection (if any) has answered its calls and closed.
  func run() async {
    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
      let resumeNow = box.withLock { box -> Bool in
        if box.closeRequested { return true }
        box.closeWaiters.append(continuation)
        return false
      }
      if resumeNow { continuation.resume() }
    }
    let channel = box.withLock { box -> (any Channel)? in
      if case .ready(let connected) = box.state { return connected.channel }
      return nil
    }
    try? await channel?.closeFuture.get()
  }

  /// No new calls; calls in flight finish, then the connection closes and ``run()`` returns.
  func close() {
    let (waiters, previous) = box.withLock { box -> ([CheckedContinuation<Void, Never>], State) in
      let waiters = box.closeWaiters
      box.closeWaiters = []
      box.closeRequested = true
      let previous = box.state
      box.state = .closed
      if case .ready = previous {
        // run() still waits for this channel to close.
        box.state = previous
      }
      return (waiters, previous)
    }
    switch previous {
    case .ready(let connected):
      connected.channel.eventLoop.execute { connected.handler.value.close() }
    case .connecting(let future, _):
      future.whenSuccess { connected in connected.handler.value.close() }
    case .idle, .closed:
      break
    }
    for waiter in waiters { waiter.resume() }
  }

  // MARK: Calls

  /// A unary call: one request message (from ``GRPCMessageCodec/encode(_:)``), one response message.
  /// - Throws: ``GRPCStatus``.
  func unary(_ path: String, request: ByteBuffer, timeout: Duration?) async throws -> ByteBuffer {
    let connected = try await connection(timeout: timeout)
    let call = GRPCClientCall(
      path: path, messages: [request], timeoutNanos: timeout.map(Self.nanoseconds),
      maxMessageBytes: settings.maxMessageBytes, answer: nil)
    return try await withTaskCancellationHandler {
      try await withCheckedThrowingContinuation { continuation in
        call.answer = .unary(continuation)
        connected.channel.eventLoop.execute { connected.handler.value.start(call) }
      }
    } onCancel: {
      connected.channel.eventLoop.execute { connected.handler.value.cancel(call) }
    }
  }

  /// A bidirectional call that sends all `requests` and hands each response message to `handle` in order.
  /// - Throws: ``GRPCStatus`` with the call's final status, or what `handle` throws.
  func stream(
    _ path: String, requests: [ByteBuffer], timeout: Duration?, handle: (ByteBuffer) async throws -> Void
  ) async throws {
    let connected = try await connection(timeout: timeout)
    let (responses, continuation) = AsyncThrowingStream.makeStream(of: ByteBuffer.self)
    let call = GRPCClientCall(
      path: path, messages: requests, timeoutNanos: timeout.map(Self.nanoseconds),
      maxMessageBytes: settings.maxMessageBytes, answer: .stream(continuation))
    connected.channel.eventLoop.execute { connected.handler.value.start(call) }
    try await withTaskCancellationHandler {
      for try await message in responses { try await handle(message) }
    } onCancel: {
      connected.channel.eventLoop.execute { connected.handler.value.cancel(call) }
    }
  }

  static func nanoseconds(_ duration: Duration) -> Int64 {
    let (seconds, attoseconds) = duration.components
    return max(seconds, 0).multipliedReportingOverflow(by: 1_000_000_000).overflow
      ? Int64.max : max(seconds, 0) * 1_000_000_000 + max(attoseconds, 0) / 1_000_000_000
  }

  // MARK: Connecting

  /// The live connection, dialling one if there is none; waiting for a dial ends with the call's timeout.
  private func connection(timeout: Duration?) async throws -> Connected {
    enum Next {
      case use(Connected)
      case wait(EventLoopFuture<Connected>)
      case fail(GRPCStatus)
    }
    let next = box.withLock { box -> Next in
      switch box.state {
      case .ready(let connected):
        if box.closeRequested { return .fail(Self.closedStatus) }
        return .use(connected)
      case .connecting(let future, _):
        return .wait(future)
      case .closed:
        return .fail(Self.closedStatus)
      case .idle(let failures, let lastError, let retryAt):
        if let lastError, NIODeadline.now() < retryAt { return .fail(lastError) }
        box.generation += 1
        let generation = box.generation
        let future = dial(generation: generation)
        box.state = .connecting(future, generation: generation)
        future.whenComplete { result in self.dialled(result, generation: generation, failures: failures) }
        return .wait(future)
      }
    }
    switch next {
    case .use(let connected): return connected
    case .fail(let status): throw status
    case .wait(let future):
      var waited = future
      if let timeout {
        let promise = future.eventLoop.makePromise(of: Connected.self)
        let (host, port) = (host, port)
        let timer = future.eventLoop.scheduleTask(in: .nanoseconds(Self.nanoseconds(timeout))) {
          promise.fail(
            GRPCStatus(.deadlineExceeded, "the call's timeout passed while connecting to \(host):\(port)"))
        }
        future.whenComplete { _ in timer.cancel() }
        future.cascade(to: promise)
        waited = promise.futureResult
      }
      do {
        return try await waited.get()
      } catch let status as GRPCStatus {
        throw status
      } catch {
        throw connectFailure(error)
      }
    }
  }

  private static let closedStatus = GRPCStatus(.unavailable, "the client connection was closed; make a new one")

  private func connectFailure(_ error: any Error) -> GRPCStatus {
    if let status = error as? GRPCStatus { return status }
    return GRPCStatus(
      .unavailable, "cannot connect to \(host):\(port) (\(error)); check that a server listens there and is reachable")
  }

  private func dialled(_ result: Result<Connected, any Error>, generation: Int, failures: Int) {
    let closeNow = box.withLock { box -> Connected? in
      guard case .connecting(_, let current) = box.state, current == generation else {
        // close() ran meanwhile: it asked for the close through the future; nothing else to do.
        return nil
      }
      switch result {
      case .success(let connected):
        box.state = .ready(connected)
        return box.closeRequested ? connected : nil
      case .failure(let error):
        let failures = failures + 1
        let backoff = min(Int64(50_000_000) << min(failures - 1, 10), 2_000_000_000)
        box.state = .idle(
          failures: failures, lastError: connectFailure(error), retryAt: .now() + .nanoseconds(backoff))
        return nil
      }
    }
    if let closeNow { closeNow.channel.eventLoop.execute { closeNow.handler.value.close() } }
  }

  /// The connection of `generation` takes no new calls: the next call dials again (at once: it was working).
  private func unusable(generation: Int) {
    box.withLock { box in
      switch box.state {
      case .ready(let connected) where connected.generation == generation && !box.closeRequested:
        box.state = .idle(failures: 0, lastError: nil, retryAt: .now())
      default:
        break
      }
    }
  }

  private func dial(generation: Int) -> EventLoopFuture<Connected> {
    let settings = settings
    let tls = tls
    let serverHostname = serverHostname
    let onUnusable: @Sendable () -> Void = { [weak self] in self?.unusable(generation: generation) }
    let serverReads = self.serverReads
    let bootstrap = ClientBootstrap(group: NIOSingletons.posixEventLoopGroup)
      .connectTimeout(Self.connectTimeout)
      .channelOption(.tcpOption(.tcp_nodelay), value: 1)
      .channelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
          let pipeline = channel.pipeline.syncOperations
          if let tls {
            try pipeline.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: serverHostname))
          }
          var connection = NIOHTTP2Handler.ConnectionConfiguration()
          connection.initialSettings = [
            HTTP2Setting(parameter: .enablePush, value: 0),
            HTTP2Setting(parameter: .maxHeaderListSize, value: 64 << 10),
            HTTP2Setting(parameter: .maxFrameSize, value: 1 << 20),
            HTTP2Setting(parameter: .initialWindowSize, value: settings.targetWindowSize),
          ]
          connection.targetWindowSize = settings.targetWindowSize
          var stream = NIOHTTP2Handler.StreamConfiguration()
          stream.targetWindowSize = settings.targetWindowSize
          try pipeline.addHandler(
            NIOHTTP2Handler(mode: .client, connectionConfiguration: connection, streamConfiguration: stream))
          try pipeline.addHandler(
            GRPCClientHandler(
              settings: settings, tls: tls != nil, serverReads: serverReads, onUnusable: onUnusable))
        }
      }
    return bootstrap.connect(host: host, port: port).flatMap { channel in
      let handler: GRPCClientHandler
      do {
        handler = try channel.pipeline.syncOperations.handler(type: GRPCClientHandler.self)
      } catch {
        return channel.eventLoop.makeFailedFuture(error)
      }
      let bound = NIOLoopBound(handler, eventLoop: channel.eventLoop)
      return handler.readyFuture.map { Connected(channel: channel, handler: bound, generation: generation) }
    }
  }
}

/// How many times frames arrived from the server: a health check that timed out while this grew met a busy
/// server (its answers to other calls kept coming), not a dead one.
final class ServerReads: Sendable {
  private let count = Atomic<UInt64>(0)

  /// The reads so far.
  var value: UInt64 { count.load(ordering: .relaxed) }

  /// One read (a batch of frames) arrived.
  func increment() { count.add(1, ordering: .relaxed) }
}
