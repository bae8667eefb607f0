internal import ArgumentParser
internal import InferenceRuntime
internal import InferenceServer
internal import KServeProtocol
internal import Logging
internal import OffloadMeasurement
internal import ServiceLifecycle
internal import UnixSignals

#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif

/// `offload serve`: a Triton-compatible inference server over a model repository.
struct ServeCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "serve",
    abstract: "Serve the models of one or more Triton-layout model repositories over gRPC (KServe v2).")

  @Option(name: .customLong("model-repository"), help: "Model repository directory (repeat for several).")
  var modelRepositories: [String] = []

  @Option(help: "Address to bind.")
  var host: String = "0.0.0.0"

  @Option(name: .customLong("grpc-port"), help: "gRPC port (0: pick a free port).")
  var grpcPort: Int = 8001

  @Option(
    name: .customLong("grpc-max-concurrent-streams"),
    help: "Calls one gRPC connection may have open at once (HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS).")
  var grpcMaxConcurrentStreams: Int = 128

  @Option(
    name: .customLong("grpc-overload-read-pause-ms"),
    help: """
      After a call is refused because its model's queue is full, do not read its gRPC connection again until the \
      queue has drained to half its limit, for at most this long (0: keep reading and refuse each request, as \
      Triton does).
      """)
  var grpcOverloadReadPauseMilliseconds: Int = 50

  @Option(
    name: .customLong("http-port"), help: "HTTP/REST port (KServe v2, JSON and binary tensors; 0: pick a free port).")
  var httpPort: Int = 8000

  @Option(
    name: .customLong("grpc-infer-response-compression-level"),
    help: """
      Compress gRPC responses for clients that accept gzip/deflate: none (default, as Triton), low, medium or \
      high (all three use zlib's default level). Compressed requests are always accepted.
      """)
  var grpcResponseCompression: String = "none"

  @Option(
    name: .customLong("strict-readiness"),
    help: """
      Triton's flag: readiness also requires that no model failed to load (true/false; default false: a failed \
      model is reported and UNAVAILABLE while the server stays ready for the others).
      """)
  var strictReadiness: Bool = false

  @Option(name: .customLong("allow-http"), help: "Serve HTTP/REST (true/false).")
  var allowHTTP: Bool = true

  @Option(
    name: .customLong("allow-client-shm"),
    help: """
      Let clients register system shared-memory regions and pass tensors through them (true/false; \
      off by default, as in Triton: only for clients on this host that you trust).
      """)
  var allowClientSharedMemory: Bool = false

  @Option(
    name: .customLong("drain-delay-secs"),
    help: "On SIGTERM/SIGINT: seconds to keep serving with readiness false before draining (default 0).")
  var drainDelaySeconds: Double = 0

  @Option(name: .customLong("http-max-body-size"), help: "Largest HTTP request body in bytes (413 beyond).")
  var httpMaxBodySize: Int = 512 << 20

  @Option(name: .customLong("metrics-port"), help: "Prometheus metrics port (GET /metrics; 0: pick a free port).")
  var metricsPort: Int = 8002

  @Option(
    name: .customLong("allow-metrics"), help: "Serve Prometheus metrics and record per-model metrics (true/false).")
  var allowMetrics: Bool = true

  @Option(
    name: .customLong("metrics-interval-ms"),
    help: "How often the per-interval metrics (nv_cpu_utilization, nv_cpu_memory_*) are sampled, in ms (as Triton).")
  var metricsIntervalMilliseconds: Int = 2000

  @Option(
    name: .customLong("metrics-config"),
    help: """
      Metrics setting KEY=VALUE (repeatable; Triton's flag): summary_latencies=true adds Triton's latency \
      summaries (nv_inference_*_summary_us, default off); summary_quantiles=Q:E,Q:E,... sets their quantiles \
      and errors (default 0.5:0.05,0.9:0.01,0.95:0.001,0.99:0.001,0.999:0.001); summary_max_age_secs=S their \
      sliding window in seconds (default 60; an Offload extension).
      """)
  var metricsConfig: [String] = []

  @Option(
    name: .customLong("cache-config"),
    help: """
      Response cache setting <cache>,<key>=<value> (repeatable; Triton's flag): local,size=BYTES gives the \
      models whose config.pbtxt has response_cache { enable: true } an in-memory cache of that many bytes \
      (least recently used answers go first). Default: no cache.
      """)
  var cacheConfig: [String] = []

  @Option(
    name: .customLong("onnxruntime-library"),
    help: "Path of libonnxruntime.so (default: $OFFLOAD_ONNXRUNTIME_LIBRARY, then the project's .venv).")
  var onnxRuntimeLibrary: String?

  @Option(
    name: .customLong("onnxruntime-threads"),
    help: """
      Threads of the ONNX Runtime intra-op pool shared by every model that sets no thread parameters \
      (0: one per core). A model's intra_op_thread_count gives it its own pool instead.
      """)
  var onnxRuntimeThreads: Int = 0

  @Option(name: .customLong("max-request-size"), help: "Largest total input size of one request, in bytes.")
  var maxRequestSize: Int = 256 << 20

  @Option(name: .customLong("max-queue-size"), help: "Requests that may wait per model version before UNAVAILABLE.")
  var maxQueueSize: Int = 4096

  @Option(
    name: .customLong("inline-execution-limit-us"),
    help: "Models whose average execution is shorter run inline on the request thread; longer ones on their own thread."
  )
  var inlineExecutionLimitMicros: Int = 500

  @Option(
    name: .customLong("model-control-mode"),
    help: "none (load all at start), poll (also re-read the repositories), explicit (load/unload on request).")
  var modelControlMode: String = "none"

  @Option(
    name: .customLong("load-model"), help: "With explicit mode: a model to load at start (repeatable; * for all).")
  var loadModels: [String] = []

  @Option(name: .customLong("repository-poll-secs"), help: "With poll mode: seconds between repository scans.")
  var repositoryPollSeconds: Double = 15

  @Option(
    name: .customLong("tls-cert"),
    help: "PEM certificate chain: serve gRPC and HTTP/REST over TLS (with --tls-key).")
  var tlsCertificate: String?

  @Option(name: .customLong("tls-key"), help: "PEM private key of --tls-cert.")
  var tlsKey: String?

  @Option(
    name: .customLong("tls-client-ca"),
    help: "PEM CA certificate(s): mutual TLS, clients must present a certificate it signed (needs --tls-cert).")
  var tlsClientCA: String?

  @Option(
    name: .customLong("restricted-protocol"),
    help: """
      Restrict protocol groups on gRPC and HTTP: GROUP[,GROUP...]:HEADER=VALUE (repeatable). Requests to those \
      groups must carry HEADER with VALUE (VALUE @FILE reads a file, env:NAME a variable). Groups: \
      \(ProtocolGroup.allCases.map(\.rawValue).joined(separator: ", ")).
      """)
  var restrictedProtocols: [String] = []

  @Option(
    name: .customLong("grpc-restricted-protocol"),
    help: "As --restricted-protocol, for gRPC only (Triton's flag).")
  var grpcRestrictedProtocols: [String] = []

  @Option(
    name: .customLong("http-restricted-api"),
    help: "As --restricted-protocol, for HTTP/REST only (Triton's flag).")
  var httpRestrictedAPIs: [String] = []

  @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
  var logLevel: String = "info"

  @Option(name: .customLong("log-format"), help: "text or json.")
  var logFormat: String = "text"

  func validate() throws {
    guard ["none", "poll", "explicit"].contains(modelControlMode) else {
      throw ValidationError("--model-control-mode must be none, poll or explicit")
    }
    guard loadModels.isEmpty || modelControlMode == "explicit" else {
      throw ValidationError("--load-model needs --model-control-mode explicit (the other modes load every model)")
    }
    guard repositoryPollSeconds > 0 else { throw ValidationError("--repository-poll-secs must be positive") }
    guard (0...1024).contains(onnxRuntimeThreads) else {
      throw ValidationError("--onnxruntime-threads must be 0 (one per core) to 1024")
    }
    guard !modelRepositories.isEmpty else {
      throw ValidationError("give at least one --model-repository DIR (e.g. examples/models)")
    }
    guard Logger.Level(rawValue: logLevel) != nil else {
      throw ValidationError(
        "unknown --log-level '\(logLevel)'; use trace, debug, info, notice, warning, error or critical")
    }
    guard ["text", "json"].contains(logFormat) else { throw ValidationError("--log-format must be text or json") }
    guard (0...65535).contains(grpcPort), (0...65535).contains(metricsPort), (0...65535).contains(httpPort) else {
      throw ValidationError("--grpc-port, --http-port and --metrics-port must be in 0...65535")
    }
    guard (1...1_000_000).contains(grpcMaxConcurrentStreams) else {
      throw ValidationError("--grpc-max-concurrent-streams must be 1 to 1000000 (default 128)")
    }
    guard (1...3_600_000).contains(metricsIntervalMilliseconds) else {
      throw ValidationError("--metrics-interval-ms must be 1 to 3600000 (default 2000, as Triton)")
    }
    guard (0...60_000).contains(grpcOverloadReadPauseMilliseconds) else {
      throw ValidationError("--grpc-overload-read-pause-ms must be 0 to 60000 (default 50)")
    }
    guard (tlsCertificate == nil) == (tlsKey == nil) else {
      throw ValidationError("--tls-cert and --tls-key go together: give both to serve over TLS")
    }
    guard tlsClientCA == nil || tlsCertificate != nil else {
      throw ValidationError("--tls-client-ca (mutual TLS) needs --tls-cert and --tls-key")
    }
    guard ServerConfiguration.GRPCResponseCompression(rawValue: grpcResponseCompression) != nil else {
      throw ValidationError(
        "unknown --grpc-infer-response-compression-level '\(grpcResponseCompression)'; use none, low, medium or high")
    }
    _ = try accessPolicies()
    _ = try latencySummaries()
    do { _ = try CacheConfigFlag.responseCacheBytes(cacheConfig) } catch { throw ValidationError("\(error)") }
    guard maxRequestSize > 0, maxQueueSize > 0, inlineExecutionLimitMicros >= 0 else {
      throw ValidationError(
        "--max-request-size and --max-queue-size must be positive, --inline-execution-limit-us >= 0")
    }
  }

  /// The gRPC and HTTP access policies from the restriction flags.
  func accessPolicies() throws -> (grpc: AccessPolicy, http: AccessPolicy) {
    let environment = ProcessInfo.processInfo.environment
    do {
      let shared = try restrictedProtocols.map { try AccessPolicy.parseRule($0, environment: environment) }
      let grpc = try grpcRestrictedProtocols.map { try AccessPolicy.parseRule($0, environment: environment) }
      let http = try httpRestrictedAPIs.map { try AccessPolicy.parseRule($0, environment: environment) }
      return (try AccessPolicy(rules: shared + grpc), try AccessPolicy(rules: shared + http))
    } catch {
      throw ValidationError("\(error)")
    }
  }

  /// The latency summary settings from `--metrics-config`; `nil` when they stay off.
  func latencySummaries() throws -> LatencySummaryConfiguration? {
    do {
      return try LatencySummaryConfiguration(metricsConfig: metricsConfig)
    } catch {
      throw ValidationError("\(error)")
    }
  }

  @Flag(
    name: .customLong("enable-test-backends"),
    help: """
      Register the fault-injection test backend (backend: "fault"; its models fail, hang or slow down on \
      demand) for fault, overload and soak testing. Never in production.
      """)
  var enableTestBackends = false

  @Flag(
    name: .customLong("swift-global-executor"),
    help:
      "Run the server's tasks (gRPC calls, HTTP requests) on Swift's global executor instead of SwiftNIO's event loops."
  )
  var swiftGlobalExecutor = false

  func run() async throws {
    let onEventLoops = !swiftGlobalExecutor && ConcurrencyExecutor.useEventLoopsAsGlobalExecutor()
    let level = Logger.Level(rawValue: logLevel) ?? .info
    let json = logFormat == "json"
    let logSettings = LogSettingsStore(LogSettings(level: level))
    LoggingSystem.bootstrap { label in StructuredLogHandler(label: label, settings: logSettings, json: json) }
    let logger = Logger(label: "offload")
    logger.info(
      "request handlers run on \(swiftGlobalExecutor ? "Swift's global executor" : "SwiftNIO's event loops")",
      metadata: ["global_executor": "\(onEventLoops ? "SwiftNIO event loops" : "Swift's thread pool")"])

    let repositories = modelRepositories.map { URL(fileURLWithPath: $0, isDirectory: true).standardizedFileURL }
    let environment = ProcessInfo.processInfo.environment
    let configuration = ServerConfiguration.defaults(repositories: repositories) { config in
      config.grpc.host = host
      config.grpc.port = grpcPort
      config.grpc.maxConcurrentStreams = grpcMaxConcurrentStreams
      config.grpc.overloadReadPauseMilliseconds = grpcOverloadReadPauseMilliseconds
      config.tasksOnEventLoops = !swiftGlobalExecutor
      config.grpc.maxTransportMessageBytes = max(config.grpc.maxTransportMessageBytes, maxRequestSize * 2)
      config.grpc.responseCompression = .init(rawValue: grpcResponseCompression) ?? .none
      config.httpPort = httpPort
      config.httpEnabled = allowHTTP
      config.runtime.allowClientSharedMemory = allowClientSharedMemory
      config.runtime.strictReadiness = strictReadiness
      config.drainDelay = .milliseconds(Int64(max(0, drainDelaySeconds) * 1000))
      config.httpMaxBodyBytes = httpMaxBodySize
      config.metricsPort = metricsPort
      config.metricsEnabled = allowMetrics
      config.metricsInterval = .milliseconds(metricsIntervalMilliseconds)
      config.enableTestBackends = enableTestBackends
      config.logSettings = logSettings
      config.runtime.latencySummaries = try? latencySummaries()
      config.runtime.responseCacheBytes = (try? CacheConfigFlag.responseCacheBytes(cacheConfig)) ?? 0
      config.runtime.maxRequestBytes = maxRequestSize
      config.runtime.maxQueueSizePerModel = maxQueueSize
      config.runtime.inlineExecutionLimit = .microseconds(inlineExecutionLimitMicros)
      switch modelControlMode {
      case "poll": config.runtime.modelControl = .poll(interval: .milliseconds(Int64(repositoryPollSeconds * 1000)))
      case "explicit": config.runtime.modelControl = .explicit(startupModels: loadModels)
      default: config.runtime.modelControl = .none
      }
      config.onnxRuntime.libraryPath = onnxRuntimeLibrary ?? environment["OFFLOAD_ONNXRUNTIME_LIBRARY"]
      config.onnxRuntime.sharedThreads = onnxRuntimeThreads > 0 ? onnxRuntimeThreads : nil
      if let tlsCertificate, let tlsKey {
        config.tls = .init(
          certificateChainPath: tlsCertificate, privateKeyPath: tlsKey, clientCertificateAuthorityPath: tlsClientCA)
      }
      if let policies = try? accessPolicies() { (config.grpcAccessPolicy, config.httpAccessPolicy) = policies }
    }
    if !configuration.grpcAccessPolicy.restricts(.modelRepository),
      configuration.runtime.modelControl.name == "explicit",
      !["127.0.0.1", "localhost", "::1"].contains(host)
    {
      logger.warning(
        "model load/unload is open to every client that reaches \(host); restrict it with --restricted-protocol model-repository:HEADER=VALUE (docs/security.md)"
      )
    }

    let server = OffloadServer(configuration: configuration, logger: logger)
    if let failure = server.tlsFailure {
      logger.critical("cannot serve over TLS: \(failure.message)")
      throw ExitCode(2)
    }
    do {
      try await server.loadModels()
    } catch {
      logger.critical("cannot start: \(error)")
      throw ExitCode(2)
    }
    StandardError.write(ModelLoadSummary.render(server.runtime.repositoryIndex()) + "\n")

    let group = ServiceGroup(
      configuration: .init(
        services: [.init(service: server)],
        gracefulShutdownSignals: [.sigterm, .sigint],
        logger: logger))
    do {
      try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        tasks.addTask {
          let port = try await server.grpcPort()
          let ready = server.runtime.repositoryIndex(readyOnly: true).count
          let metrics = await server.metricsPort().map { "\(host):\($0)/metrics" } ?? "off"
          let http = await server.httpPort().map { "\(host):\($0)" } ?? "off"
          logger.info(
            "serving",
            metadata: [
              "grpc": "\(host):\(port)", "http": "\(http)", "metrics": "\(metrics)", "models_ready": "\(ready)",
            ])
        }
        try await tasks.waitForAll()
      }
    } catch {
      let detail = String(describing: error)
      let hint =
        detail.contains("Address already in use")
        ? "port \(grpcPort) is in use by another process; stop it or choose another --grpc-port"
        : "see the error above"
      logger.critical("cannot serve gRPC on \(host):\(grpcPort): \(detail)", metadata: ["hint": "\(hint)"])
      throw ExitCode(1)
    }
    // Every listener has finished: these counts are final. A gateway test or an operator matches them with
    // what clients and the gateway saw (dev/gateway-chaos.py counts duplicated executions this way).
    for statistics in (try? server.runtime.statistics(name: "", version: "")) ?? []
    where statistics.success.count + statistics.fail.count > 0 {
      logger.info(
        "final statistics",
        metadata: [
          "model": "\(statistics.name)", "version": "\(statistics.version)",
          "success": "\(statistics.success.count)", "fail": "\(statistics.fail.count)",
          "executions": "\(statistics.executionCount)", "inferences": "\(statistics.inferenceCount)",
        ])
    }
    logger.info("stopped")
  }
}
