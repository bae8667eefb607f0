internal import KServeProtocol
public import TritonModelConfig

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// Completes and checks a model's configuration as Triton does: picks the backend from `backend:`,
/// `platform:` or the model file, fills missing inputs/outputs and datatypes from the model's own
/// signature, applies the implicit batch dimension, and rejects configs that disagree with the model.
public struct ModelConfigCompleter: Sendable {
  /// Triton's default `max_batch_size` for a model without one whose tensors all start with a dynamic dimension.
  public static let defaultMaxBatchSize: Int32 = 4

  /// The result: a complete config and the backend that serves it.
  public struct Completed: Sendable {
    /// The completed configuration.
    public var config: Inference_ModelConfig
    /// The backend that will load it.
    public var backend: any InferenceBackend
    /// The model's declared signature.
    public var signature: ModelSignature
  }

  let backends: BackendRegistry

  /// Creates a completer over the available backends.
  public init(backends: BackendRegistry) {
    self.backends = backends
  }

  /// Completes a model's configuration.
  /// - Parameters:
  ///   - name: The model (directory) name.
  ///   - directory: The model directory.
  ///   - contents: What `config.pbtxt` held.
  ///   - versions: The version directories present.
  /// - Throws: ``InferenceError`` with the reason the model cannot be served.
  public func complete(
    name: String,
    directory: URL,
    contents: ModelConfigFile.Contents,
    versions: [Int64]
  ) throws -> Completed {
    var config = contents.config
    if config.name.isEmpty { config.name = name }
    guard config.name == name else {
      throw InferenceError(
        .invalidArgument,
        "config.pbtxt of model '\(name)' names it '\(config.name)'; the name must match the directory name")
    }
    guard
      let latest = VersionPolicy.select(config.hasVersionPolicy ? config.versionPolicy : nil, available: versions)
        .load.last ?? versions.last
    else {
      throw InferenceError(
        .notFound,
        "model '\(name)' has no version directories; put the model file in \(directory.path)/1/")
    }
    // The model file is looked up inside the version directory; a name with a path in it (from config.pbtxt or
    // a load request's config override) could read any file the server can.
    let file = config.defaultModelFilename
    guard file.isEmpty || Self.isPlainFileName(file) else {
      throw InferenceError(
        .invalidArgument,
        "model '\(name)': default_model_filename '\(file)' must be a file name inside the version directory, not a path"
      )
    }
    let backend = try resolveBackend(&config, directory: directory.appendingPathComponent(String(latest)))
    if config.defaultModelFilename.isEmpty { config.defaultModelFilename = backend.defaultModelFilename }
    let modelFile = directory.appendingPathComponent(String(latest)).appendingPathComponent(config.defaultModelFilename)
    guard FileManager.default.fileExists(atPath: modelFile.path) else {
      throw InferenceError(
        .notFound, "model '\(name)' version \(latest): model file \(modelFile.path) is missing")
    }
    let signature = try backend.signature(of: modelFile)
    try completeBatching(&config, signature: signature, contents: contents)
    // A stateful model's control and state tensors are the server's, not the client's: not in input/output.
    let server = SequencePolicy.serverTensors(of: config)
    for (names, declared, kind) in [
      (server.inputs, signature.inputs, "input"), (server.outputs, signature.outputs, "output"),
    ] {
      for tensor in names.sorted() where !declared.contains(where: { $0.name == tensor }) {
        throw InferenceError(
          .invalidArgument,
          "model '\(name)': sequence_batching names '\(tensor)' as a control or state \(kind), but the model has no "
            + "such \(kind); " + NameSuggestions.hint(for: tensor, in: declared.map(\.name), noun: "\(kind)s"))
      }
    }
    config.input = try completeTensors(
      config.input.map(ConfigTensor.init), from: signature.inputs.filter { !server.inputs.contains($0.name) },
      model: name, batched: config.maxBatchSize > 0, kind: "input"
    ).map(\.asInput)
    config.output = try completeTensors(
      config.output.map(ConfigTensor.init), from: signature.outputs.filter { !server.outputs.contains($0.name) },
      model: name, batched: config.maxBatchSize > 0,
      kind: "output"
    ).map(\.asOutput)
    try completeInstanceGroups(&config)
    try checkLimits(config)
    return Completed(config: config, backend: backend, signature: signature)
  }

  /// Most instances of one model version (all groups together).
  public static let maxInstances = 256
  /// Most dynamic-batching priority levels.
  public static let maxPriorityLevels = 1024

  /// Rejects values that fit the config's integer types but no server: found by fuzzing config.pbtxt, where a
  /// huge `priority_levels` trapped on conversion or exhausted memory, and a huge instance count would try to
  /// create that many engine sessions. A load request's config override takes the same path.
  private func checkLimits(_ config: Inference_ModelConfig) throws {
    let instances = config.instanceGroup.reduce(0) { $0 + Int($1.count) }
    guard instances <= Self.maxInstances else {
      throw InferenceError(
        .invalidArgument,
        "model '\(config.name)': instance_group asks for \(instances) instances; at most \(Self.maxInstances) per version"
      )
    }
    guard case .dynamicBatching(let block)? = config.schedulingChoice else { return }
    guard block.priorityLevels <= UInt64(Self.maxPriorityLevels) else {
      throw InferenceError(
        .invalidArgument,
        "model '\(config.name)': dynamic_batching priority_levels \(block.priorityLevels) is above the limit of "
          + "\(Self.maxPriorityLevels)")
    }
    let levels = max(block.priorityLevels, 1)
    guard block.defaultPriorityLevel <= levels else {
      throw InferenceError(
        .invalidArgument,
        "model '\(config.name)': dynamic_batching default_priority_level \(block.defaultPriorityLevel) is not one of "
          + "the \(levels) priority levels")
    }
    if let level = block.priorityQueuePolicy.keys.first(where: { $0 < 1 || $0 > levels }) {
      throw InferenceError(
        .invalidArgument,
        "model '\(config.name)': dynamic_batching priority_queue_policy names level \(level); levels are 1...\(levels)")
    }
  }

  private func resolveBackend(_ config: inout Inference_ModelConfig, directory: URL) throws -> any InferenceBackend {
    let available = backends.all.map(\.name).joined(separator: ", ")
    if !config.backend.isEmpty {
      guard let backend = backends.backend(named: config.backend) else {
        throw InferenceError(
          .invalidArgument,
          "model '\(config.name)' asks for backend '\(config.backend)', which this server does not have; available: \(available)"
            + backends.disabledBackendHint(for: config.backend)
        )
      }
      if config.platform.isEmpty, let platform = backend.platforms.first { config.platform = platform }
      return backend
    }
    if !config.platform.isEmpty {
      guard let backend = backends.backend(forPlatform: config.platform) else {
        let platforms = backends.all.flatMap(\.platforms).joined(separator: ", ")
        throw InferenceError(
          .invalidArgument,
          "model '\(config.name)' asks for platform '\(config.platform)', which this server does not serve; supported platforms: \(platforms)"
            + backends.disabledBackendHint(for: config.platform)
        )
      }
      config.backend = backend.name
      return backend
    }
    let file = config.defaultModelFilename
    for backend in backends.all
    where FileManager.default.fileExists(
      atPath: directory.appendingPathComponent(file.isEmpty ? backend.defaultModelFilename : file).path)
    {
      if file.isEmpty || file == backend.defaultModelFilename {
        config.backend = backend.name
        if let platform = backend.platforms.first { config.platform = platform }
        return backend
      }
    }
    let wanted = backends.unregistered.first {
      FileManager.default.fileExists(atPath: directory.appendingPathComponent($0.modelFilename).path)
    }
    let hint = wanted.map { backends.disabledBackendHint(for: $0.name) } ?? ""
    throw InferenceError(
      .invalidArgument,
      "model '\(config.name)': cannot tell which backend serves it; set backend: \"onnxruntime\" in config.pbtxt (available: \(available))"
        + hint
    )
  }

  private func completeBatching(
    _ config: inout Inference_ModelConfig, signature: ModelSignature, contents: ModelConfigFile.Contents
  ) throws {
    guard config.maxBatchSize >= 0 else {
      throw InferenceError(
        .invalidArgument, "model '\(config.name)': max_batch_size must be >= 0, got \(config.maxBatchSize)")
    }
    if !contents.setsMaxBatchSize && config.maxBatchSize == 0 {
      let all = signature.inputs + signature.outputs
      if !all.isEmpty && all.allSatisfy({ $0.shape.first == -1 }) {
        config.maxBatchSize = Self.defaultMaxBatchSize
      }
    }
    if config.maxBatchSize > 0 {
      for tensor in signature.inputs + signature.outputs where tensor.shape.first.map({ $0 != -1 }) ?? true {
        throw InferenceError(
          .invalidArgument,
          "model '\(config.name)': max_batch_size \(config.maxBatchSize) requires a dynamic first dimension, but "
            + "'\(tensor.name)' has shape \(TensorShape.describe(tensor.shape)); set max_batch_size: 0 or export the model with a dynamic batch axis"
        )
      }
    }
  }

  private func completeTensors(
    _ configured: [ConfigTensor], from declared: [ModelSignature.Tensor], model: String, batched: Bool, kind: String
  ) throws -> [ConfigTensor] {
    let declaredNames = declared.map(\.name)
    for tensor in configured where !declaredNames.contains(tensor.name) {
      throw InferenceError(
        .invalidArgument,
        "model '\(model)': config \(kind) '\(tensor.name)' is not an \(kind) of the model file; "
          + NameSuggestions.hint(for: tensor.name, in: declaredNames, noun: "\(kind)s"))
    }
    var result: [ConfigTensor] = []
    for tensor in declared {
      guard let datatype = tensor.datatype else {
        throw InferenceError(
          .invalidArgument,
          "model '\(model)': \(kind) '\(tensor.name)' has type \(tensor.engineTypeName), which has no KServe datatype")
      }
      let modelDims = batched ? Array(tensor.shape.dropFirst()) : tensor.shape
      var entry = configured.first { $0.name == tensor.name } ?? ConfigTensor(name: tensor.name)
      if entry.dataType == .typeInvalid { entry.dataType = datatype.configValue }
      if entry.dims.isEmpty && !entry.hasReshape { entry.dims = modelDims }
      guard entry.dataType == datatype.configValue else {
        throw InferenceError(
          .invalidArgument,
          "model '\(model)': config \(kind) '\(tensor.name)' has data_type \(entry.dataType) but the model declares "
            + "\(datatype.rawValue); change data_type to \(datatype.configValue)")
      }
      if entry.hasReshape {
        // Clients use dims; the model sees reshape.shape (see TensorReshape).
        if let problem = TensorReshape.problem(dims: entry.dims, shape: entry.reshapeShape) {
          throw InferenceError(
            .invalidArgument, "model '\(model)': config \(kind) '\(tensor.name)': \(problem); fix dims or reshape")
        }
        if !Self.compatible(entry.reshapeShape, modelDims) {
          throw InferenceError(
            .invalidArgument,
            "model '\(model)': config \(kind) '\(tensor.name)' has reshape \(TensorShape.describe(entry.reshapeShape)) "
              + "but the model declares \(TensorShape.describe(modelDims))"
              + "\(batched ? " after the batch dimension" : ""); the reshape must match the model")
        }
      } else if !Self.compatible(entry.dims, modelDims) {
        throw InferenceError(
          .invalidArgument,
          "model '\(model)': config \(kind) '\(tensor.name)' has dims \(TensorShape.describe(entry.dims)) but the model "
            + "declares \(TensorShape.describe(modelDims))\(batched ? " after the batch dimension" : ""); fix dims or max_batch_size"
        )
      }
      result.append(entry)
    }
    return configured.isEmpty
      ? result
      : configured.map { c in result.first { $0.name == c.name }! }
        + result.filter { r in !configured.contains { $0.name == r.name } }
  }

  /// Whether `name` names a file directly inside a directory (no path, no `.`/`..`, no NUL): file names
  /// in config.pbtxt can come from a load request's config override and must not reach other files.
  static func isPlainFileName(_ name: String) -> Bool {
    !name.isEmpty && !name.contains("/") && name != "." && name != ".." && !name.contains("\0")
  }

  static func compatible(_ config: [Int64], _ model: [Int64]) -> Bool {
    guard config.count == model.count else { return false }
    return zip(config, model).allSatisfy { $0 == $1 || $0 == -1 || $1 == -1 }
  }

  private func completeInstanceGroups(_ config: inout Inference_ModelConfig) throws {
    if config.instanceGroup.isEmpty {
      var group = Inference_ModelInstanceGroup()
      group.kind = .cpu
      group.count = 1
      config.instanceGroup = [group]
    }
    for index in config.instanceGroup.indices {
      if config.instanceGroup[index].name.isEmpty { config.instanceGroup[index].name = "\(config.name)_\(index)" }
      if config.instanceGroup[index].count < 1 { config.instanceGroup[index].count = 1 }
      switch config.instanceGroup[index].kind {
      case .cpu: break
      case .auto, .model: config.instanceGroup[index].kind = .cpu
      default:
        throw InferenceError(
          .invalidArgument,
          "model '\(config.name)': instance_group kind \(config.instanceGroup[index].kind) is not available on this "
            + "server (no GPU execution provider); use kind: KIND_CPU")
      }
    }
  }
}

/// Common view of `ModelInput` and `ModelOutput` for completion.
struct ConfigTensor {
  var name: String
  var dataType: Inference_DataType = .typeInvalid
  var dims: [Int64] = []
  var hasReshape = false
  var reshapeShape: [Int64] = []
  var input: Inference_ModelInput?
  var output: Inference_ModelOutput?

  init(name: String) { self.name = name }

  init(_ input: Inference_ModelInput) {
    self.name = input.name
    self.dataType = input.dataType
    self.dims = input.dims
    self.hasReshape = input.hasReshape
    self.reshapeShape = input.reshape.shape
    self.input = input
  }

  init(_ output: Inference_ModelOutput) {
    self.name = output.name
    self.dataType = output.dataType
    self.dims = output.dims
    self.hasReshape = output.hasReshape
    self.reshapeShape = output.reshape.shape
    self.output = output
  }

  var asInput: Inference_ModelInput {
    var value = input ?? Inference_ModelInput()
    value.name = name
    value.dataType = dataType
    value.dims = dims
    return value
  }

  var asOutput: Inference_ModelOutput {
    var value = output ?? Inference_ModelOutput()
    value.name = name
    value.dataType = dataType
    value.dims = dims
    return value
  }
}
