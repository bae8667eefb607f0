import Foundation
import GRPCCore
import InferenceServer
import KServeGRPC
import Testing

/// The server answers the same with its tasks on the event loops (the default: a gRPC call on its
/// connection's loop) and on Swift's global executor (`--swift-global-executor`).
@Suite("Executor choice", .timeLimit(.minutes(2)))
struct ExecutorChoiceTests {
  @Test(arguments: [true, false])
  func concurrentCallsAreAnsweredOnEitherExecutor(onEventLoops: Bool) async throws {
    try await TestServer.with(configure: { $0.tasksOnEventLoops = onEventLoops }) { kserve, _, _, _ in
      try await withThrowingTaskGroup(of: Void.self) { group in
        for call in 0..<64 {
          group.addTask {
            let request = Requests.addSub(rows: Int64(1 + call % 4), id: "call \(call)")
            let response = try await kserve.modelInfer(request)
            let a = Requests.decodeFloats(request.rawInputContents[0])
            #expect(response.id == "call \(call)")
            #expect(Requests.decodeFloats(response.rawOutputContents[0]) == a.map { $0 * 3 })
            #expect(Requests.decodeFloats(response.rawOutputContents[1]) == a.map { -$0 })
          }
        }
        try await group.waitForAll()
      }
      // A call that fails keeps its status on either executor.
      var unknown = Requests.addSub()
      unknown.modelName = "add_sub_missing"
      await #expect(throws: RPCError.self) { _ = try await kserve.modelInfer(unknown) }
    }
  }
}
