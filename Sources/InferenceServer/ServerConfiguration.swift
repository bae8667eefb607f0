public import InferenceRuntime

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// Everything `offload serve` can be told, as plain data with documented defaults
/// (see docs/configuration.md). The CLI fills it from flags and the environment.
public struct ServerConfiguration: Sendable {
  /// gRPC endpoint settings.
  public struct GRPC: Sendable {
    /// Address to bind (`0.0.0.0` serves every interface).
    public var host: String = "0.0.0.0"
    /// Port; 0 picks a free one (tests).
    public var port: Int = 8001
    /// Largest gRPC request message (as sent, and after decompression): a message prefix announcing more is
    /// answered RESOURCE_EXHAUSTED before its bytes are buffered. Kept above
    /// ``RuntimeConfiguration/maxRequestBytes``, which the runtime checks with a message naming the model.
    public var maxTransportMessageBytes: Int = 512 << 20
    /// HTTP/2 flow-control window the server grants per stream and connection. Large, so a multi-MiB
    /// request needs no WINDOW_UPDATE round trips on the way (HTTP/2's default is 64 KiB).
    public var targetWindowSize: Int = 16 << 20
    /// Largest HTTP/2 frame the server accepts (HTTP/2's default is 16 KiB).
    public var maxFrameSize: Int = 1 << 20
    /// Calls one connection may have open at once (HTTP/2 `SETTINGS_MAX_CONCURRENT_STREAMS`); a client holds
    /// further calls until one ends. Lower values keep an overloading client's backlog on its side instead of
    /// in the server's connection (docs/reliability.md, "Overload with the real models").
    public var maxConcurrentStreams: Int = 128
    /// After a call is refused because its model's queue is full, its connection is not read again until the
    /// queue has drained to half its limit, for at most this many milliseconds; 0 reads on and refuses each
    /// request, as Triton does (docs/reliability.md, "Overload with the real models").
    public var overloadReadPauseMilliseconds: Int = 50
    /// Whether responses are compressed for clients that accept gzip/deflate (Triton's
    /// `--grpc-infer-response-compression-level`). `.none` by default, as Triton: tensors of floats hardly
    /// compress and compressing costs CPU on every call. Compressed requests are accepted either way.
    public var responseCompression: GRPCResponseCompression = .none
  }

  /// Triton's `--grpc-infer-response-compression-level` values. Offload compresses at zlib's default
  /// level, so `low`, `medium` and `high` all turn response compression on at that level.
  public enum GRPCResponseCompression: String, Sendable, CaseIterable {
    /// Responses are never compressed.
    case none
    /// Responses are compressed with the first algorithm the client accepts.
    case low, medium, high

    /// Whether responses may be compressed.
    public var compressesResponses: Bool { self != .none }
  }

  /// ONNX Runtime settings.
  public struct ONNXRuntime: Sendable {
    /// Path of `libonnxruntime.so`; `nil` uses the default search (see ``ONNXRuntimeLocator``).
    public var libraryPath: String?
    /// Threads of the intra-op pool shared by models that set no thread parameters; `nil`: one per core.
    public var sharedThreads: Int?
  }

  /// TLS for the gRPC and HTTP/REST endpoints (PEM files). Mutual TLS when ``clientCertificateAuthority``
  /// is set: clients must present a certificate signed by it.
  public struct TLS: Sendable, Equatable {
    /// PEM certificate chain the server presents (leaf first).
    public var certificateChainPath: String
    /// PEM private key of the leaf certificate.
    public var privateKeyPath: String
    /// PEM CA certificate(s) that client certificates must chain to; `nil`: no client certificate asked for.
    public var clientCertificateAuthorityPath: String?

    /// Creates TLS settings.
    public init(certificateChainPath: String, privateKeyPath: String, clientCertificateAuthorityPath: String? = nil) {
      self.certificateChainPath = certificateChainPath
      self.privateKeyPath = privateKeyPath
      self.clientCertificateAuthorityPath = clientCertificateAuthorityPath
    }
  }

  /// The runtime core's settings.
  public var runtime: RuntimeConfiguration
  /// TLS for gRPC and HTTP/REST; `nil` serves plaintext (the default, as Triton). The metrics port stays
  /// plaintext (aggregates only; see docs/security.md).
  public var tls: TLS?
  /// Restricted protocol groups on gRPC (Triton's `--grpc-restricted-protocol`); open by default.
  public var grpcAccessPolicy = AccessPolicy.open
  /// Restricted protocol groups on HTTP/REST (Triton's `--http-restricted-api`); open by default.
  public var httpAccessPolicy = AccessPolicy.open
  /// gRPC endpoint.
  public var grpc = GRPC()
  /// Whether the server's tasks run on SwiftNIO's event loops (the default): a gRPC call on its connection's
  /// loop, everything else (HTTP requests, batcher timers) on the loop that woke it, so reading a request,
  /// running it and writing its answer need no thread wake-up. `false`: on Swift's global executor.
  public var tasksOnEventLoops = true
  /// ONNX Runtime.
  public var onnxRuntime = ONNXRuntime()
  /// HTTP/REST port (KServe v2 with Triton's binary tensor extension, bound on the gRPC host); 0 picks a
  /// free port.
  public var httpPort: Int = 8000
  /// Whether the HTTP/REST front end runs (Triton's `--allow-http`).
  public var httpEnabled = true
  /// How long the server keeps serving after a graceful-shutdown signal with readiness already false, so
  /// load balancers and Kubernetes stop routing to it before it refuses connections (0: drain at once).
  public var drainDelay: Duration = .zero
  /// Largest HTTP request body (JSON tensors are several times larger than their raw bytes); larger ones
  /// get 413.
  public var httpMaxBodyBytes: Int = 512 << 20
  /// Prometheus metrics port (`GET /metrics`, bound on the gRPC host); 0 picks a free port.
  public var metricsPort: Int = 8002
  /// Whether the metrics endpoint runs and models record metrics (Triton's `--allow-metrics`).
  public var metricsEnabled = true
  /// How often the per-interval metrics are sampled (Triton's `--metrics-interval-ms`, 2 s): host CPU
  /// utilization over the last interval and host memory. Per-request metrics and the process gauges are
  /// current at every scrape.
  public var metricsInterval: Duration = .seconds(2)
  /// Whether test backends are registered: ``FaultInjectionBackend`` (`backend: "fault"`), which fails,
  /// hangs or slows down on demand. For fault, overload and soak tests only (`--enable-test-backends`).
  public var enableTestBackends = false
  /// The log settings the log handler reads, changed at run time by the LogSettings RPC and `/v2/logging`;
  /// `nil`: the server's own, fixed at its logger's level (`offload serve` passes the one its handler reads).
  public var logSettings: LogSettingsStore?

  /// The defaults for a set of repositories, adjusted by `configure`.
  /// - Parameters:
  ///   - repositories: Model repository directories.
  ///   - configure: Changes to the defaults.
  public static func defaults(repositories: [URL], configure: (inout Self) -> Void = { _ in }) -> Self {
    var config = Self(runtime: RuntimeConfiguration(repositories: repositories))
    configure(&config)
    return config
  }
}
