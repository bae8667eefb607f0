public import KServeProtocol

/// Runs one zoo model on its collection of every event, as an ExternalWork module: `acquire` cuts the
/// model's inputs out of the detector event (split into requests of at most the model's batch size),
/// `produce` stores the main output as a flat float array named after the model.
public struct ModelInferenceModule: AsynchronousModule {
  /// The model.
  public let model: ToyModel
  /// Name of the server-side model (defaults to the zoo name).
  public let modelName: String

  public var label: String { model.modelName }
  public var consumes: [String] { [EventData.detectorProduct] }
  public var produces: [String] { [Self.product(model)] }

  /// The product holding a model's output.
  public static func product(_ model: ToyModel) -> String { model.modelName }

  /// Creates the module.
  public init(model: ToyModel, modelName: String? = nil) {
    self.model = model
    self.modelName = modelName ?? model.modelName
  }

  public func acquire(_ event: EventData) throws -> [InferenceRequest] {
    let detector = try event.toyEvent()
    let count = detector.objectCount(for: model)
    guard count > 0 else { return [] }
    let inputs = detector.inputs(for: model)
    let limit = model.maxBatchSize
    let chunks: [Range<Int>] =
      limit > 0 ? stride(from: 0, to: count, by: limit).map { $0..<min(count, $0 + limit) } : [0..<count]
    let output = model.primaryOutput.name
    return try chunks.enumerated().map { part, rows in
      let tensors = limit > 0 && chunks.count > 1 ? inputs.map { $0.rows(rows) } : inputs
      return InferenceRequest(
        modelName: modelName, id: "\(event.index).\(model.modelName).\(part)",
        inputs: try tensors.map { try $0.inferenceTensor() }, outputs: [RequestedOutput(name: output)])
    }
  }

  public func produce(_ event: inout EventData, responses: [InferenceResponse]) throws {
    var values: [Float] = []
    for response in responses {
      guard let tensor = response.outputs.first(where: { $0.name == model.primaryOutput.name }) else {
        throw WorkflowError(
          "event \(event.index): model '\(modelName)' answered without output '\(model.primaryOutput.name)'")
      }
      values += try tensor.values(as: Float.self)
    }
    event.products[Self.product(model)] = .floats(values)
  }
}
