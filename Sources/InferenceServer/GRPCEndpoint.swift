internal import InferenceServerGRPC
internal import Logging
internal import NIOCore
internal import NIOExtras
internal import NIOHTTP2
internal import NIOPosix
internal import NIOSSL
internal import Synchronization

/// The gRPC listener: a SwiftNIO server whose connections run swift-nio-http2 (framing, HPACK, flow-control
/// accounting), `NIOHTTP2ServerConnectionManagementHandler` (keepalive pings, idle and graceful close with
/// GOAWAY) and ``GRPCConnectionHandler`` (gRPC calls on the connection's frames, no per-stream channel), with
/// TLS first when configured. Connections run on SwiftNIO's shared event loops, the same threads that run
/// request handlers when the loops are Swift's global executor.
final class GRPCEndpoint: Sendable {
  /// Listener settings.
  struct Settings: Sendable {
    var host: String
    var port: Int
    var maxFrameSize: Int
    var maxHeaderListSize: Int = 64 << 10
    /// Calls run on their connection's event loop (`false`: on Swift's global executor).
    var callsOnEventLoops = true
    var connection: GRPCConnectionConfiguration
    /// Keepalive pings after 2 h without reads (20 s to answer), and a 30 s limit on a graceful close (Triton's
    /// `--exit-timeout-secs` default): a stream that never ends (a Watch, an idle ModelStreamInfer) cannot hold
    /// shutdown back for longer.
    var management = NIOHTTP2ServerConnectionManagementHandler.Configuration(
      maxIdleTime: nil, maxAge: nil, maxGraceTime: .seconds(30),
      keepalive: .init(pingInterval: .hours(2), ackTimeout: .seconds(20)))
  }

  private let methods: GRPCMethodTable
  private let settings: Settings
  private let tls: NIOSSLContext?
  private let logger: Logger
  private let port = BoundPort()
  private let state = Mutex<State>(.idle)

  private enum State {
    case idle
    case serving(ServerQuiescingHelper, drained: EventLoopPromise<Void>)
    case stopping
  }

  init(methods: GRPCMethodTable, settings: Settings, tls: NIOSSLContext?, logger: Logger) {
    self.methods = methods
    self.settings = settings
    self.tls = tls
    self.logger = logger
  }

  /// The bound port; waits until the listener is up, `nil` when binding failed.
  func boundPort() async -> Int? {
    let port = await port.value()
    return port >= 0 ? port : nil
  }

  /// Binds and serves until ``beginGracefulShutdown()`` has let every connection finish, or until the task
  /// is cancelled (calls in flight are then cancelled, and the connections closed after a GOAWAY).
  ///
  /// Each connection's calls run in a child task of this one (``GRPCConnectionCalls``), so this returns only
  /// after every call has ended.
  func run() async throws {
    let group = MultiThreadedEventLoopGroup.singleton
    let quiescing = ServerQuiescingHelper(group: group)
    let methods = self.methods
    let settings = self.settings
    let tls = self.tls
    let server: NIOAsyncChannel<GRPCConnectionCalls, Never>
    do {
      server = try await ServerBootstrap(group: group)
        .serverChannelOption(.backlog, value: 256)
        .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        .serverChannelInitializer { channel in
          channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(quiescing.makeServerChannelHandler(channel: channel))
          }
        }
        .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
        .childChannelOption(.socketOption(.so_reuseaddr), value: 1)
        .bind(host: settings.host, port: settings.port) { channel in
          channel.eventLoop.makeCompletedFuture {
            try Self.configure(channel, methods: methods, settings: settings, tls: tls)
          }
        }
    } catch {
      port.set(-1)
      throw error
    }
    let drained = server.channel.eventLoop.makePromise(of: Void.self)
    let proceed = state.withLock { state -> Bool in
      guard case .idle = state else { return false }
      state = .serving(quiescing, drained: drained)
      return true
    }
    port.set(server.channel.localAddress?.port ?? settings.port)
    guard proceed else {
      try? await server.channel.close()
      drained.succeed()
      return
    }
    logger.info("gRPC listening", metadata: ["address": "\(settings.host):\(server.channel.localAddress?.port ?? 0)"])
    await withTaskCancellationHandler {
      // Quiescing closes the listener first, which ends `inbound`; the group then waits for the connections
      // to finish their calls and close.
      await withDiscardingTaskGroup { connections in
        try? await server.executeThenClose { inbound in
          for try await calls in inbound {
            connections.addTask(executorPreference: calls.executor) { await calls.run() }
          }
        }
      }
      guard !Task.isCancelled else { return }
      try? await drained.futureResult.get()
    } onCancel: {
      self.beginGracefulShutdown()
    }
  }

  /// Stops accepting connections and asks every connection to finish: GOAWAY, calls in flight run to their end,
  /// then the connection closes. ``run()`` returns when all are closed.
  func beginGracefulShutdown() {
    let serving = state.withLock { state -> (ServerQuiescingHelper, EventLoopPromise<Void>)? in
      defer { state = .stopping }
      if case .serving(let quiescing, let drained) = state { return (quiescing, drained) }
      return nil
    }
    // Quiescing closes the listener and sends each connection the quiesce event (GOAWAY, then close when idle).
    guard let (quiescing, drained) = serving else { return }
    quiescing.initiateShutdown(promise: drained)
  }

  /// Sets up one connection's pipeline; the returned queue runs its calls.
  private static func configure(
    _ channel: any Channel, methods: GRPCMethodTable, settings: Settings, tls: NIOSSLContext?
  ) throws -> GRPCConnectionCalls {
    let pipeline = channel.pipeline.syncOperations
    if let tls { try pipeline.addHandler(NIOSSLServerHandler(context: tls)) }
    var connection = NIOHTTP2Handler.ConnectionConfiguration()
    connection.initialSettings = [
      HTTP2Setting(parameter: .maxConcurrentStreams, value: settings.connection.maxConcurrentStreams),
      HTTP2Setting(parameter: .maxHeaderListSize, value: settings.maxHeaderListSize),
      HTTP2Setting(parameter: .maxFrameSize, value: settings.maxFrameSize),
      HTTP2Setting(parameter: .initialWindowSize, value: settings.connection.targetWindowSize),
    ]
    connection.targetWindowSize = settings.connection.targetWindowSize
    var stream = NIOHTTP2Handler.StreamConfiguration()
    stream.targetWindowSize = settings.connection.targetWindowSize
    try pipeline.addHandler(
      NIOHTTP2Handler(mode: .server, connectionConfiguration: connection, streamConfiguration: stream))
    try pipeline.addHandler(
      NIOHTTP2ServerConnectionManagementHandler(eventLoop: channel.eventLoop, configuration: settings.management))
    let calls = GRPCConnectionCalls(
      executor: settings.callsOnEventLoops ? EventLoopGroupTaskExecutor(channel.eventLoop) : nil)
    try pipeline.addHandler(
      GRPCConnectionHandler(methods: methods, configuration: settings.connection, calls: calls))
    return calls
  }
}
