internal import KServeProtocol
public import TritonModelConfig

/// config.pbtxt `reshape`, as Triton applies it. Clients see an input or output with its `dims`; the model
/// receives or produces it with `reshape.shape` (after the batch dimension when the model batches). The
/// data does not move: only the shape changes, so both must hold the same number of elements. Variable
/// dimensions (-1) correspond in order: the k-th -1 of `reshape` takes the size of the k-th -1 of `dims`
/// in the request, and the other way round for outputs. `reshape: { shape: [] }` turns a `[1]` per batch
/// item into a scalar.
public struct TensorReshape: Sendable {
  struct Rule: Sendable {
    var dims: [Int64]
    var shape: [Int64]
  }

  private let inputs: [String: Rule]
  private let outputs: [String: Rule]
  private let batched: Bool

  /// Whether the config reshapes anything.
  public var isEmpty: Bool { inputs.isEmpty && outputs.isEmpty }

  /// The reshapes of a completed config.
  public init(config: Inference_ModelConfig) {
    var inputs: [String: Rule] = [:]
    for input in config.input where input.hasReshape {
      inputs[input.name] = Rule(dims: input.dims, shape: input.reshape.shape)
    }
    var outputs: [String: Rule] = [:]
    for output in config.output where output.hasReshape {
      outputs[output.name] = Rule(dims: output.dims, shape: output.reshape.shape)
    }
    self.inputs = inputs
    self.outputs = outputs
    self.batched = config.maxBatchSize > 0
  }

  /// Why `dims` cannot be reshaped to `shape`, or `nil` when they agree (checked when the model loads).
  public static func problem(dims: [Int64], shape: [Int64]) -> String? {
    if dims.contains(where: { $0 < -1 }) || shape.contains(where: { $0 < -1 }) {
      return "dims and reshape may only hold sizes >= 0 or -1"
    }
    let (dimsVariable, shapeVariable) = (dims.filter { $0 == -1 }.count, shape.filter { $0 == -1 }.count)
    guard dimsVariable == shapeVariable else {
      return "dims \(TensorShape.describe(dims)) have \(dimsVariable) variable size(s) (-1) but reshape "
        + "\(TensorShape.describe(shape)) has \(shapeVariable); they correspond in order"
    }
    // Overflow-safe products: a config can come from the network (a load request's override).
    let fixedDims = TensorShape.elementCount(dims.filter { $0 != -1 })
    let fixedShape = TensorShape.elementCount(shape.filter { $0 != -1 })
    guard let fixedDims, let fixedShape else {
      return "dims \(TensorShape.describe(dims)) or reshape \(TensorShape.describe(shape)) hold too many elements"
    }
    guard fixedDims == fixedShape else {
      return "dims \(TensorShape.describe(dims)) and reshape \(TensorShape.describe(shape)) do not hold the same "
        + "number of elements"
    }
    return nil
  }

  /// `shape` with its variable sizes taken, in order, from the variable positions of `from` in `actual`.
  static func map(_ actual: [Int64], from: [Int64], to shape: [Int64]) -> [Int64] {
    var sizes = zip(actual, from).filter { $0.1 == -1 }.map(\.0)[...]
    return shape.map { $0 == -1 ? (sizes.popFirst() ?? 0) : $0 }
  }

  /// The validated inputs as the model receives them.
  func modelInputs(_ tensors: [InferenceTensor]) -> [InferenceTensor] {
    guard !inputs.isEmpty else { return tensors }
    return tensors.map { tensor in
      guard let rule = inputs[tensor.name] else { return tensor }
      var reshaped = tensor
      reshaped.shape = apply(tensor.shape, from: rule.dims, to: rule.shape)
      return reshaped
    }
  }

  /// The model's outputs as clients see them.
  /// - Throws: ``InferenceError`` (internal) when an output's element count does not fit its `dims`.
  func clientOutputs(_ tensors: [InferenceTensor], model: String) throws -> [InferenceTensor] {
    guard !outputs.isEmpty else { return tensors }
    return try tensors.map { tensor in
      guard let rule = outputs[tensor.name] else { return tensor }
      var reshaped = tensor
      reshaped.shape = apply(tensor.shape, from: rule.shape, to: rule.dims)
      guard TensorShape.elementCount(reshaped.shape) == TensorShape.elementCount(tensor.shape) else {
        throw InferenceError(
          .internal,
          "\(model): output '\(tensor.name)' has shape \(TensorShape.describe(tensor.shape)), which does not fit "
            + "its reshape \(TensorShape.describe(rule.shape)) → dims \(TensorShape.describe(rule.dims)); fix config.pbtxt"
        )
      }
      return reshaped
    }
  }

  private func apply(_ shape: [Int64], from: [Int64], to target: [Int64]) -> [Int64] {
    if batched, let batch = shape.first {
      return [batch] + Self.map(Array(shape.dropFirst()), from: from, to: target)
    }
    return Self.map(shape, from: from, to: target)
  }
}
