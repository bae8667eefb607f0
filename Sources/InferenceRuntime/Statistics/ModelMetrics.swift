internal import CoreMetrics
public import KServeProtocol
internal import Synchronization

/// One model version's metrics under Triton's names and labels (`model`, `version`), emitted through the
/// swift-metrics API; the server exports them in Prometheus format on `/metrics`. Handles are created
/// once per model version, off the hot path.
///
/// | metric | kind | unit |
/// |---|---|---|
/// | `nv_inference_request_success` | counter | requests |
/// | `nv_inference_request_failure` | counter | requests, with Triton's `reason` label (`REJECTED`, `CANCELED`, `BACKEND`, `OTHER`) |
/// | `nv_inference_count` / `nv_inference_exec_count` | counter | inferences (rows) / executions |
/// | `nv_inference_pending_request_count` | gauge | requests received and not yet answered |
/// | `nv_inference_request_duration_us` | counter | µs, successful requests end to end in the server |
/// | `nv_inference_queue_duration_us` | counter | µs |
/// | `nv_inference_compute_input_duration_us`, `…_infer_…`, `…_output_…` | counter | µs |
/// | `nv_cache_num_hits_per_model`, `nv_cache_num_misses_per_model` | counter | requests (models using the response cache) |
/// | `nv_cache_hit_duration_per_model`, `nv_cache_miss_duration_per_model` | counter | µs of lookups (and insertions) |
final class ModelMetrics: Sendable {
  private let success: CoreMetrics.Counter
  private let failures: [FailureReason: CoreMetrics.Counter]
  private let inferences: CoreMetrics.Counter
  private let executions: CoreMetrics.Counter
  private let pendingGauge: CoreMetrics.Gauge
  private let requestMicros: CoreMetrics.Counter
  private let queueMicros: CoreMetrics.Counter
  private let inputMicros: CoreMetrics.Counter
  private let inferMicros: CoreMetrics.Counter
  private let outputMicros: CoreMetrics.Counter
  private let pending = Atomic<Int>(0)
  private let cache:
    (
      hits: CoreMetrics.Counter, misses: CoreMetrics.Counter, hitMicros: CoreMetrics.Counter,
      missMicros: CoreMetrics.Counter
    )?

  init(model: String, version: String, factory: any MetricsFactory, cache: Bool = false) {
    let labels = [("model", model), ("version", version)]
    func counter(_ name: String) -> CoreMetrics.Counter { Counter(label: name, dimensions: labels, factory: factory) }
    success = counter("nv_inference_request_success")
    var failures: [FailureReason: CoreMetrics.Counter] = [:]
    for reason in FailureReason.allCases {
      failures[reason] = Counter(
        label: "nv_inference_request_failure", dimensions: labels + [("reason", reason.rawValue)], factory: factory)
    }
    self.failures = failures
    inferences = counter("nv_inference_count")
    executions = counter("nv_inference_exec_count")
    pendingGauge = Gauge(label: "nv_inference_pending_request_count", dimensions: labels, factory: factory)
    requestMicros = counter("nv_inference_request_duration_us")
    queueMicros = counter("nv_inference_queue_duration_us")
    inputMicros = counter("nv_inference_compute_input_duration_us")
    inferMicros = counter("nv_inference_compute_infer_duration_us")
    outputMicros = counter("nv_inference_compute_output_duration_us")
    self.cache =
      cache
      ? (
        counter("nv_cache_num_hits_per_model"), counter("nv_cache_num_misses_per_model"),
        counter("nv_cache_hit_duration_per_model"), counter("nv_cache_miss_duration_per_model")
      ) : nil
    pendingGauge.record(0)
  }

  func arrived() { pendingGauge.record(pending.add(1, ordering: .relaxed).newValue) }

  func left() { pendingGauge.record(pending.subtract(1, ordering: .relaxed).newValue) }

  func succeeded(rows: Int, totalNanos: UInt64, queueNanos: UInt64, timings: ComputeTimings) {
    success.increment()
    inferences.increment(by: rows)
    requestMicros.increment(by: Int(clamping: totalNanos / 1_000))
    queueMicros.increment(by: Int(clamping: queueNanos / 1_000))
    inputMicros.increment(by: Int(clamping: timings.inputNanos / 1_000))
    inferMicros.increment(by: Int(clamping: timings.inferNanos / 1_000))
    outputMicros.increment(by: Int(clamping: timings.outputNanos / 1_000))
  }

  func failed(_ reason: FailureReason) { failures[reason]?.increment() }

  func executed() { executions.increment() }

  func cacheHit(rows: Int, totalNanos: UInt64, lookupNanos: UInt64) {
    success.increment()
    inferences.increment(by: rows)
    requestMicros.increment(by: Int(clamping: totalNanos / 1_000))
    cache?.hits.increment()
    cache?.hitMicros.increment(by: Int(clamping: lookupNanos / 1_000))
  }

  func cacheMiss(nanos: UInt64) {
    cache?.misses.increment()
    cache?.missMicros.increment(by: Int(clamping: nanos / 1_000))
  }
}

/// Why a request failed, as Triton's `reason` label of `nv_inference_request_failure` says.
public enum FailureReason: String, Sendable, CaseIterable {
  /// Refused by the scheduler: queue full, queue timeout, model unloading.
  case rejected = "REJECTED"
  /// Cancelled by the client.
  case canceled = "CANCELED"
  /// The model execution failed.
  case backend = "BACKEND"
  /// Anything else (invalid input, …).
  case other = "OTHER"

  /// The reason for a failure with this status code.
  public init(_ code: InferenceError.Code) {
    switch code {
    case .unavailable, .resourceExhausted: self = .rejected
    case .cancelled, .deadlineExceeded: self = .canceled
    case .internal: self = .backend
    default: self = .other
    }
  }
}
