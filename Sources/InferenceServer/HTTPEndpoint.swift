internal import Hummingbird
internal import HummingbirdCore
internal import HummingbirdTLS
internal import Logging
internal import NIOCore
internal import NIOPosix
internal import NIOSSL

/// The HTTP/REST front end's listener: Hummingbird serving the KServe v2 router.
final class HTTPEndpoint: Sendable {
  private let application: Application<RouterResponder<BasicRequestContext>>
  private let port = BoundPort()
  /// The HTTP front end's own event loops.
  static let group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)

  /// - Parameters:
  ///   - maxBodyBytes: The body limit (a larger declared body gets no `100 Continue`).
  ///   - tls: TLS settings; `nil` serves plaintext HTTP/1.1.
  init(
    router: Router<BasicRequestContext>, host: String, port: Int, maxBodyBytes: Int, tls: TLSConfiguration?,
    logger: Logger
  ) {
    let box = self.port
    let http1 = HTTPServerBuilder.http1(
      configuration: .init(additionalChannelHandlers: [ExpectContinueHandler(maxBodyBytes: maxBodyBytes)]))
    // `.tls` only throws for an unusable configuration, which ServerTLSMaterial has already ruled out.
    let server = tls.flatMap { try? HTTPServerBuilder.tls(http1, tlsConfiguration: $0) } ?? http1
    self.application = Application(
      router: router,
      server: server,
      configuration: .init(address: .hostname(host, port: port), serverName: "offload"),
      onServerRunning: { channel in box.set(channel.localAddress?.port ?? port) },
      eventLoopGroupProvider: .shared(Self.group),
      logger: logger)
  }

  /// Serves until cancelled or graceful shutdown.
  func run() async throws {
    try await withTaskExecutorPreference(EventLoopGroupTaskExecutor(Self.group)) { try await application.run() }
  }

  /// The bound port (waits until the listener is up).
  func boundPort() async -> Int { await port.value() }
}
