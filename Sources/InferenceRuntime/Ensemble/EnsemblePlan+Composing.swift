public import KServeProtocol
public import TritonModelConfig

extension EnsemblePlan {
  /// A tensor as one side of a mapping declares it: element type and full shape (batch dimension included,
  /// -1 where any size goes).
  struct TensorSpec: Equatable {
    var datatype: Inference_DataType
    var shape: [Int64]
    /// Where it is declared, for messages: `ensemble input 'x'`, `step 1 (model 'm') output 'y'`.
    var origin: String

    init(_ datatype: Inference_DataType, dims: [Int64], batched: Bool, origin: String) {
      self.datatype = datatype
      self.shape = (batched ? [-1] : []) + dims
      self.origin = origin
    }

    func accepts(_ other: TensorSpec) -> Bool {
      shape.count == other.shape.count && zip(shape, other.shape).allSatisfy { $0 == $1 || $0 == -1 || $1 == -1 }
    }

    var typeName: String { DataType(config: datatype)?.rawValue ?? "\(datatype)" }
  }

  /// Checks the steps against the configurations of the composing model versions they call: the mapped
  /// names exist, every required input is fed, batching agrees, and each tensor's producer and consumers
  /// agree on element type and shape.
  /// - Parameters:
  ///   - config: The ensemble's configuration.
  ///   - composing: The configuration each step calls, by step index.
  /// - Throws: ``InferenceError`` (invalidArgument) naming the step, the tensor and both declarations.
  public func check(config: Inference_ModelConfig, composing: [Inference_ModelConfig]) throws(InferenceError) {
    func fail(_ message: String) -> InferenceError {
      InferenceError(.invalidArgument, "ensemble '\(name)': \(message)")
    }
    precondition(composing.count == steps.count, "one composing configuration per step")
    let ensembleBatches = config.maxBatchSize > 0
    var specs: [String: TensorSpec] = [:]
    for input in config.input {
      specs[input.name] = TensorSpec(
        input.dataType, dims: input.dims, batched: ensembleBatches, origin: "ensemble input '\(input.name)'")
    }
    for (index, step) in steps.enumerated() {
      let model = composing[index]
      let where_ = step.describe(index)
      if ensembleBatches {
        guard model.maxBatchSize >= config.maxBatchSize else {
          throw fail(
            "\(where_) has max_batch_size \(model.maxBatchSize), below the ensemble's \(config.maxBatchSize); "
              + "lower the ensemble's max_batch_size to at most \(model.maxBatchSize)"
              + (model.maxBatchSize == 0 ? " (0: the model does not batch, so the ensemble cannot either)" : ""))
        }
      }
      let inputs = Dictionary(model.input.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
      let outputs = Dictionary(model.output.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
      for binding in step.inputs where inputs[binding.modelTensor] == nil {
        throw fail(
          "\(where_) maps '\(binding.modelTensor)' in its input_map, but the model has no such input; "
            + NameSuggestions.hint(for: binding.modelTensor, in: model.input.map(\.name), noun: "inputs"))
      }
      for binding in step.outputs where outputs[binding.modelTensor] == nil {
        throw fail(
          "\(where_) maps '\(binding.modelTensor)' in its output_map, but the model has no such output; "
            + NameSuggestions.hint(for: binding.modelTensor, in: model.output.map(\.name), noun: "outputs"))
      }
      let fed = Set(step.inputs.map(\.modelTensor))
      for input in model.input where !input.optional && !fed.contains(input.name) {
        throw fail("\(where_) does not feed the model's input '\(input.name)'; add it to the step's input_map")
      }
      for binding in step.outputs {
        let declared = outputs[binding.modelTensor]!
        specs[binding.ensembleTensor] = TensorSpec(
          declared.dataType, dims: declared.dims, batched: model.maxBatchSize > 0,
          origin: "\(where_) output '\(binding.modelTensor)'")
      }
    }
    // Every tensor's producer is known now (a step may read what a step listed after it writes).
    for (index, step) in steps.enumerated() {
      let model = composing[index]
      for binding in step.inputs {
        let declared = model.input.first { $0.name == binding.modelTensor }!
        let wanted = TensorSpec(
          declared.dataType, dims: declared.dims, batched: model.maxBatchSize > 0,
          origin: "\(step.describe(index)) input '\(binding.modelTensor)'")
        if let given = specs[binding.ensembleTensor] {
          try Self.match(given, wanted, tensor: binding.ensembleTensor, fail)
        }
      }
    }
    for output in config.output {
      let wanted = TensorSpec(
        output.dataType, dims: output.dims, batched: ensembleBatches, origin: "ensemble output '\(output.name)'")
      if let given = specs[output.name] { try Self.match(given, wanted, tensor: output.name, fail) }
    }
  }

  private static func match(
    _ given: TensorSpec, _ wanted: TensorSpec, tensor: String, _ fail: (String) -> InferenceError
  ) throws(InferenceError) {
    guard given.datatype == wanted.datatype else {
      throw fail(
        "tensor '\(tensor)' is \(given.typeName) as \(given.origin) but \(wanted.typeName) as \(wanted.origin); "
          + "the two must have the same data_type")
    }
    guard given.accepts(wanted) else {
      throw fail(
        "tensor '\(tensor)' has shape \(TensorShape.describe(given.shape)) as \(given.origin) but "
          + "\(TensorShape.describe(wanted.shape)) as \(wanted.origin) (-1: any size, the first -1 of a batching "
          + "model is its batch dimension); make the dims agree")
    }
  }
}
