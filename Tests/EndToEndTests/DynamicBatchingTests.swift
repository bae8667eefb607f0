import Foundation
import GRPCCore
import KServeGRPC
import Testing

/// Dynamic batching over the real socket: concurrent requests are merged into one execution and every
/// request gets exactly its own rows, equal (to float rounding) to the result without batching.
@Suite(.serialized, .timeLimit(.minutes(5))) struct DynamicBatchingTests {
  /// ghost_mlp twice: `batched` (preferred batch 8, a long delay, so exactly 8 concurrent single-row
  /// requests form one batch) and `single` (no dynamic batching) as the reference.
  static func repository() throws -> URL {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("batching-\(UUID().uuidString)")
    for (name, batching) in [
      ("batched", "dynamic_batching { preferred_batch_size: [ 8 ] max_queue_delay_microseconds: 10000000 }"),
      ("single", ""),
    ] {
      let version = root.appendingPathComponent("\(name)/1")
      try FileManager.default.createDirectory(at: version, withIntermediateDirectories: true)
      try FileManager.default.copyItem(
        at: TestServer.exampleModels.appendingPathComponent("ghost_mlp/1/model.onnx"),
        to: version.appendingPathComponent("model.onnx"))
      try "backend: \"onnxruntime\"\nmax_batch_size: 64\n\(batching)\n".write(
        to: root.appendingPathComponent("\(name)/config.pbtxt"), atomically: true, encoding: .utf8)
    }
    return root
  }

  static func request(model: String, row: Int) -> Inference_ModelInferRequest {
    var r = Requests.ghost(rows: 1)
    r.modelName = model
    r.id = "row-\(row)"
    r.rawInputContents = [Requests.floats((0..<17).map { Float(($0 * 31 + row * 7) % 19) / 19 })]
    return r
  }

  @Test func concurrentRequestsShareOneExecutionAndKeepTheirRows() async throws {
    let repository = try Self.repository()
    defer { try? FileManager.default.removeItem(at: repository) }
    try await TestServer.with(repositories: [repository]) { kserve, _, _, _ in
      let batched = try await withThrowingTaskGroup(of: Inference_ModelInferResponse.self) { group in
        for row in 0..<8 { group.addTask { try await kserve.modelInfer(Self.request(model: "batched", row: row)) } }
        return try await group.reduce(into: []) { $0.append($1) }
      }
      #expect(batched.count == 8)
      for response in batched {
        let row = Int(response.id.dropFirst(4))!
        let reference = try await kserve.modelInfer(Self.request(model: "single", row: row))
        #expect(response.outputs.first?.shape == [1, 1])
        // A batch of 8 may take other CPU kernels than a batch of 1: equal to float rounding.
        let batchedValue = Requests.decodeFloats(response.rawOutputContents[0])
        let singleValue = Requests.decodeFloats(reference.rawOutputContents[0])
        #expect(batchedValue.count == 1 && singleValue.count == 1)
        #expect(abs(batchedValue[0] - singleValue[0]) <= 1e-6, "row \(row)")
      }
      var statsRequest = Inference_ModelStatisticsRequest()
      statsRequest.name = "batched"
      let stats = try #require(try await kserve.modelStatistics(statsRequest).modelStats.first)
      #expect(stats.inferenceCount == 8)
      #expect(stats.executionCount == 1)
      #expect(stats.batchStats.map(\.batchSize) == [8])
      #expect(stats.inferenceStats.success.count == 8)
      #expect(stats.inferenceStats.queue.count == 8)
    }
  }

  @Test func queueTimeoutRejectsWithUnavailable() async throws {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("batching-timeout-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: root) }
    let version = root.appendingPathComponent("slow/1")
    try FileManager.default.createDirectory(at: version, withIntermediateDirectories: true)
    try FileManager.default.copyItem(
      at: TestServer.exampleModels.appendingPathComponent("ghost_mlp/1/model.onnx"),
      to: version.appendingPathComponent("model.onnx"))
    // The batch waits 10 s to fill; the request's own 1 ms timeout (override allowed) expires first.
    try """
    backend: "onnxruntime"
    max_batch_size: 64
    dynamic_batching {
      max_queue_delay_microseconds: 10000000
      default_queue_policy { timeout_action: REJECT allow_timeout_override: true }
    }
    """.write(to: root.appendingPathComponent("slow/config.pbtxt"), atomically: true, encoding: .utf8)
    try await TestServer.with(repositories: [root]) { kserve, _, _, _ in
      var request = Self.request(model: "slow", row: 0)
      var timeout = Inference_InferParameter()
      timeout.int64Param = 1_000
      request.parameters["timeout"] = timeout
      await #expect {
        _ = try await kserve.modelInfer(request)
      } throws: { error in
        (error as? RPCError)?.code == .unavailable && (error as? RPCError)?.message.contains("timed out") == true
      }
    }
  }
}
