internal import Hummingbird
internal import Logging

/// The HTTP/REST front end's listener: Hummingbird serving the KServe v2 router.
final class HTTPEndpoint: Sendable {
  private let application: Application<RouterResponder<BasicRequestContext>>
  private let port = BoundPort()

  init(router: Router<BasicRequestContext>, host: String, port: Int, logger: Logger) {
    let box = self.port
    self.application = Application(
      router: router,
      configuration: .init(address: .hostname(host, port: port), serverName: "offload"),
      onServerRunning: { channel in box.set(channel.localAddress?.port ?? port) },
      logger: logger)
  }

  /// Serves until cancelled or graceful shutdown.
  func run() async throws { try await application.run() }

  /// The bound port (waits until the listener is up).
  func boundPort() async -> Int { await port.value() }
}
