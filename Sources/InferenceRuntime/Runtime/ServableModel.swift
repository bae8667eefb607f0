internal import CoreMetrics
internal import KServeProtocol
internal import Synchronization
public import TritonModelConfig

/// A loaded, ready model version: its configuration, instances, scheduler and statistics.
public final class ServableModel: Sendable {
  /// Model name.
  public let name: String
  /// Version number.
  public let version: Int64
  /// The completed configuration.
  public let config: Inference_ModelConfig
  /// Checks requests against the configuration.
  public let validator: RequestValidator
  /// Shares the instances among requests.
  public let scheduler: InstanceScheduler
  /// Statistics.
  public let statistics: StatisticsRecorder
  /// Where executions run (inline or on the instance's thread).
  public let placement: ExecutionPlacement
  /// The dynamic batcher, when the config has a `dynamic_batching` block.
  public let batcher: DynamicBatchScheduler?
  /// The sequence batcher of a stateful model (`sequence_batching`).
  public let sequencer: SequenceBatchScheduler?
  /// The data flow of an ensemble (`platform: "ensemble"`), which has no instances of its own.
  public let ensemble: EnsemblePlan?
  let instances: [any ModelInstance]
  /// `model 'name' version N`, for messages.
  let description: String
  /// Class labels per output (`label_filename`), for the classification extension.
  let labels: [String: [String]]
  /// config.pbtxt `reshape` of inputs and outputs.
  let reshape: TensorReshape
  /// Set by ``retire()``: a request it rejects may be sent to the version that replaced it.
  let retired = Atomic<Bool>(false)
  /// The server's response cache when this model enables it.
  let responseCache: ResponseCache?
  /// This load's identity in cache keys (a reload never reuses the answers of the one it replaced).
  let cacheOwner: UInt64
  private static let loads = Atomic<UInt64>(0)

  init(
    name: String, version: Int64, config: Inference_ModelConfig, instances: [any ModelInstance], maxQueueSize: Int,
    inlineExecutionLimit: Duration, metricsFactory: (any MetricsFactory)?, latencySummaries: LatencySummaryRegistry?,
    responseCache: ResponseCache? = nil, labels: [String: [String]] = [:], ensemble: EnsemblePlan? = nil,
    sequence: SequencePolicy? = nil
  ) {
    self.ensemble = ensemble
    self.responseCache = responseCache
    self.cacheOwner = Self.loads.add(1, ordering: .relaxed).newValue
    let description = "model '\(name)' version \(version)"
    self.description = description
    self.labels = labels
    self.reshape = TensorReshape(config: config)
    self.name = name
    self.version = version
    self.config = config
    self.instances = instances
    self.validator = RequestValidator(config: config, modelDescription: description)
    let placement = ExecutionPlacement(
      instanceCount: instances.count, inlineLimit: inlineExecutionLimit, label: "\(name).\(version)")
    self.placement = placement
    // Refusing is dear next to executions that run inline (under the inline limit, 500 µs by default): there
    // a full queue makes the front ends apply backpressure instead of refusing all they read.
    let dear: @Sendable () -> Bool = { placement.choice == .inline }
    self.scheduler = InstanceScheduler(
      instanceCount: instances.count, maxQueueSize: maxQueueSize, modelDescription: description,
      room: QueueRoom(refusalsAreDear: dear))
    let statistics = StatisticsRecorder(
      name: name, version: String(version), metricsFactory: metricsFactory, latencySummaries: latencySummaries,
      responseCache: responseCache != nil)
    self.statistics = statistics
    self.sequencer = sequence.map { policy in
      SequenceBatchScheduler(policy: policy, statistics: statistics, modelDescription: description) {
        index, inputs, outputs in
        try await ServableModel.execute(instances[index], index, placement, inputs, outputs)
      }
    }
    self.batcher = BatchingPolicy(config: config, maxTotalQueueSize: maxQueueSize).map { policy in
      DynamicBatchScheduler(
        policy: policy, instanceCount: instances.count, statistics: statistics, modelDescription: description,
        room: QueueRoom(refusalsAreDear: dear)
      ) { index, inputs, outputs in
        try await ServableModel.execute(instances[index], index, placement, inputs, outputs)
      }
    }
  }

  /// Stops admitting requests (new ones get UNAVAILABLE, or go to the version that replaced this one).
  /// Draining (unload, reload), requests already waiting still run, as Triton lets a model's accepted
  /// requests finish before it goes away; otherwise (server shutdown, after the front ends drained) those
  /// still waiting are rejected with UNAVAILABLE. Executions in progress finish either way.
  /// Its latency summaries leave `/metrics` unless a newer load of the same version holds them.
  func retire(draining: Bool = true) async {
    retired.store(true, ordering: .releasing)
    if draining {
      scheduler.drain()
      batcher?.drain()
      sequencer?.drain()
    } else {
      scheduler.close()
      await batcher?.close()
      await sequencer?.close()
    }
    statistics.releaseLatencySummaries()
    responseCache?.removeAll(owner: cacheOwner)
  }

  /// Runs one execution where the placement says and feeds its duration back to the placement.
  static func execute(
    _ instance: any ModelInstance, _ index: Int, _ placement: ExecutionPlacement, _ inputs: [InferenceTensor],
    _ outputs: [OutputSpec]
  ) async throws -> ExecutionResult {
    let result = try await placement.run(instance: index) { try instance.execute(inputs: inputs, outputs: outputs) }
    let t = result.timings
    placement.record(executionNanos: t.inputNanos + t.inferNanos + t.outputNanos)
    return result
  }

  /// Runs one execution for one request on an instance it acquired from ``scheduler`` (the path without
  /// dynamic batching), and gives the instance back when the execution has really ended. A cancelled
  /// request stops waiting at once (see ``ExecutionPlacement/runAbandonable(instance:finished:_:)``); the
  /// instance stays busy until the engine returns.
  /// - Throws: `CancellationError` when the request was cancelled; otherwise the execution's error.
  func executeReleasing(
    instance index: Int, inputs: [InferenceTensor], outputs: [OutputSpec]
  ) async throws
    -> ExecutionResult
  {
    let (instance, placement, scheduler) = (instances[index], self.placement, self.scheduler)
    return try await placement.runAbandonable(instance: index, finished: { scheduler.release(index) }) {
      let result = try instance.execute(inputs: inputs, outputs: outputs)
      // Recorded where the execution ran, so an abandoned (hung) execution still teaches the placement.
      let t = result.timings
      placement.record(executionNanos: t.inputNanos + t.inferNanos + t.outputNanos)
      return result
    }
  }

  /// The metadata view of this version's configuration.
  public func metadata(versions: [String]) -> ModelMetadata {
    let batch: [Int64] = config.maxBatchSize > 0 ? [-1] : []
    return ModelMetadata(
      name: name,
      versions: versions,
      platform: config.platform,
      inputs: config.input.map {
        .init(name: $0.name, datatype: DataType(config: $0.dataType) ?? .bytes, shape: batch + $0.dims)
      },
      outputs: config.output.map {
        .init(name: $0.name, datatype: DataType(config: $0.dataType) ?? .bytes, shape: batch + $0.dims)
      })
  }
}
