import Foundation
import GRPCCore
import KServeGRPC
import Testing

/// Many concurrent requests, batched and not: every one is answered (a lost wake-up or a lost result
/// would hang here; the time limit turns a hang into a failure).
@Suite(.serialized, .timeLimit(.minutes(5))) struct ConcurrencyStressTests {
  @Test(.timeLimit(.minutes(1)), arguments: ["ghost_mlp", "ghost_mlp_batched"])
  func everyConcurrentRequestIsAnswered(model: String) async throws {
    try await TestServer.with { kserve, _, _, _ in
      var wire = Requests.ghost(rows: 1)
      wire.modelName = model
      let request = wire
      let answered = try await withThrowingTaskGroup(of: Int.self) { group in
        for _ in 0..<32 {
          group.addTask {
            for _ in 0..<100 { _ = try await kserve.modelInfer(request) }
            return 100
          }
        }
        return try await group.reduce(0, +)
      }
      #expect(answered == 3200)
      var stats = Inference_ModelStatisticsRequest()
      stats.name = model
      let counted = try #require(try await kserve.modelStatistics(stats).modelStats.first)
      #expect(counted.inferenceCount == 3200)
      #expect(counted.inferenceStats.success.count == 3200)
    }
  }
}
