/// The dynamic batcher's policy as plain data, read from config.pbtxt's `dynamic_batching` block.
/// Times are nanoseconds on the batcher's monotonic clock.
public struct BatchingPolicy: Sendable, Equatable {
  /// What happens to a request whose queue timeout expires before it is scheduled.
  public enum TimeoutAction: Sendable, Equatable {
    /// Fail it with UNAVAILABLE.
    case reject
    /// Keep it, behind every request of its priority level that has not timed out.
    case delay
  }

  /// A per-priority-level queue policy (Triton's `ModelQueuePolicy`).
  public struct QueuePolicy: Sendable, Equatable {
    /// Action on timeout.
    public var timeoutAction: TimeoutAction = .reject
    /// Default queue timeout; 0 means none.
    public var defaultTimeoutNanos: UInt64 = 0
    /// Whether a request's own `timeout` parameter replaces the default.
    public var allowTimeoutOverride = false
    /// Most requests waiting at this level; 0 means no level-specific limit.
    public var maxQueueSize: Int = 0

    /// Creates a queue policy.
    public init(
      timeoutAction: TimeoutAction = .reject, defaultTimeoutNanos: UInt64 = 0, allowTimeoutOverride: Bool = false,
      maxQueueSize: Int = 0
    ) {
      self.timeoutAction = timeoutAction
      self.defaultTimeoutNanos = defaultTimeoutNanos
      self.allowTimeoutOverride = allowTimeoutOverride
      self.maxQueueSize = maxQueueSize
    }
  }

  /// `max_batch_size`: rows one execution may hold.
  public var maxBatchSize: Int
  /// `preferred_batch_size`, ascending.
  public var preferredBatchSizes: [Int]
  /// `max_queue_delay_microseconds`, in nanoseconds: how long the oldest request may wait for a batch to fill.
  public var maxQueueDelayNanos: UInt64
  /// `preserve_ordering`: responses leave in arrival order.
  public var preserveOrdering: Bool
  /// `priority_levels` (1 when priorities are not used). Level 1 is served first.
  public var priorityLevels: Int
  /// `default_priority_level` for requests without a priority (1...priorityLevels).
  public var defaultPriorityLevel: Int
  /// Queue policy per level (index 0 is level 1).
  public var queuePolicies: [QueuePolicy]
  /// A bound on all waiting requests together, whatever the level policies say (bounded queues everywhere).
  public var maxTotalQueueSize: Int

  /// Creates a policy.
  public init(
    maxBatchSize: Int, preferredBatchSizes: [Int] = [], maxQueueDelayNanos: UInt64 = 0,
    preserveOrdering: Bool = false, priorityLevels: Int = 1, defaultPriorityLevel: Int = 1,
    queuePolicies: [QueuePolicy]? = nil, maxTotalQueueSize: Int = 4096
  ) {
    self.maxBatchSize = max(maxBatchSize, 1)
    self.preferredBatchSizes = preferredBatchSizes.filter { $0 > 0 && $0 <= max(maxBatchSize, 1) }.sorted()
    self.maxQueueDelayNanos = maxQueueDelayNanos
    self.preserveOrdering = preserveOrdering
    self.priorityLevels = max(priorityLevels, 1)
    self.defaultPriorityLevel = min(max(defaultPriorityLevel, 1), max(priorityLevels, 1))
    self.queuePolicies = queuePolicies ?? Array(repeating: QueuePolicy(), count: max(priorityLevels, 1))
    self.maxTotalQueueSize = maxTotalQueueSize
  }

  /// The queue policy of a level (1-based).
  public func queuePolicy(level: Int) -> QueuePolicy {
    queuePolicies[min(max(level, 1), queuePolicies.count) - 1]
  }
}
