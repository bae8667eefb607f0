import Foundation
import InferenceRuntime
import KServeProtocol
import Logging
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

  @Test("default threads: small executions on the calling thread, large ones on the shared pool, same answers")
  func smallAndLargeSessions() throws {
    let models = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("examples/models")
    let backend = ONNXRuntimeBackend(libraryPath: nil, logger: Logger(label: "test"))
    let file = models.appendingPathComponent("ghost_mlp/1/model.onnx")
    func load(_ text: String) throws -> ONNXModelInstance {
      let instance = try backend.loadInstance(
        InstanceLoadContext(
          config: try Self.config("max_batch_size: 1024\n" + text), modelFile: file, version: 1, instanceIndex: 0,
          logger: Logger(label: "test")))
      return try #require(instance as? ONNXModelInstance)
    }
    let shared = try load("")
    #expect(shared.largeSession != nil)
    let own = try load("parameters { key: \"intra_op_thread_count\" value: { string_value: \"2\" } }")
    #expect(own.largeSession == nil)
    // 500 rows of 17 features: above the large-execution threshold; the answers match row by row.
    let rows = 500
    let values = (0..<(rows * 17)).map { Float($0 % 13) / 13 }
    let input = InferenceTensor(
      name: "features", datatype: .fp32, shape: [Int64(rows), 17],
      data: values.withUnsafeBufferPointer { Data(buffer: $0) })
    #expect(rows * 17 >= ONNXModelInstance.largeExecutionElements)
    let spec = OutputSpec(name: "ghost_prob", datatype: .fp32)
    let large = try shared.execute(inputs: [input], outputs: [spec])
    let single = try own.execute(inputs: [input], outputs: [spec])
    #expect(large.outputs.first?.data.count == rows * 4)
    let a = large.outputs[0].data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    let b = single.outputs[0].data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    #expect(zip(a, b).allSatisfy { abs($0 - $1) <= 1e-5 })
  }
}
