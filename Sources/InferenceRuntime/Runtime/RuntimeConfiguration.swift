#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// Settings of the runtime core. Plain data; the CLI fills it from flags.
public struct RuntimeConfiguration: Sendable {
  /// Model repository directories.
  public var repositories: [URL]
  /// Largest total of input tensor bytes one request may carry.
  public var maxRequestBytes: Int
  /// Requests that may wait for a busy model version before new ones are rejected with UNAVAILABLE.
  public var maxQueueSizePerModel: Int
  /// Executions whose moving-average duration is below this run inline on the request's thread; longer
  /// ones run on the instance's own thread (see ``ExecutionPlacement``).
  public var inlineExecutionLimit: Duration = .microseconds(500)
  /// Triton's `--strict-readiness`: readiness also requires that no model failed to load. Off by default in
  /// Offload (Triton's default is on): a model that fails is reported in the repository index and its
  /// requests get UNAVAILABLE, while the other models keep the server in rotation.
  public var strictReadiness = false
  /// How models are loaded and unloaded. The library's default loads everything at start and accepts
  /// load/unload requests; `offload serve` defaults to Triton's `none`.
  public var modelControl: ModelControlMode = .explicit(startupModels: nil)
  /// Whether clients may register system shared-memory regions and pass tensors through them
  /// (Triton's `--allow-client-shm`, off by default there too).
  public var allowClientSharedMemory = false
  /// Triton's latency summaries (`nv_inference_request_summary_us`, …, with `quantile` labels over a sliding
  /// window; `--metrics-config summary_latencies=true`); `nil`, the default as in Triton, records none.
  /// They appear on `/metrics` only where the server's metrics are enabled.
  public var latencySummaries: LatencySummaryConfiguration? = nil
  /// Bytes of the response cache shared by the models whose config enables it (`response_cache { enable:
  /// true }`), Triton's `--cache-config local,size=BYTES`; 0: no cache (the models' setting is then ignored,
  /// with a warning at load, as Triton does).
  public var responseCacheBytes = 0

  /// Creates a configuration.
  /// - Parameters:
  ///   - repositories: Model repository directories.
  ///   - maxRequestBytes: Request size limit (default 256 MiB).
  ///   - maxQueueSizePerModel: Wait-queue bound per model version (default 4096).
  public init(repositories: [URL], maxRequestBytes: Int = 256 << 20, maxQueueSizePerModel: Int = 4096) {
    self.repositories = repositories
    self.maxRequestBytes = maxRequestBytes
    self.maxQueueSizePerModel = maxQueueSizePerModel
  }
}
