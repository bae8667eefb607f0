public import KServeProtocol
public import Logging
public import TritonModelConfig

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// The inputs and outputs a model file declares, as its engine reports them.
/// Shapes use -1 for dynamic dimensions and include the batch dimension where the model has one.
public struct ModelSignature: Sendable {
  /// One declared tensor.
  public struct Tensor: Sendable, Equatable {
    /// Tensor name.
    public var name: String
    /// Element type, or `nil` when the engine's type has no KServe equivalent.
    public var datatype: DataType?
    /// The engine's name for the type, for error messages.
    public var engineTypeName: String
    /// Shape with -1 for dynamic dimensions.
    public var shape: [Int64]

    /// Creates a tensor description.
    public init(name: String, datatype: DataType?, engineTypeName: String, shape: [Int64]) {
      self.name = name
      self.datatype = datatype
      self.engineTypeName = engineTypeName
      self.shape = shape
    }
  }

  /// Model inputs in declaration order.
  public var inputs: [Tensor]
  /// Model outputs in declaration order.
  public var outputs: [Tensor]

  /// Creates a signature.
  public init(inputs: [Tensor], outputs: [Tensor]) {
    self.inputs = inputs
    self.outputs = outputs
  }
}

/// What one execution took, split as Triton's statistics split it.
public struct ComputeTimings: Sendable, Equatable {
  /// Time spent preparing inputs for the engine, in nanoseconds.
  public var inputNanos: UInt64
  /// Time spent inside the engine, in nanoseconds.
  public var inferNanos: UInt64
  /// Time spent collecting outputs, in nanoseconds.
  public var outputNanos: UInt64

  /// Creates timings.
  public init(inputNanos: UInt64, inferNanos: UInt64, outputNanos: UInt64) {
    self.inputNanos = inputNanos
    self.inferNanos = inferNanos
    self.outputNanos = outputNanos
  }
}

/// The result of one execution.
public struct ExecutionResult: Sendable {
  /// Output tensors, in the order requested.
  public var outputs: [InferenceTensor]
  /// Timings of the phases.
  public var timings: ComputeTimings

  /// Creates a result.
  public init(outputs: [InferenceTensor], timings: ComputeTimings) {
    self.outputs = outputs
    self.timings = timings
  }
}

/// An output to produce, with the datatype the configuration promises.
public struct OutputSpec: Sendable, Equatable {
  /// Output name.
  public var name: String
  /// Configured datatype.
  public var datatype: DataType

  /// Creates an output spec.
  public init(name: String, datatype: DataType) {
    self.name = name
    self.datatype = datatype
  }
}

/// One loaded copy of a model that can execute requests. Each instance is used by one execution at a time;
/// the scheduler guarantees it.
public protocol ModelInstance: Sendable {
  /// Executes validated inputs.
  /// - Parameters:
  ///   - inputs: Inputs whose shapes, types and byte sizes the runtime has checked against the config.
  ///   - outputs: The outputs to produce.
  /// - Returns: Output tensors in the order of `outputs`, and the phase timings.
  /// - Throws: ``InferenceError``.
  func execute(inputs: [InferenceTensor], outputs: [OutputSpec]) throws -> ExecutionResult
}

/// Everything a backend needs to load one instance.
public struct InstanceLoadContext: Sendable {
  /// The completed model configuration.
  public var config: Inference_ModelConfig
  /// The model file for this version.
  public var modelFile: URL
  /// The version being loaded.
  public var version: Int64
  /// Index of the instance within the model version (0-based).
  public var instanceIndex: Int
  /// Logger with model metadata attached.
  public var logger: Logger

  /// Creates a context.
  public init(config: Inference_ModelConfig, modelFile: URL, version: Int64, instanceIndex: Int, logger: Logger) {
    self.config = config
    self.modelFile = modelFile
    self.version = version
    self.instanceIndex = instanceIndex
    self.logger = logger
  }
}

/// An execution engine (ONNX Runtime, a test backend ...), as Triton's backends are.
public protocol InferenceBackend: Sendable {
  /// The `backend:` name that selects it in config.pbtxt, e.g. `onnxruntime`.
  var name: String { get }
  /// `platform:` values that also select it, e.g. `onnxruntime_onnx`.
  var platforms: [String] { get }
  /// The model file name looked for in a version directory, e.g. `model.onnx`.
  var defaultModelFilename: String { get }

  /// Reads the model file's declared inputs and outputs (used to complete a partial config).
  /// - Parameter modelFile: The model file.
  /// - Throws: ``InferenceError`` when the file cannot be read.
  func signature(of modelFile: URL) throws -> ModelSignature

  /// Loads one instance.
  /// - Parameter context: Config, file, version and instance index.
  /// - Throws: ``InferenceError`` with the reason the model cannot load.
  func loadInstance(_ context: InstanceLoadContext) throws -> any ModelInstance
}
