import Foundation
import InferenceServerHTTP
import KServeProtocol
import Testing

/// The HTTP/REST infer body codec without a server: KServe v2 JSON and Triton's binary tensor extension.
@Suite("HTTP infer codec", .timeLimit(.minutes(1)))
struct HTTPInferCodecTests {
  static func decode(_ json: String, binary: Data? = nil) throws -> HTTPInferCodec.Decoded {
    let header = Data(json.utf8)
    return try HTTPInferCodec.decode(
      body: header + (binary ?? Data()), headerLength: binary == nil ? nil : header.count, model: "m", version: "")
  }

  static func message(_ json: String, binary: Data? = nil) -> String? {
    do {
      _ = try decode(json, binary: binary)
      return nil
    } catch let error as InferenceError {
      #expect(error.code == .invalidArgument)
      return error.message
    } catch {
      return "unexpected \(error)"
    }
  }

  @Test("a binary request: tensors sliced from the tail, parameters by type, output flags, id")
  func binaryRequest() throws {
    let bytes = Data((0..<12).map { UInt8($0) })
    let decoded = try Self.decode(
      """
      {"id":"r1","parameters":{"binary_data_output":true,"priority":2},
       "inputs":[{"name":"a","shape":[1,2],"datatype":"FP32","parameters":{"binary_data_size":8,"tag":"x","w":0.5,"deep":{"k":1}}},
                 {"name":"b","shape":[1],"datatype":"INT32","parameters":{"binary_data_size":4}}],
       "outputs":[{"name":"y","parameters":{"binary_data":false}},{"name":"z"}]}
      """, binary: bytes)
    let request = decoded.request
    #expect(request.id == "r1")
    #expect(request.inputs.map(\.name) == ["a", "b"])
    #expect(request.inputs[0].shape == [1, 2] && request.inputs[0].datatype == .fp32)
    #expect(request.inputs[0].data == bytes.prefix(8))
    #expect(request.inputs[1].data == bytes.suffix(4))
    #expect(request.inputs[0].parameters["tag"] == .string("x"))
    #expect(request.inputs[0].parameters["w"] == .double(0.5))
    #expect(request.inputs[0].parameters["deep"] == nil)
    #expect(request.inputs[0].parameters["binary_data_size"] == nil)
    #expect(request.parameters["priority"] == .int64(2))
    #expect(request.parameters["binary_data_output"] == nil)
    #expect(decoded.defaultBinary)
    #expect(decoded.binaryOutputs == ["y": false])
    #expect(request.outputs.map(\.name) == ["y", "z"])
  }

  @Test("JSON tensor data and integral shapes written as doubles are accepted")
  func jsonData() throws {
    let decoded = try Self.decode(#"{"inputs":[{"name":"a","shape":[1.0,3],"datatype":"FP32","data":[1,2.5,-3]}]}"#)
    let tensor = try #require(decoded.request.inputs.first)
    #expect(tensor.shape == [1, 3])
    let values = tensor.data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    #expect(values == [1, 2.5, -3])
  }

  @Test(
    "each malformed request names what is wrong",
    arguments: [
      ("[1,2]", "must be a JSON object"),
      ("{\"inputs\": ", "not valid JSON"),
      ("{}", "no 'inputs' array"),
      ("{\"inputs\": {\"name\": \"a\"}}", "no 'inputs' array"),
      ("{\"inputs\": [7]}", "inputs[0] has no 'name'"),
      ("{\"inputs\": [{\"name\": 3}]}", "inputs[0] has no 'name'"),
      ("{\"inputs\": [{\"name\": \"a\", \"datatype\": 5, \"shape\": [1]}]}", "'datatype' 5;"),
      ("{\"inputs\": [{\"name\": \"a\", \"datatype\": \"FP33\", \"shape\": [1]}]}", "'datatype' \"FP33\";"),
      (
        "{\"inputs\": [{\"name\": \"a\", \"datatype\": \"FP32\", \"shape\": [1.5]}]}",
        "'shape' must be an array of integers"
      ),
      ("{\"inputs\": [{\"name\": \"a\", \"datatype\": \"FP32\"}]}", "'shape' must be an array of integers"),
      ("{\"inputs\": [{\"name\": \"a\", \"datatype\": \"FP32\", \"shape\": [1]}]}", "has neither 'data'"),
      (
        "{\"inputs\": [{\"name\": \"a\", \"datatype\": \"FP32\", \"shape\": [1], \"data\": [1]}], \"outputs\": [{}]}",
        "outputs[0] has no 'name'"
      ),
    ])
  func malformed(json: String, fragment: String) {
    let message = Self.message(json)
    #expect(message?.contains(fragment) == true, "\(json) -> \(message ?? "accepted")")
  }

  @Test("binary sizes must cover the tail exactly")
  func binarySizes() {
    let header = #"{"inputs":[{"name":"a","shape":[1],"datatype":"FP32","parameters":{"binary_data_size":4}}]}"#
    #expect(Self.message(header, binary: Data(count: 2))?.contains("goes past the end") == true)
    #expect(Self.message(header, binary: Data(count: 6))?.contains("follow the inputs unused") == true)
    #expect(Self.message(header, binary: Data(count: 4)) == nil)
  }

  @Test("outputs that are not an array are ignored, as before")
  func outputsNotArray() throws {
    let decoded = try Self.decode(
      #"{"inputs":[{"name":"a","shape":[1],"datatype":"FP32","data":[1]}],"outputs":{"name":"y"}}"#)
    #expect(decoded.request.outputs.isEmpty)
  }
}
