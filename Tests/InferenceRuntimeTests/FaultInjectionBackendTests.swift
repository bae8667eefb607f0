import Foundation
import InferenceBackendFault
import InferenceRuntime
import KServeProtocol
import OffloadTestSupport
import Testing

/// The fault-injection backend through the runtime: actions, load failures, the hint when it is not
/// registered, and a cancelled request that stops waiting for a hung execution while the instance stays busy.
@Suite(.timeLimit(.minutes(1))) struct FaultInjectionBackendTests {
  static func config(maxBatchSize: Int = 8, instances: Int = 1, parameters: [String: String] = [:]) -> String {
    FaultInjectionBackend.config(maxBatchSize: maxBatchSize, instances: instances, parameters: parameters)
  }

  /// A runtime over `repository` with `backends`. Every execution runs on its instance thread: a hang must not
  /// block the test's thread, and only there can a cancelled caller stop waiting.
  static func runtime(
    _ repository: TemporaryRepository, backends: [any InferenceBackend],
    unregistered: [BackendRegistry.Unregistered] = []
  ) -> ModelRuntime {
    var configuration = RuntimeConfiguration(repositories: [repository.root])
    configuration.inlineExecutionLimit = .zero
    return ModelRuntime(
      configuration: configuration, backends: BackendRegistry(backends, unregistered: unregistered),
      logger: ModelRuntimeTests.logger)
  }

  /// One row: `ACTION` = `action`, `INPUT0` = `values`.
  static func request(
    _ model: String, action: Int32, values: [Float] = [1, 2, 3], id: String = ""
  ) -> InferenceRequest {
    FaultInjectionBackend.request(model: model, action: action, values: values, id: id)
  }

  static func floats(_ data: Data) -> [Float] { data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) } }

  /// Runs `body` and checks it fails with `code` and a message containing `fragment`.
  static func expectError(
    _ code: InferenceError.Code, _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () async throws -> Void
  ) async {
    do {
      try await body()
      Issue.record("expected \(code) (\(fragment)); the request succeeded", sourceLocation: sourceLocation)
    } catch let error as InferenceError {
      #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
      #expect(error.message.contains(fragment), "\(error.message)", sourceLocation: sourceLocation)
    } catch {
      Issue.record("expected InferenceError \(code), got \(error)", sourceLocation: sourceLocation)
    }
  }

  @Test func actionsEchoFailOrAreRejected() async throws {
    let repository = try TemporaryRepository()
    defer { repository.remove() }
    try repository.addModel("flaky", config: Self.config(), versions: [1: ""], filename: "model.fault")
    let runtime = Self.runtime(repository, backends: [FaultInjectionBackend()])
    try await runtime.loadAll()
    let metadata = try runtime.metadata(name: "flaky", version: "")
    #expect(metadata.inputs.map(\.name) == ["ACTION", "INPUT0"])
    #expect(metadata.inputs.map(\.shape) == [[-1, 1], [-1, -1]])
    #expect(metadata.outputs.map(\.name) == ["OUTPUT0"])

    let echo = try await runtime.infer(Self.request("flaky", action: 0, values: [1.5, -2], id: "e"))
    #expect(echo.id == "e")
    #expect(echo.outputs.map(\.name) == ["OUTPUT0"])
    #expect(echo.outputs.first?.shape == [1, 2])
    #expect(echo.outputs.first.map { Self.floats($0.data) } == [1.5, -2])
    await Self.expectError(.internal, "fault backend: execution failed on demand") {
      _ = try await runtime.infer(Self.request("flaky", action: 1))
    }
    await Self.expectError(.invalidArgument, "use 0 (echo), 1 (fail), 2 (hang) or 3 (release hangs)") {
      _ = try await runtime.infer(Self.request("flaky", action: 7))
    }
    await Self.expectError(.invalidArgument, "got ACTION -1") {
      _ = try await runtime.infer(Self.request("flaky", action: -1))
    }
    _ = try await runtime.infer(Self.request("flaky", action: 0))
    let stats = try #require(try runtime.statistics(name: "flaky", version: "").first)
    #expect(stats.success.count == 2)
    #expect(stats.fail.count == 3)
  }

  @Test func aBatchDoesTheLargestActionOfItsRows() async throws {
    let repository = try TemporaryRepository()
    defer { repository.remove() }
    try repository.addModel("flaky", config: Self.config(), versions: [1: ""], filename: "model.fault")
    let runtime = Self.runtime(repository, backends: [FaultInjectionBackend()])
    try await runtime.loadAll()
    var request = Self.request("flaky", action: 0, values: [1, 2])
    request.inputs[0] = InferenceTensor(
      name: "ACTION", datatype: .int32, shape: [2, 1], data: [Int32(0), 1].withUnsafeBytes { Data($0) })
    request.inputs[1].shape = [2, 1]
    await Self.expectError(.internal, "execution failed on demand") { _ = try await runtime.infer(request) }
  }

  @Test func delaySlowsEveryExecutionDown() async throws {
    let repository = try TemporaryRepository()
    defer { repository.remove() }
    try repository.addModel(
      "slow", config: Self.config(parameters: ["delay_us": "20000"]), versions: [1: ""], filename: "model.fault")
    let runtime = Self.runtime(repository, backends: [FaultInjectionBackend()])
    try await runtime.loadAll()
    for _ in 0..<3 { _ = try await runtime.infer(Self.request("slow", action: 0)) }
    let stats = try #require(try runtime.statistics(name: "slow", version: "").first)
    // A sleep never ends early: a lower bound is safe on any machine.
    #expect(stats.computeInfer.nanoseconds >= 3 * 20_000_000)
    #expect(stats.executionCount == 3)
  }

  @Test func loadFailuresAreReportedWithTheirCauseAndOthersServe() async throws {
    let repository = try TemporaryRepository()
    defer { repository.remove() }
    try repository.addModel(
      "steady", config: Self.config(), versions: [1: "# an ordinary fault model\n"], filename: "model.fault")
    try repository.addModel(
      "fails_load", config: Self.config(parameters: ["fail_load": "true"]), versions: [1: ""], filename: "model.fault")
    try repository.addModel(
      "fails_load_file", config: Self.config(), versions: [1: "fail_load\n"], filename: "model.fault")
    try repository.addModel(
      "fails_signature", config: Self.config(), versions: [1: "fail_signature  # on demand\n"], filename: "model.fault")
    try repository.addModel("typo", config: Self.config(), versions: [1: "fail_lod\n"], filename: "model.fault")
    try repository.addModel(
      "bad_delay", config: Self.config(parameters: ["delay_us": "soon"]), versions: [1: ""], filename: "model.fault")
    let runtime = Self.runtime(repository, backends: [FaultInjectionBackend()])
    try await runtime.loadAll()
    #expect(runtime.isReady)
    let index = Dictionary(grouping: runtime.repositoryIndex(), by: \.name).mapValues { $0[0] }
    #expect(index["steady"]?.state == .ready)
    for name in ["fails_load", "fails_load_file", "fails_signature", "typo", "bad_delay"] {
      #expect(index[name]?.state == .unavailable, "\(name)")
    }
    #expect(index["fails_load"]?.reason.contains("failed on demand (fail_load)") == true)
    #expect(index["fails_load_file"]?.reason.contains("failed on demand (fail_load)") == true)
    #expect(index["fails_signature"]?.reason.contains("directive fail_signature") == true)
    #expect(index["typo"]?.reason.contains("unknown directive 'fail_lod'") == true)
    #expect(index["bad_delay"]?.reason.contains("parameter 'delay_us' is 'soon'") == true)
    _ = try await runtime.infer(Self.request("steady", action: 0))
  }

  @Test func withoutTheBackendAFaultModelNamesTheFlag() async throws {
    let repository = try TemporaryRepository()
    defer { repository.remove() }
    try repository.addModel("named", config: Self.config(), versions: [1: ""], filename: "model.fault")
    try repository.addModel("by_file", config: "max_batch_size: 8\n", versions: [1: ""], filename: "model.fault")
    // A server that ships the backend but did not register it says so (OffloadServer declares it).
    let runtime = Self.runtime(
      repository, backends: [FakeBackend(.pair)], unregistered: [FaultInjectionBackend.unregistered])
    try await runtime.loadAll()
    for entry in runtime.repositoryIndex() {
      #expect(entry.state == .unavailable, "\(entry.name)")
      #expect(entry.reason.contains("--enable-test-backends"), "\(entry.name): \(entry.reason)")
    }
    #expect(runtime.repositoryIndex().count == 2)
  }

  /// A request waiting on a hung execution returns as soon as it is cancelled; the instance stays busy (the
  /// next request queues) until the execution really ends. A wait for the 10-minute hang would hit the time
  /// limit and fail the test.
  @Test func aCancelledRequestStopsWaitingWhileItsHungInstanceStaysBusy() async throws {
    let repository = try TemporaryRepository()
    defer { repository.remove() }
    try repository.addModel(
      "sticky", config: Self.config(parameters: ["hang_ms": "600000"]), versions: [1: ""], filename: "model.fault")
    let backend = FaultInjectionBackend()
    defer { backend.releaseHangs() }
    let runtime = Self.runtime(repository, backends: [backend])
    try await runtime.loadAll()
    let model = try runtime.servable(name: "sticky", version: "")

    let hung = Task { try await runtime.infer(Self.request("sticky", action: 2)) }
    while backend.hangingExecutions == 0 {
      try Task.checkCancellation()
      await Task.yield()
    }
    hung.cancel()
    await Self.expectError(.cancelled, "was cancelled") { _ = try await hung.value }
    #expect(backend.hangingExecutions == 1, "the execution runs on")

    let queued = Task { try await runtime.infer(Self.request("sticky", action: 0)) }
    while model.scheduler.queueDepth == 0 {
      try Task.checkCancellation()
      await Task.yield()
    }
    queued.cancel()
    await Self.expectError(.cancelled, "was cancelled") { _ = try await queued.value }
    #expect(model.scheduler.queueDepth == 0, "a cancelled waiter leaves the queue")

    backend.releaseHangs()
    let answer = try await runtime.infer(Self.request("sticky", action: 0, values: [4, 5]))
    #expect(answer.outputs.first.map { Self.floats($0.data) } == [4, 5])
    #expect(backend.hangingExecutions == 0)
    let stats = try #require(try runtime.statistics(name: "sticky", version: "").first)
    #expect(stats.fail.count == 2)
    #expect(stats.success.count == 1)
  }

  /// Unloading drains, as Triton: requests already waiting for the busy instance still run and succeed,
  /// later ones are refused; with and without dynamic batching (queued requests then run as one batch).
  @Test(arguments: [false, true]) func unloadLetsWaitingRequestsFinish(batching: Bool) async throws {
    let repository = try TemporaryRepository()
    defer { repository.remove() }
    let config = Self.config(parameters: ["hang_ms": "600000"]) + (batching ? "dynamic_batching { }\n" : "")
    try repository.addModel("slow", config: config, versions: [1: ""], filename: "model.fault")
    let backend = FaultInjectionBackend()
    defer { backend.releaseHangs() }
    var configuration = RuntimeConfiguration(repositories: [repository.root])
    configuration.inlineExecutionLimit = .zero
    configuration.modelControl = .explicit(startupModels: ["slow"])
    let runtime = ModelRuntime(
      configuration: configuration, backends: BackendRegistry([backend]), logger: ModelRuntimeTests.logger)
    try await runtime.loadAll()
    let model = try runtime.servable(name: "slow", version: "1")
    #expect((model.batcher != nil) == batching)

    let hung = Task { try await runtime.infer(Self.request("slow", action: 2, values: [9])) }
    while backend.hangingExecutions == 0 {
      try Task.checkCancellation()
      await Task.yield()
    }
    let waiting = (0..<3).map { index in
      Task { try await runtime.infer(Self.request("slow", action: 0, values: [Float(index)], id: "w\(index)")) }
    }
    while (model.batcher?.queueDepth ?? model.scheduler.queueDepth) < 3 {
      try Task.checkCancellation()
      await Task.yield()
    }

    try await runtime.unload(modelNamed: "slow")
    #expect(!runtime.isModelReady(name: "slow", version: "1"))
    await Self.expectError(.unavailable, "slow") { _ = try await runtime.infer(Self.request("slow", action: 0)) }

    backend.releaseHangs()
    #expect(try await hung.value.outputs.first.map { Self.floats($0.data) } == [9])
    for (index, task) in waiting.enumerated() {
      let answer = try await task.value
      #expect(answer.id == "w\(index)")
      #expect(answer.outputs.first.map { Self.floats($0.data) } == [Float(index)])
    }
    #expect(model.batcher?.queueDepth ?? model.scheduler.queueDepth == 0)
  }

  /// Requests held by a long queue delay run at once when the model is unloaded: the drain hands their
  /// batch to the runtime's timer loop, which runs it (nothing waits for the minute-long delay).
  @Test func unloadRunsBatchesHeldByTheQueueDelay() async throws {
    let repository = try TemporaryRepository()
    defer { repository.remove() }
    let config = Self.config() + "dynamic_batching { max_queue_delay_microseconds: 60000000 }\n"
    try repository.addModel("held", config: config, versions: [1: ""], filename: "model.fault")
    var configuration = RuntimeConfiguration(repositories: [repository.root])
    configuration.modelControl = .explicit(startupModels: ["held"])
    let runtime = ModelRuntime(
      configuration: configuration, backends: BackendRegistry([FaultInjectionBackend()]),
      logger: ModelRuntimeTests.logger)
    try await runtime.loadAll()
    let model = try runtime.servable(name: "held", version: "1")
    try await withThrowingTaskGroup(of: Void.self) { group in
      group.addTask { await runtime.run() }
      defer { group.cancelAll() }
      let waiting = (0..<2).map { index in
        Task { try await runtime.infer(Self.request("held", action: 0, values: [Float(index)], id: "h\(index)")) }
      }
      while (model.batcher?.queueDepth ?? 0) < 2 {
        try Task.checkCancellation()
        await Task.yield()
      }
      try await runtime.unload(modelNamed: "held")
      for (index, task) in waiting.enumerated() {
        let answer = try await task.value
        #expect(answer.id == "h\(index)")
        #expect(answer.outputs.first.map { Self.floats($0.data) } == [Float(index)])
      }
      await runtime.shutdown()
    }
  }
}
