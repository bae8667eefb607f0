internal import InferenceRuntime
internal import KServeGRPC
public import KServeProtocol

/// A model input or output as its metadata describes it (shape with -1 for variable dimensions).
public struct TensorDescription: Sendable, Equatable, CustomStringConvertible {
  /// Name.
  public var name: String
  /// Datatype.
  public var datatype: DataType
  /// Shape, batch dimension included where the model has one; -1 marks a variable dimension.
  public var shape: [Int64]

  /// Creates a description.
  public init(name: String, datatype: DataType, shape: [Int64]) {
    self.name = name
    self.datatype = datatype
    self.shape = shape
  }

  public var description: String { "\(name) \(datatype.rawValue) \(TensorShape.describe(shape))" }
}

/// A model's inputs and outputs.
public struct ModelSignature: Sendable, Equatable {
  /// Inputs in model order.
  public var inputs: [TensorDescription]
  /// Outputs in model order.
  public var outputs: [TensorDescription]
}

extension ModelSignature {
  init(_ proto: Inference_ModelMetadataResponse) throws {
    func convert(_ t: Inference_ModelMetadataResponse.TensorMetadata) throws -> TensorDescription {
      guard let type = DataType(wireOrConfigName: t.datatype) else {
        throw InferenceError(.internal, "the server reported an unknown datatype '\(t.datatype)' for '\(t.name)'")
      }
      return TensorDescription(name: t.name, datatype: type, shape: t.shape)
    }
    self.inputs = try proto.inputs.map(convert)
    self.outputs = try proto.outputs.map(convert)
  }

  init(_ metadata: ModelMetadata) {
    self.inputs = metadata.inputs.map { TensorDescription(name: $0.name, datatype: $0.datatype, shape: $0.shape) }
    self.outputs = metadata.outputs.map { TensorDescription(name: $0.name, datatype: $0.datatype, shape: $0.shape) }
  }
}

extension LocalInference {
  /// The signature of a local model (starts the local runtime if needed).
  public func signature(of model: String, version: String = "") async throws -> ModelSignature {
    guard let runtime = try await inferencingForMetadata() as? ModelRuntime else {
      throw InferenceError(.unimplemented, "the custom local path does not describe its models")
    }
    return ModelSignature(try runtime.metadata(name: model, version: version))
  }
}

extension InferenceClient {
  /// The signature of a model, from a healthy server that holds it, or from the local path.
  public func signature(
    of model: String, version: String = "", timeout: Duration? = .seconds(5)
  ) async throws
    -> ModelSignature
  {
    if let pool, configuration.mode != .localOnly {
      await pool.waitForDiscovery(timeout: configuration.discoveryTimeout)
      if let connection = pool.acquire(model: model, excluding: []) {
        defer { pool.succeeded(connection.endpoint, queueNanos: nil) }
        return try await connection.signature(of: model, version: version, timeout: timeout)
      }
    }
    if let local, configuration.mode != .remoteOnly { return try await local.signature(of: model, version: version) }
    if let pool { throw noServer(for: model, pool: pool) }
    throw InferenceError(.unavailable, "no server or local path can describe model '\(model)'")
  }
}
