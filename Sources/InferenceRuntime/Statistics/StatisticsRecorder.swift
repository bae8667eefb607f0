internal import Synchronization

/// Thread-safe accumulator of one model version's ``ModelStatistics``.
public final class StatisticsRecorder: Sendable {
  private let stats: Mutex<ModelStatistics>

  /// Creates a recorder.
  public init(name: String, version: String) {
    self.stats = Mutex(ModelStatistics(name: name, version: version))
  }

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

  /// Records a failed request.
  /// - Parameter totalNanos: Time from arrival to failure.
  public func recordFailure(totalNanos: UInt64) {
    stats.withLock { $0.fail.add(totalNanos) }
  }
}
