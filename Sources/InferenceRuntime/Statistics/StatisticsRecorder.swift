public import CoreMetrics
internal import Synchronization

/// Thread-safe accumulator of one model version's ``ModelStatistics``.
public final class StatisticsRecorder: Sendable {
  private let stats: Mutex<ModelStatistics>
  private let metrics: ModelMetrics?
  private let summaries: (registry: LatencySummaryRegistry, series: ModelLatencySummaries)?
  private let summariesReleased = Atomic<Bool>(false)

  /// Creates a recorder.
  /// - Parameters:
  ///   - name: Model name.
  ///   - version: Version.
  ///   - metricsFactory: Where the Triton-named metrics go (`nil`: statistics only).
  ///   - latencySummaries: Where the latency summaries go (`nil`: none); the recorder holds its model
  ///     version's series until ``releaseLatencySummaries()``.
  public init(
    name: String, version: String, metricsFactory: (any MetricsFactory)? = nil,
    latencySummaries: LatencySummaryRegistry? = nil, responseCache: Bool = false
  ) {
    self.stats = Mutex(ModelStatistics(name: name, version: version))
    self.metrics = metricsFactory.map { ModelMetrics(model: name, version: version, factory: $0, cache: responseCache) }
    self.summaries = latencySummaries.map { (registry: $0, series: $0.acquire(model: name, version: version)) }
  }

  /// Gives the latency summary series back to the registry (the version is retired: once no newer load of
  /// the same version holds them, they leave `/metrics`, as Triton's do on unload). Idempotent.
  public func releaseLatencySummaries() {
    guard let summaries, !summariesReleased.exchange(true, ordering: .relaxed) else { return }
    summaries.registry.release(summaries.series)
  }

  /// A request arrived (pending count +1).
  public func arrived() { metrics?.arrived() }

  /// A request was answered or failed (pending count -1).
  public func left() { metrics?.left() }

  /// The current totals.
  public var snapshot: ModelStatistics { stats.withLock { $0 } }

  /// Records a successful request, as Triton does: `inference_count` grows by its rows, `success` by its
  /// time in the server, `queue` by its wait, and each compute phase by the phase of the execution that
  /// carried it (a request in a batch of several is charged the whole batch's compute time).
  /// - Parameters:
  ///   - rows: Rows in the request (1 for models without batching).
  ///   - totalNanos: Time from arrival to response.
  ///   - queueNanos: Time waiting for an instance or a batch.
  ///   - timings: Compute phases of its execution.
  ///   - nowMillis: Wall-clock time for `last_inference`.
  public func recordRequest(
    rows: UInt64, totalNanos: UInt64, queueNanos: UInt64, timings: ComputeTimings, nowMillis: UInt64
  ) {
    metrics?.succeeded(rows: Int(rows), totalNanos: totalNanos, queueNanos: queueNanos, timings: timings)
    summaries?.series.observe(totalNanos: totalNanos, queueNanos: queueNanos, timings: timings)
    stats.withLock { s in
      s.inferenceCount &+= rows
      s.lastInferenceMillis = nowMillis
      s.success.add(totalNanos)
      s.queue.add(queueNanos)
      s.computeInput.add(timings.inputNanos)
      s.computeInfer.add(timings.inferNanos)
      s.computeOutput.add(timings.outputNanos)
    }
  }

  /// Records one model execution: `execution_count` and the `batch_stats` entry of its batch size.
  /// - Parameters:
  ///   - batchSize: Rows executed together.
  ///   - timings: Compute phases.
  public func recordExecution(batchSize: UInt64, timings: ComputeTimings) {
    metrics?.executed()
    stats.withLock { s in
      s.executionCount &+= 1
      let index: Int
      if let existing = s.batchStatistics.firstIndex(where: { $0.batchSize == batchSize }) {
        index = existing
      } else {
        let position = s.batchStatistics.firstIndex { $0.batchSize > batchSize } ?? s.batchStatistics.endIndex
        s.batchStatistics.insert(BatchStatistics(batchSize: batchSize), at: position)
        index = position
      }
      s.batchStatistics[index].computeInput.add(timings.inputNanos)
      s.batchStatistics[index].computeInfer.add(timings.inferNanos)
      s.batchStatistics[index].computeOutput.add(timings.outputNanos)
    }
  }

  /// Records a request answered from the response cache, as Triton counts one: `success` (its time in the
  /// server), `queue` (count; no wait), `inference_count` by its rows and `cache_hit` (the lookup), no
  /// execution and no compute time.
  public func recordCacheHit(rows: UInt64, totalNanos: UInt64, lookupNanos: UInt64, nowMillis: UInt64) {
    metrics?.cacheHit(rows: Int(rows), totalNanos: totalNanos, lookupNanos: lookupNanos)
    stats.withLock { s in
      s.inferenceCount &+= rows
      s.lastInferenceMillis = nowMillis
      s.success.add(totalNanos)
      s.queue.add(0)
      s.cacheHit.add(lookupNanos)
    }
  }

  /// Records a cache miss: `cache_miss` counts it with the time of the lookup and of storing the answer.
  public func recordCacheMiss(nanos: UInt64) {
    metrics?.cacheMiss(nanos: nanos)
    stats.withLock { $0.cacheMiss.add(nanos) }
  }

  /// Records a failed request.
  /// - Parameters:
  ///   - totalNanos: Time from arrival to failure.
  ///   - reason: Why, for the metrics' `reason` label.
  public func recordFailure(totalNanos: UInt64, reason: FailureReason = .other) {
    metrics?.failed(reason)
    stats.withLock { $0.fail.add(totalNanos) }
  }
}
