public import KServeProtocol

#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif

extension InferenceRequest {
  /// Converts a `ModelInferRequest`. Raw input contents are passed on without copying; typed `contents`
  /// are packed into the raw little-endian layout.
  /// - Parameter proto: The wire request.
  /// - Throws: ``InferenceError`` (invalidArgument) for unknown datatypes, a mix of `contents` and
  ///   `raw_input_contents`, or a raw content count that differs from the input count.
  public init(_ proto: Inference_ModelInferRequest) throws {
    // Inputs read from shared memory have no raw entry (tritonclient sends none for them).
    let inMemory = proto.inputs.map { $0.parameters["shared_memory_region"] != nil }
    let rawCount = inMemory.count { !$0 }
    let usesRaw = !proto.rawInputContents.isEmpty
    if usesRaw {
      if let typed = proto.inputs.first(where: \.hasContents) {
        throw InferenceError(
          .invalidArgument,
          "input '\(typed.name)' has typed 'contents' while the request also uses 'raw_input_contents'; "
            + "send all inputs one way")
      }
      guard proto.rawInputContents.count == rawCount else {
        throw InferenceError(
          .invalidArgument,
          "the request has \(rawCount) input(s) outside shared memory but \(proto.rawInputContents.count) "
            + "raw_input_contents entries; give exactly one raw entry per input (none for inputs in shared "
            + "memory), in input order")
      }
    }
    var inputs: [InferenceTensor] = []
    inputs.reserveCapacity(proto.inputs.count)
    var rawIndex = 0
    for (index, input) in proto.inputs.enumerated() {
      guard let datatype = DataType(rawValue: input.datatype) else {
        throw InferenceError(
          .invalidArgument,
          "input '\(input.name)' has unknown datatype '\(input.datatype)'; use one of "
            + DataType.allCases.map(\.rawValue).joined(separator: ", "))
      }
      let data: Data
      if inMemory[index] {
        data = Data()
      } else if usesRaw {
        data = proto.rawInputContents[rawIndex]
        rawIndex += 1
      } else {
        data = try TypedContents.pack(input.contents, as: datatype, shape: input.shape, name: input.name)
      }
      inputs.append(
        InferenceTensor(
          name: input.name, datatype: datatype, shape: input.shape, data: data,
          parameters: InferenceParameter.convert(input.parameters)))
    }
    self.init(
      modelName: proto.modelName,
      modelVersion: proto.modelVersion,
      id: proto.id,
      inputs: inputs,
      outputs: proto.outputs.map {
        RequestedOutput(name: $0.name, parameters: InferenceParameter.convert($0.parameters))
      },
      parameters: InferenceParameter.convert(proto.parameters))
  }

  /// The wire form, with every input in `raw_input_contents`.
  public var proto: Inference_ModelInferRequest {
    var p = Inference_ModelInferRequest()
    p.modelName = modelName
    p.modelVersion = modelVersion
    p.id = id
    p.parameters = InferenceParameter.convert(parameters)
    p.inputs = inputs.map { $0.wireDescription() }
    p.rawInputContents = inputs.map(\.data)
    p.outputs = outputs.map { output in
      var o = Inference_ModelInferRequest.InferRequestedOutputTensor()
      o.name = output.name
      o.parameters = InferenceParameter.convert(output.parameters)
      return o
    }
    return p
  }
}

extension InferenceResponse {
  /// The wire form: outputs in `raw_output_contents`, in output order.
  public var proto: Inference_ModelInferResponse {
    var p = Inference_ModelInferResponse()
    p.modelName = modelName
    p.modelVersion = modelVersion
    p.id = id
    p.parameters = InferenceParameter.convert(parameters)
    p.outputs = outputs.map { $0.wireDescription() }
    p.rawOutputContents = outputs.map(\.data)
    return p
  }

  /// Converts a wire response (raw or typed outputs).
  /// - Throws: ``InferenceError`` for unknown datatypes or malformed contents.
  public init(_ proto: Inference_ModelInferResponse) throws {
    let usesRaw = !proto.rawOutputContents.isEmpty
    var outputs: [InferenceTensor] = []
    for (index, output) in proto.outputs.enumerated() {
      guard let datatype = DataType(rawValue: output.datatype) else {
        throw InferenceError(.invalidArgument, "output '\(output.name)' has unknown datatype '\(output.datatype)'")
      }
      let data: Data
      if usesRaw {
        guard index < proto.rawOutputContents.count else {
          throw InferenceError(.invalidArgument, "output '\(output.name)' has no raw_output_contents entry")
        }
        data = proto.rawOutputContents[index]
      } else {
        data = try TypedContents.pack(output.contents, as: datatype, shape: output.shape, name: output.name)
      }
      outputs.append(
        InferenceTensor(
          name: output.name, datatype: datatype, shape: output.shape, data: data,
          parameters: InferenceParameter.convert(output.parameters)))
    }
    self.init(
      modelName: proto.modelName, modelVersion: proto.modelVersion, id: proto.id, outputs: outputs,
      parameters: InferenceParameter.convert(proto.parameters))
  }
}

/// The description of a tensor (name, datatype, shape, parameters) that requests and responses share on the
/// wire; its contents travel apart, in `raw_input_contents` / `raw_output_contents`.
protocol InferTensorDescription {
  init()
  var name: String { get set }
  var datatype: String { get set }
  var shape: [Int64] { get set }
  var parameters: [String: Inference_InferParameter] { get set }
}

extension Inference_ModelInferRequest.InferInputTensor: InferTensorDescription {}
extension Inference_ModelInferResponse.InferOutputTensor: InferTensorDescription {}

extension InferenceTensor {
  /// This tensor's wire description, without its contents.
  func wireDescription<Description: InferTensorDescription>() -> Description {
    var description = Description()
    description.name = name
    description.datatype = datatype.rawValue
    description.shape = shape
    description.parameters = InferenceParameter.convert(parameters)
    return description
  }
}
