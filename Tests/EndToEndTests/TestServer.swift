import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import InferenceRuntime
import InferenceServer
import KServeGRPC
import Logging
import ServiceLifecycle

/// Runs a real `OffloadServer` on 127.0.0.1 port 0 and hands a connected KServe client to `body`;
/// shuts the server down gracefully afterwards.
enum TestServer {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
  static let exampleModels = root.appendingPathComponent("examples/models")

  typealias KServeClient = Inference_GRPCInferenceService.Client<HTTP2ClientTransport.Posix>

  static func with<R: Sendable>(
    repositories: [URL] = [exampleModels],
    additionalBackends: [any InferenceBackend] = [],
    configure: (inout ServerConfiguration) -> Void = { _ in },
    _ body:
      @Sendable (
        _ client: KServeClient, _ raw: GRPCClient<HTTP2ClientTransport.Posix>, _ port: Int, _ server: OffloadServer
      ) async throws -> R
  ) async throws -> R {
    try await serving(repositories: repositories, additionalBackends: additionalBackends, configure: configure) {
      server, port, _ in
      try await withGRPCClient(
        transport: try .http2NIOPosix(
          target: .ipv4(address: "127.0.0.1", port: port), transportSecurity: .plaintext,
          config: .defaults { $0.http2.maxFrameSize = 1 << 20 })
      ) { client in
        // One call first: the connection is up before the body runs, and grpc-swift never sees a body
        // that finishes before its connections start (it throws `clientIsStopped` then).
        _ = try await KServeClient(wrapping: client).serverLive(.init())
        return try await body(KServeClient(wrapping: client), client, port, server)
      }
    }
  }
}

extension TestServer {
  /// Runs a server like ``with(repositories:configure:_:)`` but hands `body` only the server and its gRPC and
  /// HTTP ports (for tests that bring their own clients: TLS, credentials).
  static func serving<R: Sendable>(
    repositories: [URL] = [exampleModels],
    additionalBackends: [any InferenceBackend] = [],
    configure: (inout ServerConfiguration) -> Void = { _ in },
    _ body: @Sendable (_ server: OffloadServer, _ grpcPort: Int, _ httpPort: Int) async throws -> R
  ) async throws -> R {
    var logger = Logger(label: "e2e")
    logger.logLevel = .critical
    let configuration = ServerConfiguration.defaults(repositories: repositories) { config in
      config.grpc.host = "127.0.0.1"
      config.grpc.port = 0
      config.metricsPort = 0
      config.httpPort = 0
      configure(&config)
    }
    let server = OffloadServer(configuration: configuration, additionalBackends: additionalBackends, logger: logger)
    try await server.loadModels()
    let group = ServiceGroup(services: [server], logger: logger)
    return try await withThrowingTaskGroup(of: Void.self) { tasks in
      tasks.addTask { try await group.run() }
      do {
        let result = try await body(server, try await server.grpcPort(), await server.httpPort() ?? 0)
        await group.triggerGracefulShutdown()
        try await tasks.waitForAll()
        return result
      } catch {
        await group.triggerGracefulShutdown()
        throw error
      }
    }
  }
}
