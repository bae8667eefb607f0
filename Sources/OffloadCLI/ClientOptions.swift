internal import ArgumentParser
internal import InferenceServer
internal import KServeProtocol
internal import Logging
internal import OffloadClient
internal import OffloadClientONNX

#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif

/// Options shared by the client commands (`infer`, `health`, `metadata`).
struct ClientOptions: ParsableArguments {
  @Option(
    name: [.customShort("u"), .customLong("url"), .customLong("server")],
    help: "Server host:port, or dns:NAME:PORT for every address of a name (repeat, or comma-separate, for a pool).")
  var urls: [String] = []

  @Option(name: [.customShort("i"), .customLong("protocol")], help: "grpc or http (binary tensors).")
  var protocolName: String = "grpc"

  @Option(name: .customLong("servers-file"), help: "File listing servers (host:port or dns:NAME:PORT; # comments).")
  var serversFile: String?

  @Option(help: "remote, remote-with-fallback or local (offload events also: sync-remote).")
  var mode: String = "remote"

  @Option(
    name: .customLong("model-repository"),
    help: "Model repository for the local path (modes local and remote-with-fallback; repeat for several).")
  var modelRepositories: [String] = []

  @Option(name: .customLong("onnxruntime-library"), help: "libonnxruntime.so for the local path.")
  var onnxRuntimeLibrary: String?

  @Option(help: "Load balancing: round-robin, least-outstanding or p2c.")
  var policy: String = "p2c"

  @Option(help: "Attempts per request, first included.")
  var attempts: Int = 4

  @Option(name: .customLong("timeout-ms"), help: "Deadline of each call in milliseconds (0: none).")
  var timeoutMillis: Int = 10_000

  @Option(help: "Request compression: none, gzip or deflate.")
  var compression: String = "none"

  @Flag(help: "Connect with TLS.")
  var ssl = false

  @Option(name: .customLong("ssl-ca"), help: "PEM file of CAs trusted for the server certificate (implies --ssl).")
  var sslCA: String?

  @Option(name: .customLong("ssl-cert"), help: "PEM client certificate for mutual TLS (implies --ssl).")
  var sslCertificate: String?

  @Option(name: .customLong("ssl-key"), help: "PEM private key of --ssl-cert.")
  var sslKey: String?

  @Option(
    name: [.customShort("H"), .customLong("header")],
    help: """
      Header (gRPC metadata) sent with every request, NAME:VALUE, repeatable; e.g. the credential of a restricted \
      server: -H 'authorization:Bearer TOKEN'. A VALUE of @FILE reads it from FILE.
      """)
  var headers: [String] = []

  @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
  var logLevel: String = "warning"

  @Flag(
    name: .customLong("swift-global-executor"),
    help: "Run the client's tasks on Swift's global pool instead of SwiftNIO's event loops (the default, less CPU).")
  var swiftGlobalExecutor = false

  /// Runs `body` with the client's tasks on SwiftNIO's event loops (as `offload serve` does) unless asked
  /// not to: each request then avoids two thread hand-offs. The tasks prefer the loops
  /// (``EventLoopGroupTaskExecutor``), which works in the static release binary too, where NIO's take-over
  /// of the global executor cannot.
  func onEventLoops(_ body: () async throws -> Void) async throws {
    guard !swiftGlobalExecutor else { return try await body() }
    ConcurrencyExecutor.useEventLoopsAsGlobalExecutor()
    try await withTaskExecutorPreference(EventLoopGroupTaskExecutor.singleton) { try await body() }
  }

  var timeout: Duration? { timeoutMillis > 0 ? .milliseconds(timeoutMillis) : nil }

  /// The servers from --url, --servers-file, or OFFLOAD_SERVERS, in that order; localhost:8001 if none.
  func discovery() throws -> ServerDiscovery {
    if !urls.isEmpty { return try ServerDiscovery(parsing: urls.joined(separator: ",")) }
    if let serversFile { return try ServerDiscovery.fromFile(serversFile) }
    if let environment = try ServerDiscovery.fromEnvironment() { return environment }
    return .servers([ServerEndpoint(host: "localhost", port: protocolName == "http" ? 8000 : 8001)])
  }

  func connectionOptions() throws -> ConnectionOptions {
    guard let compression = ConnectionOptions.Compression(rawValue: compression) else {
      throw ValidationError("--compression must be none, gzip or deflate")
    }
    guard let transportProtocol = TransportProtocol(rawValue: protocolName) else {
      throw ValidationError("-i/--protocol must be grpc or http")
    }
    var options = ConnectionOptions(transportProtocol: transportProtocol, compression: compression)
    for header in headers {
      guard let colon = header.firstIndex(of: ":"), colon != header.startIndex else {
        throw ValidationError("-H/--header '\(header)' must be NAME:VALUE, e.g. 'authorization:Bearer TOKEN'")
      }
      var value = header[header.index(after: colon)...].trimmingWhitespace()
      if value.hasPrefix("@") {
        guard let text = try? String(contentsOfFile: String(value.dropFirst()), encoding: .utf8) else {
          throw ValidationError("cannot read the header value file '\(value.dropFirst())'")
        }
        value = text.trimmingNewlines()
      }
      options.headers[header[..<colon].trimmingWhitespace().lowercased()] = value
    }
    if ssl || sslCA != nil || sslCertificate != nil {
      options.tls = .init(
        trustedCertificateAuthorities: sslCA, clientCertificateChain: sslCertificate, clientPrivateKey: sslKey)
    }
    return options
  }

  func logger(_ label: String) -> Logger {
    var logger = Logger(label: label)
    logger.logLevel = Logger.Level(rawValue: logLevel) ?? .warning
    return logger
  }

  /// A client configured from the options.
  func makeClient() throws -> InferenceClient {
    guard let mode = InferenceMode(rawValue: mode) else {
      throw ValidationError("--mode must be one of \(InferenceMode.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    guard let policy = LoadBalancingPolicy(rawValue: policy) else {
      throw ValidationError(
        "--policy must be one of \(LoadBalancingPolicy.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    if mode != .remoteOnly, modelRepositories.isEmpty {
      throw ValidationError("--mode \(mode.rawValue) runs models locally: give --model-repository DIR")
    }
    let logger = logger("offload.client")
    let local =
      mode == .remoteOnly
      ? nil
      : LocalInference(
        .repositories(
          modelRepositories.map { URL(fileURLWithPath: $0) },
          onnxRuntimeLibrary: onnxRuntimeLibrary ?? ProcessInfo.processInfo.environment["OFFLOAD_ONNXRUNTIME_LIBRARY"]),
        logger: logger)
    return try InferenceClient(
      configuration: OffloadClientConfiguration(
        servers: mode == .localOnly ? nil : try discovery(), mode: mode,
        pool: .init(machine: .init(policy: policy)), retry: RetryPolicy(maxAttempts: attempts),
        connection: try connectionOptions(), timeout: timeout),
      local: local, logger: logger)
  }
}
