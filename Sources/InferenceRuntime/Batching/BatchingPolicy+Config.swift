public import TritonModelConfig

extension BatchingPolicy {
  /// The policy of a config's `dynamic_batching` block, or `nil` when the model does not batch dynamically
  /// (no block, or `max_batch_size` 0).
  /// - Parameters:
  ///   - config: The completed model configuration.
  ///   - maxTotalQueueSize: The server-wide bound on waiting requests per model version.
  public init?(config: Inference_ModelConfig, maxTotalQueueSize: Int) {
    guard case .dynamicBatching(let block)? = config.schedulingChoice, config.maxBatchSize > 0 else { return nil }
    let levels = max(Int(clamping: block.priorityLevels), 1)
    func convert(_ policy: Inference_ModelQueuePolicy) -> QueuePolicy {
      QueuePolicy(
        timeoutAction: policy.timeoutAction == .delay ? .delay : .reject,
        defaultTimeoutNanos: policy.defaultTimeoutMicroseconds &* 1_000,
        allowTimeoutOverride: policy.allowTimeoutOverride,
        maxQueueSize: Int(clamping: policy.maxQueueSize))
    }
    let base = block.hasDefaultQueuePolicy ? convert(block.defaultQueuePolicy) : QueuePolicy()
    let policies = (1...levels).map { level in block.priorityQueuePolicy[UInt64(level)].map(convert) ?? base }
    self.init(
      maxBatchSize: Int(config.maxBatchSize),
      preferredBatchSizes: block.preferredBatchSize.map(Int.init),
      maxQueueDelayNanos: block.maxQueueDelayMicroseconds &* 1_000,
      preserveOrdering: block.preserveOrdering,
      priorityLevels: levels,
      defaultPriorityLevel: block.defaultPriorityLevel == 0 ? levels : Int(clamping: block.defaultPriorityLevel),
      queuePolicies: policies,
      maxTotalQueueSize: maxTotalQueueSize)
  }
}
