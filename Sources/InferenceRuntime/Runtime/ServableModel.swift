internal import KServeProtocol
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
  let instances: [any ModelInstance]

  init(
    name: String, version: Int64, config: Inference_ModelConfig, instances: [any ModelInstance], maxQueueSize: Int,
    inlineExecutionLimit: Duration
  ) {
    let description = "model '\(name)' version \(version)"
    self.name = name
    self.version = version
    self.config = config
    self.instances = instances
    self.validator = RequestValidator(config: config, modelDescription: description)
    self.scheduler = InstanceScheduler(
      instanceCount: instances.count, maxQueueSize: maxQueueSize, modelDescription: description)
    self.statistics = StatisticsRecorder(name: name, version: String(version))
    self.placement = ExecutionPlacement(
      instanceCount: instances.count, inlineLimit: inlineExecutionLimit, label: "\(name).\(version)")
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
