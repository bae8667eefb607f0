import Foundation
import KServeProtocol
import OffloadClient
import Testing

/// The local path without ONNX Runtime: its backends come from the caller (`OffloadClientONNX` passes the
/// ONNX Runtime backend; these tests pass none).
@Suite("Local inference sources", .timeLimit(.minutes(1)))
struct LocalInferenceTests {
  struct Missing: Error, CustomStringConvertible {
    var description: String { "libonnxruntime.so not found; install the onnxruntime wheel" }
  }

  struct Echo: Inferencing {
    func infer(_ request: InferenceRequest) async throws -> InferenceResponse {
      InferenceResponse(modelName: request.modelName, modelVersion: "1", id: request.id, outputs: request.inputs)
    }
  }

  @Test func backendsThatCannotBeMadeLeaveTheLocalPathUnavailableWithTheReason() async throws {
    let local = LocalInference(.repositories([URL(fileURLWithPath: "/nonexistent")]) { _ in throw Missing() })
    let error = await #expect(throws: InferenceError.self) {
      _ = try await local.infer(InferenceRequest(modelName: "m", inputs: []))
    }
    #expect(error?.code == .unavailable)
    #expect(error?.message.contains("libonnxruntime.so not found") == true)
    #expect(local.startDuration == nil)
  }

  @Test func aCustomSourceAnswersWithoutStarting() async throws {
    let local = LocalInference(.custom(Echo()))
    let input = try InferenceTensor(name: "x", values: [Float(1), 2], shape: [2])
    let response = try await local.infer(InferenceRequest(modelName: "m", inputs: [input]))
    #expect(response.outputs.map(\.name) == ["x"])
    #expect(try response.outputs[0].values(as: Float.self) == [1, 2])
  }
}
