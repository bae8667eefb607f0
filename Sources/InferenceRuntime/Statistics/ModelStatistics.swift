/// A count and total duration, as Triton's `StatisticDuration`.
public struct StatisticDuration: Sendable, Equatable {
  /// Number of occurrences.
  public var count: UInt64 = 0
  /// Total time in nanoseconds.
  public var nanoseconds: UInt64 = 0

  /// Creates an empty duration.
  public init() {}

  mutating func add(_ ns: UInt64, count: UInt64 = 1) {
    self.count &+= count
    self.nanoseconds &+= ns
  }
}

/// Per-batch-size statistics of executions, as Triton's `InferBatchStatistics`.
public struct BatchStatistics: Sendable, Equatable {
  /// The batch size executed.
  public var batchSize: UInt64
  /// Input preparation time.
  public var computeInput = StatisticDuration()
  /// Engine time.
  public var computeInfer = StatisticDuration()
  /// Output collection time.
  public var computeOutput = StatisticDuration()
}

/// Cumulative statistics of one model version, shaped as Triton's `ModelStatistics` so that SONIC-style
/// clients can compute server overhead from them.
///
/// `success` covers the whole request inside the server (queue + compute); `queue` and the three
/// `compute*` durations add up to no more than it. `inferenceCount` counts inferences (batch rows),
/// `executionCount` counts model executions.
public struct ModelStatistics: Sendable, Equatable {
  /// Model name.
  public var name: String
  /// Version as a string.
  public var version: String
  /// Milliseconds since the epoch of the last inference (0 if none).
  public var lastInferenceMillis: UInt64 = 0
  /// Inferences performed (a batch of 8 counts 8).
  public var inferenceCount: UInt64 = 0
  /// Model executions performed.
  public var executionCount: UInt64 = 0
  /// Successful requests, end to end inside the server.
  public var success = StatisticDuration()
  /// Failed requests.
  public var fail = StatisticDuration()
  /// Time waiting for an instance.
  public var queue = StatisticDuration()
  /// Input preparation time.
  public var computeInput = StatisticDuration()
  /// Engine time.
  public var computeInfer = StatisticDuration()
  /// Output collection time.
  public var computeOutput = StatisticDuration()
  /// Requests answered from the response cache, with the time of their lookups.
  public var cacheHit = StatisticDuration()
  /// Requests the response cache did not hold, with the time of their lookups and insertions.
  public var cacheMiss = StatisticDuration()
  /// Per executed batch size, ascending.
  public var batchStatistics: [BatchStatistics] = []

  /// Creates empty statistics.
  public init(name: String, version: String) {
    self.name = name
    self.version = version
  }
}
