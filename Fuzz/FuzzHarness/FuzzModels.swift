internal import Foundation
internal import InferenceRuntime
internal import KServeProtocol
internal import TritonModelConfig

/// The fixed models requests are validated against, and the model directory config completion looks in.
enum FuzzModels {
  /// Completed configs (as `ModelConfigCompleter` leaves them): a batching FP32 model with an optional
  /// variable-length input, a batching BYTES model, and a non-batching INT64 + BOOL model.
  static let configs = [
    """
    name: "batched_fp32"
    max_batch_size: 8
    input [
      { name: "INPUT0" data_type: TYPE_FP32 dims: [ 4 ] },
      { name: "INPUT1" data_type: TYPE_FP32 dims: [ -1 ] optional: true }
    ]
    output [
      { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ 4 ] },
      { name: "OUTPUT1" data_type: TYPE_FP32 dims: [ -1 ] }
    ]
    """,
    """
    name: "batched_bytes"
    max_batch_size: 4
    input [ { name: "INPUT0" data_type: TYPE_STRING dims: [ -1 ] } ]
    output [ { name: "OUTPUT0" data_type: TYPE_STRING dims: [ -1 ] } ]
    """,
    """
    name: "unbatched_int64"
    max_batch_size: 0
    input [
      { name: "INPUT0" data_type: TYPE_INT64 dims: [ 2, -1 ] },
      { name: "INPUT1" data_type: TYPE_BOOL dims: [ 1 ] }
    ]
    output [ { name: "OUTPUT0" data_type: TYPE_INT64 dims: [ 2, -1 ] } ]
    """,
  ]

  static let validators: [RequestValidator] = configs.map { text in
    let config = try! ModelConfigFile.parse(text, path: "FuzzModels.swift")
    return RequestValidator(config: config, modelDescription: "model '\(config.name)' version 1")
  }

  /// Version directories of ``directory``.
  static let versions: [Int64] = [1, 2, 3]

  /// A model directory whose version directories 1...3 each hold an empty `model.onnx` (the fuzz backend never
  /// reads it). Read only while fuzzing; created idempotently, so concurrent processes and tests can share it.
  static let directory: URL = {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("offload-fuzz-model")
    for version in versions {
      let versionDirectory = directory.appendingPathComponent(String(version))
      try? FileManager.default.createDirectory(at: versionDirectory, withIntermediateDirectories: true)
      let file = versionDirectory.appendingPathComponent("model.onnx")
      if !FileManager.default.fileExists(atPath: file.path) {
        _ = FileManager.default.createFile(atPath: file.path, contents: Data())
      }
    }
    return directory
  }()

  /// A request with every input of a completed config, zero-filled, batch 1 and each -1 dimension 1;
  /// `nil` when a shape is invalid or too large to fill.
  static func sampleRequest(for config: Inference_ModelConfig) -> InferenceRequest? {
    var inputs: [InferenceTensor] = []
    for input in config.input {
      let batch: [Int64] = config.maxBatchSize > 0 ? [1] : []
      let shape = batch + input.dims.map { $0 == -1 ? 1 : $0 }
      guard let count = TensorShape.elementCount(shape), count <= 4096 else { return nil }
      let datatype = DataType(config: input.dataType) ?? .bytes
      let data =
        datatype.elementSize.map { Data(count: $0 * count) }
        ?? BytesTensorCodec.encode(Array(repeating: [UInt8](), count: count))
      inputs.append(InferenceTensor(name: input.name, datatype: datatype, shape: shape, data: data))
    }
    return InferenceRequest(modelName: config.name, inputs: inputs)
  }
}

/// A backend that serves `onnxruntime` / `onnxruntime_onnx` / `model.onnx` like the real one, declares a
/// fixed signature and loads nothing.
struct FuzzBackend: InferenceBackend {
  let name = "onnxruntime"
  let platforms = ["onnxruntime_onnx"]
  let defaultModelFilename = "model.onnx"
  let declared: ModelSignature

  func signature(of modelFile: URL) throws -> ModelSignature { declared }

  func loadInstance(_ context: InstanceLoadContext) throws -> any ModelInstance {
    throw InferenceError(.internal, "the fuzz backend loads no instances")
  }

  /// The signature a model file matching the config would declare (so completion gets past the signature
  /// checks): the config's tensors (their reshape when they have one), with a dynamic batch dimension when it
  /// batches and FP32 where it names no
  /// type; a fixed FP32 [-1, 4] input and output when it lists none (the auto-complete path).
  static func signature(declaredBy config: Inference_ModelConfig) -> ModelSignature {
    let batch: [Int64] = config.maxBatchSize > 0 ? [-1] : []
    func tensor(_ name: String, _ type: Inference_DataType, _ dims: [Int64]) -> ModelSignature.Tensor {
      ModelSignature.Tensor(
        name: name, datatype: DataType(config: type) ?? .fp32, engineTypeName: "\(type)", shape: batch + dims)
    }
    func fixed(_ name: String) -> ModelSignature.Tensor {
      ModelSignature.Tensor(name: name, datatype: .fp32, engineTypeName: "float", shape: [-1, 4])
    }
    // With a reshape, the model holds the reshaped shape (clients use dims).
    let inputs = config.input.map { tensor($0.name, $0.dataType, $0.hasReshape ? $0.reshape.shape : $0.dims) }
    let outputs = config.output.map { tensor($0.name, $0.dataType, $0.hasReshape ? $0.reshape.shape : $0.dims) }
    return ModelSignature(
      inputs: inputs.isEmpty ? [fixed("INPUT0")] : inputs, outputs: outputs.isEmpty ? [fixed("OUTPUT0")] : outputs)
  }
}
