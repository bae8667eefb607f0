internal import InferenceBackendFault
internal import InferenceBackendONNX
public import InferenceRuntime
internal import InferenceServerGRPC
internal import InferenceServerHTTP
public import KServeProtocol
public import Logging
internal import NIOCore
internal import Prometheus
public import ServiceLifecycle

#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif

/// The composition root: a runtime with the ONNX Runtime backend, served over gRPC.
/// A `Service`: `run()` loads the models, serves until graceful shutdown, then drains in-flight
/// requests and returns.
public final class OffloadServer: Service, Sendable {
  /// The version this build reports in ServerMetadata.
  public static let version = "0.1.0"
  /// Triton protocol extensions this server implements (reported in ServerMetadata).
  public static let extensions = [
    "classification", "model_repository", "schedule_policy", "model_configuration", "system_shared_memory",
    "binary_tensor_data", "parameters", "statistics",
  ]

  /// The runtime core (for in-process use and tests).
  public let runtime: ModelRuntime
  /// The configuration.
  public let configuration: ServerConfiguration
  private let grpc: GRPCEndpoint
  private let logger: Logger
  private let metrics: MetricsEndpoint?
  private let http: HTTPEndpoint?
  /// Why TLS cannot be set up (unreadable or mismatched files); `run()` refuses to serve then. A command
  /// line checks it before loading models (the files are read once, here).
  public let tlsFailure: InferenceError?

  /// Creates the server; nothing is loaded or bound until ``run()``.
  /// - Parameters:
  ///   - configuration: Settings.
  ///   - additionalBackends: Backends besides ONNX Runtime (test backends, other engines). They come before
  ///     the built-in test backends of ``ServerConfiguration/enableTestBackends``, so a test may pass its own
  ///     ``FaultInjectionBackend`` to observe and release its hangs.
  ///   - logger: The root logger.
  public init(
    configuration: ServerConfiguration, additionalBackends: [any InferenceBackend] = [], logger: Logger
  ) {
    self.configuration = configuration
    self.logger = logger
    let onnx = ONNXRuntimeBackend(
      libraryPath: configuration.onnxRuntime.libraryPath, sharedIntraOpThreads: configuration.onnxRuntime.sharedThreads,
      logger: logger)
    let registry = PrometheusCollectorRegistry()
    var runtimeConfiguration = configuration.runtime
    // The latency summaries exist for /metrics only.
    if !configuration.metricsEnabled { runtimeConfiguration.latencySummaries = nil }
    let testBackends: [any InferenceBackend] = configuration.enableTestBackends ? [FaultInjectionBackend()] : []
    self.runtime = ModelRuntime(
      configuration: runtimeConfiguration,
      backends: BackendRegistry(
        [onnx] + additionalBackends + testBackends, unregistered: [FaultInjectionBackend.unregistered]),
      logger: logger, metricsFactory: configuration.metricsEnabled ? PrometheusMetricsFactory(registry: registry) : nil)
    self.metrics =
      configuration.metricsEnabled
      ? MetricsEndpoint(
        registry: registry, summaries: runtime.latencySummaries, cache: runtime.responseCache,
        host: configuration.grpc.host,
        port: configuration.metricsPort, interval: configuration.metricsInterval, logger: logger) : nil
    var tls: ServerTLSMaterial?
    var tlsFailure: InferenceError?
    if let settings = configuration.tls {
      do {
        tls = try ServerTLSMaterial(settings)
      } catch {
        tlsFailure = error as? InferenceError ?? InferenceError(.invalidArgument, "TLS setup failed: \(error)")
      }
    }
    self.tlsFailure = tlsFailure
    // One store for both front ends: a change over gRPC shows over HTTP and in the log handler.
    let logSettings = configuration.logSettings ?? LogSettingsStore(LogSettings(level: logger.logLevel))
    self.http =
      configuration.httpEnabled && tlsFailure == nil
      ? HTTPEndpoint(
        router: HTTPFrontEnd.router(
          runtime: runtime,
          configuration: HTTPFrontEndConfiguration(
            serverVersion: Self.version, extensions: Self.extensions, maxBodyBytes: configuration.httpMaxBodyBytes,
            accessPolicy: configuration.httpAccessPolicy, logSettings: logSettings),
          logger: logger),
        host: configuration.grpc.host, port: configuration.httpPort, maxBodyBytes: configuration.httpMaxBodyBytes,
        tls: tls?.httpConfiguration, logger: logger)
      : nil
    let handler = GRPCInferenceServiceHandler(
      runtime: runtime,
      configuration: GRPCFrontEndConfiguration(
        serverVersion: Self.version, extensions: Self.extensions, logSettings: logSettings),
      logger: logger)
    let grpc = configuration.grpc
    self.grpc = GRPCEndpoint(
      methods: KServeGRPCService.methods(handler: handler, health: HealthServiceHandler(runtime: runtime)),
      settings: GRPCEndpoint.Settings(
        host: grpc.host, port: grpc.port, maxFrameSize: grpc.maxFrameSize,
        callsOnEventLoops: configuration.tasksOnEventLoops,
        connection: GRPCConnectionConfiguration(
          maxMessageBytes: grpc.maxTransportMessageBytes, targetWindowSize: grpc.targetWindowSize,
          compressResponses: grpc.responseCompression.compressesResponses,
          accessPolicy: configuration.grpcAccessPolicy,
          maxReadPause: .milliseconds(Int64(grpc.overloadReadPauseMilliseconds)),
          maxConcurrentStreams: grpc.maxConcurrentStreams)),
      tls: tls?.grpcContext, logger: logger)
  }

  /// Loads every model; failures are recorded per model and do not stop the server.
  /// - Throws: when a repository directory does not exist.
  public func loadModels() async throws {
    try await runtime.loadAll()
  }

  /// The bound gRPC port (useful when configured with port 0).
  public func grpcPort() async throws -> Int {
    guard let port = await grpc.boundPort() else {
      throw InferenceError(
        .unavailable, "the gRPC listener could not bind \(configuration.grpc.host):\(configuration.grpc.port)")
    }
    return port
  }

  /// The bound HTTP/REST port (useful with port 0), or `nil` when HTTP is disabled.
  public func httpPort() async -> Int? {
    guard let http else { return nil }
    return await http.boundPort()
  }

  /// The bound metrics port (useful with port 0), or `nil` when metrics are disabled.
  public func metricsPort() async -> Int? {
    guard let metrics else { return nil }
    return await metrics.boundPort()
  }

  /// Serves until graceful shutdown: readiness turns false, new connections stop, in-flight requests finish.
  /// The runtime's batcher timers run beside the gRPC server and stop after it has drained.
  public func run() async throws {
    guard configuration.tasksOnEventLoops else { return try await serve() }
    try await withTaskExecutorPreference(EventLoopGroupTaskExecutor.singleton) { try await serve() }
  }

  private func serve() async throws {
    if let tlsFailure {
      logger.critical("cannot serve: \(tlsFailure.message)")
      throw tlsFailure
    }
    try await withThrowingDiscardingTaskGroup { group in
      group.addTask { await self.runtime.run() }
      if let metrics { group.addTask { try await metrics.run() } }
      if let http { group.addTask { try await http.run() } }
      // Readiness is false from the graceful shutdown on; a gateway or Kubernetes stops sending new work
      // within its probe period, so the gRPC listener keeps serving that long before refusing connections.
      let delay = configuration.drainDelay
      if delay > .zero {
        group.addTask {
          // Throws only when the group is cancelled (the server stopped another way): nothing to close.
          guard (try? await gracefulShutdown()) != nil else { return }
          self.logger.info("readiness is false; serving on during the drain delay", metadata: ["delay": "\(delay)"])
          try? await Task.sleep(for: delay)
          self.grpc.beginGracefulShutdown()
        }
      }
      do {
        try await withGracefulShutdownHandler {
          try await grpc.run()
        } onGracefulShutdown: {
          self.logger.info("graceful shutdown: draining in-flight requests")
          self.runtime.beginDraining()
          if delay == .zero { self.grpc.beginGracefulShutdown() }
        }
      } catch {
        group.cancelAll()
        throw error
      }
      await runtime.shutdown()
      // On a graceful shutdown the HTTP and metrics listeners finish their own (cancelling them mid-way made
      // Hummingbird log "Waiting on child channel: CancellationError()" at error level); otherwise nothing
      // else will end them.
      if !Task.isShuttingDownGracefully { group.cancelAll() }
    }
  }
}
