import Foundation
import GRPCCore
import InferenceRuntime
import InferenceServer
import KServeGRPC
import Testing

/// config.pbtxt `reshape` with real ONNX models: clients use `dims`, the model sees `reshape.shape`.
@Suite(.timeLimit(.minutes(5))) struct ReshapeTests {
  @Test func shapesFollowTritonsRule() {
    #expect(TensorReshape.problem(dims: [4, 4], shape: [16]) == nil)
    #expect(TensorReshape.problem(dims: [1], shape: []) == nil)
    #expect(TensorReshape.problem(dims: [1, -1], shape: [-1]) == nil)
    #expect(TensorReshape.problem(dims: [4, 4], shape: [15])?.contains("same number of elements") == true)
    #expect(TensorReshape.problem(dims: [-1, -1], shape: [-1])?.contains("correspond in order") == true)
    #expect(TensorReshape.problem(dims: [2, -1], shape: [-1]) != nil)
    #expect(TensorReshape.problem(dims: [1 << 40, 1 << 40], shape: [1])?.contains("too many elements") == true)
  }

  /// A repository with add_sub and identity_fp32 under reshaping configs, and one whose reshape is wrong.
  static func repository() throws -> URL {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("offload-reshape-\(UUID().uuidString)")
    func add(_ name: String, from example: String, config: String) throws {
      let version = root.appendingPathComponent("\(name)/1")
      try FileManager.default.createDirectory(at: version, withIntermediateDirectories: true)
      try FileManager.default.copyItem(
        at: TestServer.exampleModels.appendingPathComponent("\(example)/1/model.onnx"),
        to: version.appendingPathComponent("model.onnx"))
      try config.write(
        to: root.appendingPathComponent("\(name)/config.pbtxt"), atomically: true, encoding: .utf8)
    }
    try add(
      "add_sub_reshaped", from: "add_sub",
      config: """
        backend: "onnxruntime"
        max_batch_size: 8
        input [
          { name: "INPUT0", data_type: TYPE_FP32, dims: [4, 4], reshape: { shape: [16] } },
          { name: "INPUT1", data_type: TYPE_FP32, dims: [4, 4], reshape: { shape: [16] } }
        ]
        output [
          { name: "OUTPUT0", data_type: TYPE_FP32, dims: [2, 8], reshape: { shape: [16] } },
          { name: "OUTPUT1", data_type: TYPE_FP32, dims: [16] }
        ]
        """)
    try add(
      "identity_reshaped", from: "identity_fp32",
      config: """
        platform: "onnxruntime_onnx"
        max_batch_size: 8
        input [ { name: "INPUT0", data_type: TYPE_FP32, dims: [1, -1], reshape: { shape: [-1] } } ]
        output [ { name: "OUTPUT0", data_type: TYPE_FP32, dims: [1, -1], reshape: { shape: [-1] } } ]
        """)
    try add(
      "bad_reshape", from: "add_sub",
      config: """
        backend: "onnxruntime"
        max_batch_size: 8
        input [ { name: "INPUT0", data_type: TYPE_FP32, dims: [4, 4], reshape: { shape: [15] } } ]
        """)
    return root
  }

  @Test func clientsUseDimsAndTheModelSeesTheReshape() async throws {
    let root = try Self.repository()
    defer { try? FileManager.default.removeItem(at: root) }
    try await TestServer.with(repositories: [root]) { client, _, _, server in
      var metadataRequest = Inference_ModelMetadataRequest()
      metadataRequest.name = "add_sub_reshaped"
      let metadata = try await client.modelMetadata(metadataRequest)
      #expect(metadata.inputs.map(\.shape) == [[-1, 4, 4], [-1, 4, 4]])
      #expect(metadata.outputs.map(\.shape) == [[-1, 2, 8], [-1, 16]])

      let a = (0..<32).map { Float($0) }
      var request = Inference_ModelInferRequest()
      request.modelName = "add_sub_reshaped"
      request.inputs = [Requests.tensor("INPUT0", "FP32", [2, 4, 4]), Requests.tensor("INPUT1", "FP32", [2, 4, 4])]
      request.rawInputContents = [Requests.floats(a), Requests.floats(a.map { $0 * 2 })]
      let response = try await client.modelInfer(request)
      #expect(response.outputs.map(\.shape) == [[2, 2, 8], [2, 16]])
      #expect(Requests.decodeFloats(response.rawOutputContents[0]) == a.map { $0 * 3 })
      #expect(Requests.decodeFloats(response.rawOutputContents[1]) == a.map { -$0 })

      // Variable sizes correspond in order: [batch, 1, n] in, [batch, n] to the model, [batch, 1, n] out.
      var identity = Inference_ModelInferRequest()
      identity.modelName = "identity_reshaped"
      identity.inputs = [Requests.tensor("INPUT0", "FP32", [3, 1, 5])]
      let values = (0..<15).map { Float($0) / 2 }
      identity.rawInputContents = [Requests.floats(values)]
      let echoed = try await client.modelInfer(identity)
      #expect(echoed.outputs.first?.shape == [3, 1, 5])
      #expect(Requests.decodeFloats(echoed.rawOutputContents[0]) == values)

      // The client's shape is still checked against dims.
      request.inputs = [Requests.tensor("INPUT0", "FP32", [2, 16]), Requests.tensor("INPUT1", "FP32", [2, 16])]
      await #expect {
        _ = try await client.modelInfer(request)
      } throws: { error in
        (error as? RPCError)?.code == .invalidArgument
          && (error as? RPCError)?.message.contains("[batch,4,4]") == true
      }

      let index = server.runtime.repositoryIndex()
      let bad = try #require(index.first { $0.name == "bad_reshape" })
      #expect(bad.state == .unavailable)
      #expect(bad.reason.contains("same number of elements"), "\(bad.reason)")
    }
  }
}
