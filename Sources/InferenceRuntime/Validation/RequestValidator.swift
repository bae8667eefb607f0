public import KServeProtocol
public import TritonModelConfig

/// Checks a request against a model's completed configuration before it reaches a backend: names,
/// datatypes, shapes (with the implicit batch dimension), byte sizes, batch size and requested outputs.
/// Every failure is an ``InferenceError`` (invalidArgument) naming the tensor and the fix.
public struct RequestValidator: Sendable {
  /// What a valid request resolves to.
  public struct Validated: Sendable {
    /// Inputs in the model's declared order.
    public var inputs: [InferenceTensor]
    /// Outputs to produce, in the order the response lists them.
    public var outputs: [OutputSpec]
    /// Rows in the batch (1 when the model does not batch).
    public var batchSize: Int
  }

  private struct InputSpec: Sendable {
    var datatype: DataType
    var dims: [Int64]
    var optional: Bool
  }

  private let model: String
  private let maxBatchSize: Int64
  private let inputNames: [String]
  private let inputSpecs: [String: InputSpec]
  private let outputs: [OutputSpec]

  /// Creates a validator for a completed config.
  /// - Parameters:
  ///   - config: The completed configuration.
  ///   - modelDescription: e.g. `model 'x' version 1`, used in messages.
  public init(config: Inference_ModelConfig, modelDescription: String) {
    self.model = modelDescription
    self.maxBatchSize = Int64(config.maxBatchSize)
    self.inputNames = config.input.map(\.name)
    var specs: [String: InputSpec] = [:]
    for input in config.input {
      specs[input.name] = InputSpec(
        datatype: DataType(config: input.dataType) ?? .bytes,
        dims: input.hasReshape ? input.dims : input.dims,
        optional: input.optional)
    }
    self.inputSpecs = specs
    self.outputs = config.output.map { OutputSpec(name: $0.name, datatype: DataType(config: $0.dataType) ?? .bytes) }
  }

  /// Validates a request.
  /// - Parameter request: The request.
  /// - Returns: Inputs in model order, outputs to produce, batch size.
  /// - Throws: ``InferenceError`` (invalidArgument).
  public func validate(_ request: InferenceRequest) throws -> Validated {
    var byName: [String: InferenceTensor] = [:]
    for tensor in request.inputs {
      guard !tensor.name.isEmpty else {
        throw invalid("an input has an empty name; set it to one of \(list(inputNames))")
      }
      guard inputSpecs[tensor.name] != nil else {
        throw invalid(
          "unknown input '\(tensor.name)'; " + NameSuggestions.hint(for: tensor.name, in: inputNames, noun: "inputs"))
      }
      guard byName.updateValue(tensor, forKey: tensor.name) == nil else {
        throw invalid("input '\(tensor.name)' is given twice")
      }
    }
    var ordered: [InferenceTensor] = []
    var batch: Int64?
    for name in inputNames {
      guard let tensor = byName[name] else {
        if inputSpecs[name]!.optional { continue }
        throw invalid("missing input '\(name)'; the model needs \(list(inputNames))")
      }
      let rows = try check(tensor, spec: inputSpecs[name]!)
      if let rows, let batch, rows != batch {
        throw invalid(
          "input '\(name)' has batch size \(rows) but another input has \(batch); all inputs must share the first dimension"
        )
      }
      batch = batch ?? rows
      ordered.append(tensor)
    }
    return Validated(inputs: ordered, outputs: try requestedOutputs(request.outputs), batchSize: Int(batch ?? 1))
  }

  /// Checks one input; returns its batch size when the model batches.
  private func check(_ tensor: InferenceTensor, spec: InputSpec) throws -> Int64? {
    let name = tensor.name
    guard tensor.datatype == spec.datatype else {
      throw invalid(
        "input '\(name)' has datatype \(tensor.datatype.rawValue) but the model expects \(spec.datatype.rawValue)")
    }
    var rows: Int64?
    var dims = tensor.shape[...]
    if maxBatchSize > 0 {
      guard let first = dims.first else {
        throw invalid(
          "input '\(name)' has shape [] but the model batches: give [batch\(spec.dims.map { ",\($0)" }.joined())]")
      }
      guard first >= 1 && first <= maxBatchSize else {
        throw invalid(
          "input '\(name)' has batch size \(first), outside 1...\(maxBatchSize) (max_batch_size); split the request")
      }
      rows = first
      dims = dims.dropFirst()
    }
    let expected = (maxBatchSize > 0 ? "[batch," : "[") + spec.dims.map(String.init).joined(separator: ",") + "]"
    guard dims.count == spec.dims.count, zip(dims, spec.dims).allSatisfy({ $1 == -1 ? $0 >= 0 : $0 == $1 }) else {
      throw invalid(
        "input '\(name)' has shape \(TensorShape.describe(tensor.shape)) but the model expects \(expected) (-1: any size)"
      )
    }
    guard let count = tensor.elementCount else {
      throw invalid("input '\(name)' has shape \(TensorShape.describe(tensor.shape)), whose element count overflows")
    }
    if let size = tensor.datatype.elementSize {
      let (bytes, overflow) = count.multipliedReportingOverflow(by: size)
      guard !overflow, bytes == tensor.data.count else {
        throw invalid(
          "input '\(name)' has \(tensor.data.count) bytes of data but shape \(TensorShape.describe(tensor.shape)) x "
            + "\(tensor.datatype.rawValue) needs \(overflow ? "too many" : String(bytes)) bytes")
      }
    } else {
      do {
        try BytesTensorCodec.validate(tensor.data, expectedCount: count, tensorName: name)
      } catch let error as InferenceError {
        throw invalid(error.message)
      }
    }
    return rows
  }

  private func requestedOutputs(_ requested: [RequestedOutput]) throws -> [OutputSpec] {
    guard !requested.isEmpty else { return outputs }
    // An output listed twice is answered once, as Triton does.
    var seen: Set<String> = []
    return try requested.compactMap { output in
      guard !output.name.isEmpty else {
        throw invalid("a requested output has an empty name; use one of \(list(outputs.map(\.name)))")
      }
      guard let spec = outputs.first(where: { $0.name == output.name }) else {
        throw invalid(
          "unknown requested output '\(output.name)'; "
            + NameSuggestions.hint(for: output.name, in: outputs.map(\.name), noun: "outputs"))
      }
      return seen.insert(output.name).inserted ? spec : nil
    }
  }

  private func invalid(_ message: String) -> InferenceError {
    InferenceError(.invalidArgument, "\(model): \(message)")
  }

  private func list(_ names: [String]) -> String { names.map { "'\($0)'" }.joined(separator: ", ") }
}
