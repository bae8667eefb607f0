import Foundation
import GRPCCore
import InferenceBackendFault
import InferenceRuntime
import InferenceServer
import KServeGRPC
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Faults on demand through the real server (the fault-injection test backend): a failing model does not
/// affect others, a hung execution is bounded by the request's deadline, a model that cannot load is
/// reported and the rest serve, and a full queue answers at once.
///
/// Hangs last 10 minutes unless the test releases them (`FaultInjectionBackend.releaseHangs()`), so any
/// wait for one would hit the time limit and fail the test.
@Suite(.serialized, .timeLimit(.minutes(2))) struct FaultInjectionTests {
  /// Every execution runs on its instance thread: a hang must not block one of the in-process server's
  /// request threads, and only there can a cancelled request stop waiting (`ExecutionPlacement.runAbandonable`).
  static func onInstanceThreads(_ config: inout ServerConfiguration) {
    config.runtime.inlineExecutionLimit = .zero
  }

  static let hangs = ["hang_ms": "600000"]

  static func options(timeout: Duration) -> CallOptions {
    var options = CallOptions.defaults
    options.timeout = timeout
    return options
  }

  /// Runs `body` and checks it fails with `code` (and `fragment` in the message, when given).
  static func expectRPCError(
    _ code: RPCError.Code, _ fragment: String = "", sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () async throws -> Void
  ) async {
    do {
      try await body()
      Issue.record("expected \(code); the call succeeded", sourceLocation: sourceLocation)
    } catch let error as RPCError {
      #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
      #expect(fragment.isEmpty || error.message.contains(fragment), "\(error.message)", sourceLocation: sourceLocation)
    } catch {
      Issue.record("expected RPCError \(code), got \(error)", sourceLocation: sourceLocation)
    }
  }

  /// Waits until `condition` holds. The bound is structural: every condition waited for here follows a step
  /// that takes milliseconds, while the hang it races lasts 10 minutes.
  static func waitUntil(
    _ what: String, sourceLocation: SourceLocation = #_sourceLocation, _ condition: () throws -> Bool
  ) async throws {
    let deadline = ContinuousClock.now + .seconds(20)
    while try !condition() {
      guard ContinuousClock.now < deadline else {
        Issue.record("gave up waiting until \(what)", sourceLocation: sourceLocation)
        return
      }
      try Task.checkCancellation()
      await Task.yield()
    }
  }

  static func statistics(
    _ kserve: TestServer.KServeClient, _ model: String
  ) async throws -> Inference_InferStatistics? {
    var request = Inference_ModelStatisticsRequest()
    request.name = model
    return try await kserve.modelStatistics(request).modelStats.first?.inferenceStats
  }

  /// Requests asking to fail get INTERNAL with the backend's message; requests interleaved with them, to the
  /// same model and to another one, sequentially and concurrently, all get their echo; statistics agree.
  @Test func aModelFailingOnDemandDoesNotAffectOtherRequests() async throws {
    let repository = try FaultModels.repository([.init("flaky"), .init("steady")])
    defer { try? FileManager.default.removeItem(at: repository) }
    try await TestServer.with(
      repositories: [repository],
      configure: { config in
        config.enableTestBackends = true  // the built-in backend, as `offload serve --enable-test-backends`
        Self.onInstanceThreads(&config)
      }
    ) { kserve, _, _, _ in
      for i in 0..<30 {
        let fail = i % 3 == 0
        let request = FaultModels.request("flaky", action: fail ? 1 : 0, values: [Float(i)], id: "f\(i)")
        if fail {
          await Self.expectRPCError(.internalError, "fault backend: execution failed on demand") {
            _ = try await kserve.modelInfer(request)
          }
        } else {
          let reply = try await kserve.modelInfer(request)
          #expect(reply.id == "f\(i)")
          #expect(reply.rawOutputContents.map(Requests.decodeFloats) == [[Float(i)]])
        }
        let steady = try await kserve.modelInfer(FaultModels.request("steady", action: 0, values: [Float(i), 1]))
        #expect(steady.rawOutputContents.map(Requests.decodeFloats) == [[Float(i), 1]])
      }
      // Concurrently: every fourth request to `flaky` fails; the others, and all of `steady`'s, succeed.
      let wrong = try await withThrowingTaskGroup(of: Int.self) { group in
        for i in 0..<64 {
          group.addTask {
            let model = i % 2 == 0 ? "flaky" : "steady"
            let fail = model == "flaky" && i % 4 == 0
            do {
              let reply = try await kserve.modelInfer(
                FaultModels.request(model, action: fail ? 1 : 0, values: [Float(i), 2]))
              return !fail && reply.rawOutputContents.map(Requests.decodeFloats) == [[Float(i), 2]] ? 0 : 1
            } catch let error as RPCError {
              return fail && error.code == .internalError && error.message.contains("failed on demand") ? 0 : 1
            }
          }
        }
        return try await group.reduce(0, +)
      }
      #expect(wrong == 0)
      let flaky = try #require(try await Self.statistics(kserve, "flaky"))
      #expect(flaky.success.count == 20 + 16)
      #expect(flaky.fail.count == 10 + 16)
      let steady = try #require(try await Self.statistics(kserve, "steady"))
      #expect(steady.success.count == 30 + 32)
      #expect(steady.fail.count == 0)
    }
  }

  /// A hung execution of a one-instance model: the request gets DEADLINE_EXCEEDED at its deadline and the
  /// server stops waiting for it too (it counts the failure while the hang goes on); other models answer;
  /// the instance stays busy (a later request waits, and its own deadline ends that) until the execution
  /// really ends, after which the model serves again.
  @Test func aHungExecutionIsBoundedByTheDeadlineAndOthersServe() async throws {
    let backend = FaultInjectionBackend()
    defer { backend.releaseHangs() }
    let repository = try FaultModels.repository([
      .init("sticky", config: FaultModels.config(parameters: Self.hangs)), .init("steady"),
    ])
    defer { try? FileManager.default.removeItem(at: repository) }
    try await TestServer.with(
      repositories: [repository], additionalBackends: [backend], configure: Self.onInstanceThreads
    ) { kserve, _, _, server in
      defer { backend.releaseHangs() }  // before the graceful shutdown, which waits for calls in flight
      func failures() throws -> UInt64 {
        try server.runtime.statistics(name: "sticky", version: "").first?.fail.count ?? 0
      }

      await Self.expectRPCError(.deadlineExceeded) {
        _ = try await kserve.modelInfer(
          FaultModels.request("sticky", action: 2), options: Self.options(timeout: .milliseconds(300)))
      }
      try await Self.waitUntil("the server gave up on the hung request") { try failures() == 1 }
      #expect(backend.hangingExecutions == 1, "the execution itself runs on")

      for i in 0..<10 {
        let reply = try await kserve.modelInfer(FaultModels.request("steady", action: 0, values: [Float(i)]))
        #expect(reply.rawOutputContents.map(Requests.decodeFloats) == [[Float(i)]])
      }

      await Self.expectRPCError(.deadlineExceeded) {
        _ = try await kserve.modelInfer(
          FaultModels.request("sticky", action: 0), options: Self.options(timeout: .milliseconds(300)))
      }
      try await Self.waitUntil("the queued request left the queue") { try failures() == 2 }
      #expect(try server.runtime.servable(name: "sticky", version: "").scheduler.queueDepth == 0)

      backend.releaseHangs()
      let reply = try await kserve.modelInfer(FaultModels.request("sticky", action: 0, values: [7]))
      #expect(reply.rawOutputContents.map(Requests.decodeFloats) == [[7]])
      let stats = try #require(try await Self.statistics(kserve, "sticky"))
      #expect(stats.fail.count == 2)
      #expect(stats.success.count == 1)
    }
  }

  /// With two instances, one hung execution leaves the other instance serving the same model.
  @Test func theOtherInstanceServesDuringAHang() async throws {
    let backend = FaultInjectionBackend()
    defer { backend.releaseHangs() }
    let repository = try FaultModels.repository([
      .init("sticky2", config: FaultModels.config(instances: 2, parameters: Self.hangs))
    ])
    defer { try? FileManager.default.removeItem(at: repository) }
    try await TestServer.with(
      repositories: [repository], additionalBackends: [backend], configure: Self.onInstanceThreads
    ) { kserve, _, _, _ in
      defer { backend.releaseHangs() }
      await Self.expectRPCError(.deadlineExceeded) {
        _ = try await kserve.modelInfer(
          FaultModels.request("sticky2", action: 2), options: Self.options(timeout: .milliseconds(300)))
      }
      for i in 0..<10 {
        let reply = try await kserve.modelInfer(
          FaultModels.request("sticky2", action: 0, values: [Float(i)]), options: Self.options(timeout: .seconds(20)))
        #expect(reply.rawOutputContents.map(Requests.decodeFloats) == [[Float(i)]])
      }
      #expect(backend.hangingExecutions == 1)
    }
  }

  /// A request that finds the only instance hung and the queue (limit 1) full is rejected at once: 503 over
  /// HTTP and UNAVAILABLE over gRPC, naming the model and the limit. The two waiting requests complete once
  /// the hang ends.
  @Test func aFullQueueAnswersAtOnceWith503AndUnavailable() async throws {
    let backend = FaultInjectionBackend()
    defer { backend.releaseHangs() }
    let repository = try FaultModels.repository([.init("sticky", config: FaultModels.config(parameters: Self.hangs))])
    defer { try? FileManager.default.removeItem(at: repository) }
    try await TestServer.with(
      repositories: [repository], additionalBackends: [backend],
      configure: { config in
        config.runtime.maxQueueSizePerModel = 1
        Self.onInstanceThreads(&config)
      }
    ) { kserve, _, _, server in
      defer { backend.releaseHangs() }
      let hung = Task { try await kserve.modelInfer(FaultModels.request("sticky", action: 2, values: [1])) }
      try await Self.waitUntil("the execution hangs") { backend.hangingExecutions == 1 }
      let queued = Task { try await kserve.modelInfer(FaultModels.request("sticky", action: 0, values: [2])) }
      let model = try server.runtime.servable(name: "sticky", version: "")
      try await Self.waitUntil("a request waits") { model.scheduler.queueDepth == 1 }

      let port = try #require(await server.httpPort())
      let url = try #require(URL(string: "http://127.0.0.1:\(port)/v2/models/sticky/infer"))
      let (status, body) = try await HTTPEndToEndTests.post(url, FaultModels.json(action: 0))
      #expect(status == 503, "\(body)")
      #expect(body.contains("model 'sticky' version 1: request queue is full (1 waiting)"), "\(body)")
      await Self.expectRPCError(.unavailable, "model 'sticky' version 1: request queue is full (1 waiting)") {
        _ = try await kserve.modelInfer(FaultModels.request("sticky", action: 0))
      }

      backend.releaseHangs()
      #expect(try await hung.value.rawOutputContents.map(Requests.decodeFloats) == [[1]])
      #expect(try await queued.value.rawOutputContents.map(Requests.decodeFloats) == [[2]])
      let stats = try #require(try await Self.statistics(kserve, "sticky"))
      #expect(stats.success.count == 2)
      #expect(stats.fail.count == 2)
    }
  }

  /// Models whose instances or signature fail to load are UNAVAILABLE with the reason; the server is ready
  /// and serves the others.
  @Test func loadFailuresAreReportedAndTheRestServe() async throws {
    let repository = try FaultModels.repository([
      .init("steady"),
      .init("fails_load", config: FaultModels.config(instances: 2, parameters: ["fail_load": "true"])),
      .init("fails_signature", file: "fail_signature\n"),
    ])
    defer { try? FileManager.default.removeItem(at: repository) }
    try await TestServer.with(repositories: [repository], configure: { $0.enableTestBackends = true }) {
      kserve, _, _, _ in
      #expect(try await kserve.serverReady(Inference_ServerReadyRequest()).ready)
      let index = try await kserve.repositoryIndex(Inference_RepositoryIndexRequest()).models
      let byName = Dictionary(uniqueKeysWithValues: index.map { ($0.name, $0) })
      #expect(byName["steady"]?.state == "READY")
      #expect(byName["fails_load"]?.state == "UNAVAILABLE")
      #expect(byName["fails_load"]?.reason.contains("instance 0 of model 'fails_load'") == true)
      #expect(byName["fails_load"]?.reason.contains("failed on demand (fail_load)") == true)
      #expect(byName["fails_signature"]?.state == "UNAVAILABLE")
      #expect(byName["fails_signature"]?.reason.contains("failed on demand (directive fail_signature)") == true)
      await Self.expectRPCError(.unavailable, "fail_load") {
        _ = try await kserve.modelInfer(FaultModels.request("fails_load", action: 0))
      }
      let reply = try await kserve.modelInfer(FaultModels.request("steady", action: 0, values: [3]))
      #expect(reply.rawOutputContents.map(Requests.decodeFloats) == [[3]])
    }
  }

  /// Without `--enable-test-backends` a fault model does not load, and the reason names the flag.
  @Test func withoutTheFlagAFaultModelNamesIt() async throws {
    let repository = try FaultModels.repository([.init("steady")])
    defer { try? FileManager.default.removeItem(at: repository) }
    try await TestServer.with(repositories: [repository]) { kserve, _, _, _ in
      #expect(try await kserve.serverReady(Inference_ServerReadyRequest()).ready)
      let index = try await kserve.repositoryIndex(Inference_RepositoryIndexRequest()).models
      #expect(index.map(\.state) == ["UNAVAILABLE"])
      #expect(index.first?.reason.contains("--enable-test-backends") == true, "\(index)")
      await Self.expectRPCError(.unavailable, "--enable-test-backends") {
        _ = try await kserve.modelInfer(FaultModels.request("steady", action: 0))
      }
    }
  }
}
