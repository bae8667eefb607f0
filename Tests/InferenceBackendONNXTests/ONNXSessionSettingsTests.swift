import SwiftProtobuf
import Testing
import TritonModelConfig

@testable import InferenceBackendONNX

/// Which ONNX Runtime threads a model's config.pbtxt asks for.
@Suite(.timeLimit(.minutes(1))) struct ONNXSessionSettingsTests {
  static func config(_ text: String) throws -> Inference_ModelConfig {
    try Inference_ModelConfig(textFormatString: "name: \"m\"\nplatform: \"onnxruntime_onnx\"\n" + text)
  }

  @Test("a model without thread parameters runs on the shared pool")
  func sharedByDefault() throws {
    let options = try ONNXSessionSettings.options(from: try Self.config(""))
    #expect(options.sharedThreadPool)
    #expect(options.sequentialExecution)
  }

  @Test(
    "any thread parameter gives the session its own pools, as in Triton",
    arguments: [
      ("intra_op_thread_count", "2"), ("inter_op_thread_count", "1"), ("execution_mode", "1"),
      ("allow_spinning", "0"),
    ])
  func explicitThreads(key: String, value: String) throws {
    let options = try ONNXSessionSettings.options(
      from: try Self.config("parameters { key: \"\(key)\" value: { string_value: \"\(value)\" } }"))
    #expect(!options.sharedThreadPool)
    if key == "intra_op_thread_count" { #expect(options.intraOpThreads == 2) }
  }
}
