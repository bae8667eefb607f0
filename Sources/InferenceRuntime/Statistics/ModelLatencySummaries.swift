/// One model version's latency summaries: Triton's five `nv_inference_*_summary_us`, fed with every successful
/// request in µs (truncated, as the `_duration_us` counters, so each `_sum` equals its counter).
public final class ModelLatencySummaries: Sendable {
  /// The summaries, named as Triton names them.
  public enum Metric: Int, Sendable, CaseIterable {
    /// `nv_inference_request_summary_us`: arrival to response.
    case request
    /// `nv_inference_queue_summary_us`: waiting for an instance or a batch.
    case queue
    /// `nv_inference_compute_input_summary_us`: input phase of the execution that carried the request.
    case computeInput
    /// `nv_inference_compute_infer_summary_us`: inference phase.
    case computeInfer
    /// `nv_inference_compute_output_summary_us`: output phase.
    case computeOutput

    /// The Prometheus metric name.
    public var name: String {
      switch self {
      case .request: "nv_inference_request_summary_us"
      case .queue: "nv_inference_queue_summary_us"
      case .computeInput: "nv_inference_compute_input_summary_us"
      case .computeInfer: "nv_inference_compute_infer_summary_us"
      case .computeOutput: "nv_inference_compute_output_summary_us"
      }
    }

    /// The `# HELP` text.
    public var help: String {
      switch self {
      case .request: "Summary of inference request duration in microseconds"
      case .queue: "Summary of inference queuing duration in microseconds"
      case .computeInput: "Summary of compute input duration in microseconds"
      case .computeInfer: "Summary of compute inference duration in microseconds"
      case .computeOutput: "Summary of compute output duration in microseconds"
      }
    }
  }

  /// Model name (the `model` label).
  public let model: String
  /// Version (the `version` label).
  public let version: String
  /// One summary per ``Metric``, indexed by its raw value.
  private let summaries: [SlidingWindowSummary]

  init(model: String, version: String, configuration: LatencySummaryConfiguration, origin: ContinuousClock.Instant) {
    self.model = model
    self.version = version
    self.summaries = Metric.allCases.map { _ in
      SlidingWindowSummary(
        quantiles: configuration.quantiles.map(\.quantile), maxAge: configuration.maxAge,
        ageBuckets: configuration.ageBuckets, origin: origin)
    }
  }

  /// The summary of one metric.
  public func summary(_ metric: Metric) -> SlidingWindowSummary { summaries[metric.rawValue] }

  /// Records a successful request.
  /// - Parameters:
  ///   - totalNanos: Arrival to response.
  ///   - queueNanos: Waiting time.
  ///   - timings: Compute phases of its execution.
  ///   - now: When it finished.
  public func observe(
    totalNanos: UInt64, queueNanos: UInt64, timings: ComputeTimings, at now: ContinuousClock.Instant = .now
  ) {
    summaries[Metric.request.rawValue].observe(totalNanos / 1_000, at: now)
    summaries[Metric.queue.rawValue].observe(queueNanos / 1_000, at: now)
    summaries[Metric.computeInput.rawValue].observe(timings.inputNanos / 1_000, at: now)
    summaries[Metric.computeInfer.rawValue].observe(timings.inferNanos / 1_000, at: now)
    summaries[Metric.computeOutput.rawValue].observe(timings.outputNanos / 1_000, at: now)
  }
}
