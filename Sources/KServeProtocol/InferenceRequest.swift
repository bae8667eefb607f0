/// An output the client asks for, by name.
public struct RequestedOutput: Sendable {
  /// Output tensor name.
  public var name: String
  /// Per-output parameters (e.g. `binary_data`, shared memory region).
  public var parameters: [String: InferenceParameter]

  /// Creates a requested output.
  /// - Parameters:
  ///   - name: Output name.
  ///   - parameters: Parameters for that output.
  public init(name: String, parameters: [String: InferenceParameter] = [:]) {
    self.name = name
    self.parameters = parameters
  }
}

/// One inference request, independent of the protocol it arrived on.
public struct InferenceRequest: Sendable {
  /// Model name.
  public var modelName: String
  /// Model version; empty selects the version policy's default (the highest ready version).
  public var modelVersion: String
  /// Client-chosen id, echoed in the response.
  public var id: String
  /// Input tensors.
  public var inputs: [InferenceTensor]
  /// Requested outputs; empty means all outputs.
  public var outputs: [RequestedOutput]
  /// Request parameters (`priority`, `timeout`, sequence controls ...).
  public var parameters: [String: InferenceParameter]

  /// Creates a request.
  /// - Parameters:
  ///   - modelName: Model name.
  ///   - modelVersion: Version, or empty for the default.
  ///   - id: Request id to echo.
  ///   - inputs: Input tensors.
  ///   - outputs: Requested outputs (empty: all).
  ///   - parameters: Request parameters.
  public init(
    modelName: String,
    modelVersion: String = "",
    id: String = "",
    inputs: [InferenceTensor],
    outputs: [RequestedOutput] = [],
    parameters: [String: InferenceParameter] = [:]
  ) {
    self.modelName = modelName
    self.modelVersion = modelVersion
    self.id = id
    self.inputs = inputs
    self.outputs = outputs
    self.parameters = parameters
  }
}

/// The answer to an ``InferenceRequest``.
public struct InferenceResponse: Sendable {
  /// Model that produced it.
  public var modelName: String
  /// Version that produced it.
  public var modelVersion: String
  /// The request's id.
  public var id: String
  /// Output tensors in the order the client asked for (or the model's order when it asked for all).
  public var outputs: [InferenceTensor]
  /// Response parameters.
  public var parameters: [String: InferenceParameter]

  /// Creates a response.
  /// - Parameters:
  ///   - modelName: Model name.
  ///   - modelVersion: Version.
  ///   - id: Echoed request id.
  ///   - outputs: Output tensors.
  ///   - parameters: Response parameters.
  public init(
    modelName: String,
    modelVersion: String,
    id: String,
    outputs: [InferenceTensor],
    parameters: [String: InferenceParameter] = [:]
  ) {
    self.modelName = modelName
    self.modelVersion = modelVersion
    self.id = id
    self.outputs = outputs
    self.parameters = parameters
  }
}

/// Anything that runs inference: the in-process runtime, or a remote client.
/// The same event-processing code runs against either.
public protocol Inferencing: Sendable {
  /// Runs one request.
  /// - Parameter request: The request.
  /// - Returns: The response.
  /// - Throws: ``InferenceError`` describing what was wrong.
  func infer(_ request: InferenceRequest) async throws -> InferenceResponse
}
