public import KServeProtocol

/// A model's metadata as the KServe v2 metadata endpoint reports it.
public struct ModelMetadata: Sendable, Equatable {
  /// One tensor: name, datatype and shape with -1 for variable dimensions (the batch dimension included).
  public struct Tensor: Sendable, Equatable {
    /// Tensor name.
    public var name: String
    /// Element type.
    public var datatype: DataType
    /// Shape, -1 for variable sizes.
    public var shape: [Int64]
  }

  /// Model name.
  public var name: String
  /// Versions that are ready.
  public var versions: [String]
  /// Platform, e.g. `onnxruntime_onnx`.
  public var platform: String
  /// Inputs.
  public var inputs: [Tensor]
  /// Outputs.
  public var outputs: [Tensor]
}
