package import KServeProtocol

#if canImport(FoundationEssentials)
package import FoundationEssentials
#else
package import Foundation
#endif

/// The body of `POST …/infer` and of its answer: KServe v2 JSON, with Triton's binary tensor data
/// extension (a JSON header of `Inference-Header-Content-Length` bytes, then the raw tensors).
/// `package` for the fuzz harness (Fuzz/FuzzHarness).
package enum HTTPInferCodec {
  /// A decoded request and how its outputs are to be returned.
  package struct Decoded {
    package var request: InferenceRequest
    /// Output name → binary; `defaultBinary` for outputs not listed.
    package var binaryOutputs: [String: Bool]
    package var defaultBinary: Bool
  }

  /// Parses a request body.
  /// - Parameters:
  ///   - body: The whole body.
  ///   - headerLength: `Inference-Header-Content-Length`, when present.
  ///   - model: Model name from the path.
  ///   - version: Version from the path ("" when absent).
  /// - Throws: ``InferenceError`` (invalid argument) saying what is wrong and how to fix it.
  package static func decode(body: Data, headerLength: Int?, model: String, version: String) throws -> Decoded {
    let jsonPart: Data
    var binary: Data
    if let headerLength {
      guard headerLength >= 0, headerLength <= body.count else {
        throw InferenceError(
          .invalidArgument,
          "Inference-Header-Content-Length is \(headerLength) but the body has only \(body.count) byte(s); "
            + "it must be the length of the JSON part")
      }
      jsonPart = body.prefix(headerLength)
      binary = body.dropFirst(headerLength)
    } else {
      jsonPart = body
      binary = Data()
    }
    let object: InferRequestJSON
    do {
      object = try InferRequestJSON.parse(jsonPart)
    } catch {
      throw InferenceError(
        .invalidArgument,
        "the request body is not valid JSON (\(Self.describe(error))); send a KServe v2 inference request "
          + "object, e.g. {\"inputs\": [{\"name\": …, \"shape\": […], \"datatype\": \"FP32\", \"data\": […]}]}")
    }
    guard object.isObject else {
      throw InferenceError(.invalidArgument, "the request body must be a JSON object with an 'inputs' array")
    }
    guard let inputs = object.inputs?.value else {
      throw InferenceError(.invalidArgument, "the request has no 'inputs' array of tensor objects")
    }
    var tensors: [InferenceTensor] = []
    for (index, element) in inputs.enumerated() {
      guard let input = element.entry, let name = input.name?.value else {
        throw InferenceError(.invalidArgument, "inputs[\(index)] has no 'name'")
      }
      guard let typeName = input.datatype?.value, let datatype = DataType(rawValue: typeName) else {
        throw InferenceError(
          .invalidArgument,
          "input '\(name)': 'datatype' \(Self.describe(input.datatype) ?? "is missing"); it must be one of "
            + DataType.allCases.map(\.rawValue).joined(separator: ", "))
      }
      let shape: [Int64]
      switch input.shape {
      case .typed(let dimensions)?:
        shape = dimensions
      case .raw(let value)?:
        // Integral numbers written as doubles (e.g. 17.0) are accepted, as before.
        guard let dimensions = value.int64Array else {
          throw InferenceError(.invalidArgument, "input '\(name)': 'shape' must be an array of integers")
        }
        shape = dimensions
      case nil:
        throw InferenceError(.invalidArgument, "input '\(name)': 'shape' must be an array of integers")
      }
      let parameters = parameters(input.parameters)
      var data: Data
      if let size = parameters["binary_data_size"]?.int64Value {
        guard size >= 0, size <= binary.count else {
          throw InferenceError(
            .invalidArgument,
            "input '\(name)': binary_data_size \(size) goes past the end of the body (\(binary.count) byte(s) left); "
              + "check Inference-Header-Content-Length and the sizes")
        }
        data = Data(binary.prefix(Int(size)))
        binary = binary.dropFirst(Int(size))
      } else if let json = input.data {
        data = try JSONTensorCodec.decode(json, datatype: datatype, shape: shape, name: name)
      } else if parameters["shared_memory_region"] != nil {
        data = Data()  // read from the region by the runtime
      } else {
        throw InferenceError(
          .invalidArgument,
          "input '\(name)' has neither 'data' nor a 'binary_data_size' or 'shared_memory_region' parameter")
      }
      var tensorParameters = parameters
      tensorParameters["binary_data_size"] = nil
      tensors.append(
        InferenceTensor(name: name, datatype: datatype, shape: shape, data: data, parameters: tensorParameters))
    }
    guard binary.isEmpty else {
      throw InferenceError(
        .invalidArgument,
        "\(binary.count) byte(s) of binary data follow the inputs unused; binary_data_size must cover them exactly")
    }
    var requestParameters = parameters(object.parameters)
    let defaultBinary = requestParameters["binary_data_output"].map { $0 == .bool(true) } ?? false
    requestParameters["binary_data_output"] = nil
    var outputs: [RequestedOutput] = []
    var binaryOutputs: [String: Bool] = [:]
    for (index, element) in (object.outputs?.value ?? []).enumerated() {
      guard let output = element.entry, let name = output.name?.value else {
        throw InferenceError(.invalidArgument, "outputs[\(index)] has no 'name'")
      }
      var p = parameters(output.parameters)
      if let binary = p["binary_data"] { binaryOutputs[name] = binary == .bool(true) }
      p["binary_data"] = nil
      outputs.append(RequestedOutput(name: name, parameters: p))
    }
    let id = object.id?.value ?? ""
    return Decoded(
      request: InferenceRequest(
        modelName: model, modelVersion: version, id: id, inputs: tensors, outputs: outputs,
        parameters: requestParameters),
      binaryOutputs: binaryOutputs, defaultBinary: defaultBinary)
  }

  static func parameters(_ values: [String: InferRequestJSON.ParameterValue]?) -> [String: InferenceParameter] {
    values?.compactMapValues(\.value.parameter) ?? [:]
  }

  /// How a field of the wrong type is quoted in an error.
  static func describe(_ field: InferRequestJSON.Field<String>?) -> String? {
    switch field {
    case .typed(let value)?: JSONValue.string(value).description
    case .raw(let value)?: value.description
    case nil: nil
    }
  }

  static func describe(_ error: any Error) -> String {
    if case DecodingError.dataCorrupted(let context) = error {
      return context.underlyingError.map { "\($0)" } ?? context.debugDescription
    }
    return "\(error)"
  }

  /// Encodes a response; binary outputs follow the JSON header.
  /// - Returns: The body and the JSON header length when any output is binary.
  package static func encode(
    _ response: InferenceResponse, binaryOutputs: [String: Bool], defaultBinary: Bool
  ) throws
    -> (body: Data, headerLength: Int?)
  {
    var outputs: [String] = []
    var tail = Data()
    for output in response.outputs {
      var fields = [
        "\"name\":\(JSONTensorCodec.jsonString(output.name))",
        "\"datatype\":\"\(output.datatype.rawValue)\"",
        "\"shape\":[\(output.shape.map(String.init).joined(separator: ","))]",
      ]
      if output.parameters["shared_memory_region"] != nil {
        // In shared memory: name, datatype and shape only, as Triton answers. Triton's C++ client (and so
        // perf_analyzer) reads any output `parameters` as binary data and fails without `binary_data_size`.
      } else if binaryOutputs[output.name] ?? defaultBinary {
        fields.append("\"parameters\":{\"binary_data_size\":\(output.data.count)}")
        tail.append(output.data)
      } else {
        fields.append("\"data\":" + (try JSONTensorCodec.encode(output)))
      }
      outputs.append("{" + fields.joined(separator: ",") + "}")
    }
    var root = [
      "\"model_name\":\(JSONTensorCodec.jsonString(response.modelName))",
      "\"model_version\":\(JSONTensorCodec.jsonString(response.modelVersion))",
    ]
    if !response.id.isEmpty { root.append("\"id\":\(JSONTensorCodec.jsonString(response.id))") }
    if !response.parameters.isEmpty { root.append("\"parameters\":" + jsonObject(response.parameters)) }
    root.append("\"outputs\":[\(outputs.joined(separator: ","))]")
    let header = Data(("{" + root.joined(separator: ",") + "}").utf8)
    if tail.isEmpty { return (header, nil) }
    return (header + tail, header.count)
  }

  /// Parameters as a JSON object with sorted keys.
  static func jsonObject(_ parameters: [String: InferenceParameter]) -> String {
    let items = parameters.sorted { $0.key < $1.key }.map { key, value in
      "\(JSONTensorCodec.jsonString(key)):\(jsonParameter(value))"
    }
    return "{" + items.joined(separator: ",") + "}"
  }

  static func jsonParameter(_ value: InferenceParameter) -> String {
    switch value {
    case .bool(let v): "\(v)"
    case .int64(let v): "\(v)"
    case .uint64(let v): "\(v)"
    case .double(let v): v.isFinite ? "\(v)" : (v.isNaN ? "NaN" : v > 0 ? "Infinity" : "-Infinity")
    case .string(let v): JSONTensorCodec.jsonString(v)
    }
  }
}
