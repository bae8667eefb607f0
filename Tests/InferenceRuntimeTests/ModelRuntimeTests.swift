import Foundation
import InferenceRuntime
import KServeProtocol
import Logging
import OffloadTestSupport
import Synchronization
import Testing
import TritonModelConfig

@Suite(.timeLimit(.minutes(1))) struct ModelRuntimeTests {
  static let logger: Logger = {
    var logger = Logger(label: "test")
    logger.logLevel = .critical
    return logger
  }()

  static func runtime(_ repository: TemporaryRepository, backend: FakeBackend = FakeBackend(.pair)) -> ModelRuntime {
    ModelRuntime(
      configuration: RuntimeConfiguration(repositories: [repository.root], maxRequestBytes: 100),
      backends: BackendRegistry([backend]), logger: logger)
  }

  static func pairRequest(
    model: String = "pair", version: String = "", rows: Int64 = 1, id: String = "r1"
  )
    -> InferenceRequest
  {
    let data = Data((0..<Int(rows) * 16).map { UInt8(truncatingIfNeeded: $0) })
    return InferenceRequest(
      modelName: model, modelVersion: version, id: id,
      inputs: [
        InferenceTensor(name: "INPUT0", datatype: .fp32, shape: [rows, 4], data: data),
        InferenceTensor(name: "INPUT1", datatype: .fp32, shape: [rows, 4], data: data),
      ])
  }

  /// Triton's --strict-readiness: a model that failed to load makes the server unready; off by default.
  @Test(arguments: [false, true]) func strictReadinessCountsFailedModels(strict: Bool) async throws {
    let repository = try TemporaryRepository()
    defer { repository.remove() }
    try repository.addModel("pair", config: nil)
    try repository.addModel("broken", config: nil, versions: [1: "fail-load"])
    var configuration = RuntimeConfiguration(repositories: [repository.root], maxRequestBytes: 100)
    configuration.strictReadiness = strict
    let runtime = ModelRuntime(
      configuration: configuration, backends: BackendRegistry([FakeBackend(.pair)]), logger: Self.logger)
    #expect(!runtime.isReady, "not ready before the initial load")
    try await runtime.loadAll()
    #expect(runtime.isModelReady(name: "pair", version: ""))
    #expect(runtime.isReady == !strict)
    // Unloading the failed model (explicit control) makes a strict server ready again.
    try await runtime.unload(modelNamed: "broken")
    #expect(runtime.isReady)
  }

  @Test func configIsCompletedFromTheModelSignature() async throws {
    let repository = try TemporaryRepository()
    defer { repository.remove() }
    try repository.addModel("pair", config: nil)
    try repository.addModel("partial", config: "backend: \"fake\"\nmax_batch_size: 16\n")
    let runtime = Self.runtime(repository)
    try await runtime.loadAll()
    let auto = try runtime.config(name: "pair", version: "")
    #expect(auto.backend == "fake")
    #expect(auto.platform == "fake_platform")
    #expect(auto.maxBatchSize == ModelConfigCompleter.defaultMaxBatchSize)
    #expect(auto.input.map(\.name) == ["INPUT0", "INPUT1"])
    #expect(auto.input.first?.dims == [4])
    #expect(auto.output.first?.dataType == .typeFp32)
    #expect(auto.instanceGroup.first?.count == 1)
    let partial = try runtime.config(name: "partial", version: "1")
    #expect(partial.maxBatchSize == 16)
    #expect(partial.output.count == 2)
    let metadata = try runtime.metadata(name: "partial", version: "")
    #expect(metadata.inputs.first?.shape == [-1, 4])
    #expect(metadata.versions == ["1"])
  }

  @Test func brokenModelsAreReportedAndOthersServe() async throws {
    let repository = try TemporaryRepository()
    defer { repository.remove() }
    try repository.addModel("pair", config: nil)
    try repository.addModel("bad_syntax", config: "name: \"bad_syntax\"\nmax_batch_size: [\n")
    try repository.addModel("corrupt", config: nil, versions: [1: "corrupt"])
    try repository.addModel("wrong_type", config: "input [ { name: \"INPUT0\", data_type: TYPE_INT32, dims: [4] } ]\n")
    try repository.addModel("wrong_name", config: "input [ { name: \"INPUT9\" } ]\n")
    try repository.addModel("no_versions", config: nil, versions: [:])
    try repository.addModel("half", config: "version_policy: { all: {} }\n", versions: [1: "ok", 2: "fail-load"])
    try repository.addModel("gpu", config: "instance_group [ { kind: KIND_GPU } ]\n")
    let runtime = Self.runtime(repository)
    try await runtime.loadAll()
    #expect(runtime.isReady)
    let index = Dictionary(grouping: runtime.repositoryIndex(), by: \.name)
    #expect(index["pair"]?.first?.state == .ready)
    #expect(index["bad_syntax"]?.first?.reason.contains("config.pbtxt:2:") == true)
    #expect(index["corrupt"]?.first?.reason.contains("corrupt model file") == true)
    #expect(index["wrong_type"]?.first?.reason.contains("data_type") == true)
    #expect(index["wrong_name"]?.first?.reason.contains("did you mean 'INPUT0'") == true)
    #expect(index["no_versions"]?.first?.reason.contains("no version directories") == true)
    #expect(index["gpu"]?.first?.reason.contains("KIND_CPU") == true)
    #expect(index["half"]?.map(\.state) == [.ready, .unavailable])
    #expect(index["half"]?.last?.reason.contains("instance refused to load") == true)
    for entry in runtime.repositoryIndex() where entry.state != .ready { #expect(!entry.reason.isEmpty) }
    let response = try await runtime.infer(Self.pairRequest())
    #expect(response.id == "r1")
    #expect(response.outputs.map(\.name) == ["OUTPUT0", "OUTPUT1"])
    #expect(try await runtime.infer(Self.pairRequest(model: "half")).modelVersion == "1")
  }

  @Test func lookupErrorsNameTheFix() async throws {
    let repository = try TemporaryRepository()
    defer { repository.remove() }
    try repository.addModel("pair", config: nil)
    try repository.addModel("corrupt", config: nil, versions: [1: "corrupt"])
    let runtime = Self.runtime(repository)
    try await runtime.loadAll()
    func expectError(_ request: InferenceRequest, _ code: InferenceError.Code, _ fragment: String) async {
      await #expect(
        performing: { _ = try await runtime.infer(request) },
        throws: { error in
          guard let error = error as? InferenceError else { return false }
          return error.code == code && error.message.contains(fragment)
        })
    }
    await expectError(Self.pairRequest(model: "piar"), .notFound, "did you mean 'pair'")
    await expectError(Self.pairRequest(version: "7"), .notFound, "available versions: 1")
    await expectError(Self.pairRequest(version: "x"), .invalidArgument, "not a positive integer")
    await expectError(Self.pairRequest(model: "corrupt"), .unavailable, "no ready version")
    await expectError(Self.pairRequest(rows: 4), .resourceExhausted, "limit of 100")
    _ = try await runtime.infer(Self.pairRequest())
  }

  @Test func statisticsAddUp() async throws {
    let repository = try TemporaryRepository()
    defer { repository.remove() }
    try repository.addModel("pair", config: nil)
    let runtime = Self.runtime(repository)
    try await runtime.loadAll()
    _ = try await runtime.infer(Self.pairRequest(rows: 1))
    _ = try await runtime.infer(Self.pairRequest(rows: 3))
    _ = try await runtime.infer(Self.pairRequest(rows: 3))
    _ = try? await runtime.infer(Self.pairRequest(rows: 9))
    let stats = try #require(try runtime.statistics(name: "pair", version: "").first)
    #expect(stats.inferenceCount == 7)
    #expect(stats.executionCount == 3)
    #expect(stats.success.count == 3)
    #expect(stats.fail.count == 1)
    #expect(stats.computeInfer.nanoseconds == 6)
    #expect(stats.batchStatistics.map(\.batchSize) == [1, 3])
    #expect(stats.batchStatistics.last?.computeInfer.count == 2)
    #expect(
      stats.queue.nanoseconds + stats.computeInput.nanoseconds + stats.computeInfer.nanoseconds
        + stats.computeOutput.nanoseconds <= stats.success.nanoseconds + 6 * 3)
    #expect(stats.lastInferenceMillis > 0)
  }

  @Test func unloadAndReload() async throws {
    let repository = try TemporaryRepository()
    defer { repository.remove() }
    try repository.addModel("pair", config: nil)
    let backend = FakeBackend(.pair)
    let runtime = Self.runtime(repository, backend: backend)
    try await runtime.loadAll()
    try await runtime.unload(modelNamed: "pair")
    #expect(!runtime.isModelReady(name: "pair", version: ""))
    #expect(runtime.repositoryIndex().first?.reason == "unloaded")
    await #expect(throws: InferenceError.self) { _ = try await runtime.infer(Self.pairRequest()) }
    try await runtime.load(modelNamed: "pair")
    #expect(runtime.isModelReady(name: "pair", version: "1"))
    let loads = backend.loads.withLock { $0 }
    #expect(loads == 2)
    await #expect(throws: InferenceError.self) { try await runtime.load(modelNamed: "nope") }
  }

  @Test func failedReloadKeepsThePreviousVersionServing() async throws {
    let repository = try TemporaryRepository()
    defer { repository.remove() }
    try repository.addModel("pair", config: nil)
    let runtime = Self.runtime(repository)
    try await runtime.loadAll()
    _ = try await runtime.infer(Self.pairRequest())
    // Break the config on disk and reload: the reload fails and says why, the old version still serves.
    try repository.addModel("pair", config: "max_batch_size: [\n")
    let error = await #expect(throws: InferenceError.self) { try await runtime.load(modelNamed: "pair") }
    #expect(error?.message.contains("keeps serving") == true, "\(error?.message ?? "")")
    #expect(runtime.isModelReady(name: "pair", version: "1"))
    _ = try await runtime.infer(Self.pairRequest())
    let entry = try #require(runtime.repositoryIndex().first { $0.name == "pair" && $0.version == "1" })
    #expect(entry.state == .ready)
    #expect(entry.reason.contains("reload failed"))
    // A good config loads again and clears the note.
    try FileManager.default.removeItem(at: repository.root.appendingPathComponent("pair/config.pbtxt"))
    try await runtime.load(modelNamed: "pair")
    #expect(runtime.repositoryIndex().first { $0.name == "pair" && $0.version == "1" }?.reason == "")
  }

  @Test func configOverrideReplacesTheFile() async throws {
    let repository = try TemporaryRepository()
    defer { repository.remove() }
    try repository.addModel("pair", config: "max_batch_size: [\n")
    let runtime = Self.runtime(repository)
    try await runtime.loadAll()
    #expect(!runtime.isModelReady(name: "pair", version: ""))
    var override = Inference_ModelConfig()
    override.maxBatchSize = 32
    try await runtime.load(modelNamed: "pair", configOverride: override)
    #expect(try runtime.config(name: "pair", version: "").maxBatchSize == 32)
  }

  @Test func duplicateNamesAcrossRepositoriesAreRefused() async throws {
    let first = try TemporaryRepository()
    let second = try TemporaryRepository()
    defer {
      first.remove()
      second.remove()
    }
    try first.addModel("pair", config: nil)
    try second.addModel("pair", config: nil)
    try second.addModel("other", config: nil)
    let runtime = ModelRuntime(
      configuration: RuntimeConfiguration(repositories: [first.root, second.root]),
      backends: BackendRegistry([FakeBackend(.pair)]), logger: Self.logger)
    try await runtime.loadAll()
    let index = runtime.repositoryIndex()
    #expect(index.first { $0.name == "pair" }?.reason.contains("appears in two repositories") == true)
    #expect(index.first { $0.name == "other" }?.state == .ready)
  }

  @Test func missingRepositoryFailsStartWithTheFix() async {
    let runtime = ModelRuntime(
      configuration: RuntimeConfiguration(repositories: [URL(fileURLWithPath: "/nonexistent/repo")]),
      backends: BackendRegistry([]), logger: Self.logger)
    await #expect(
      performing: { try await runtime.loadAll() },
      throws: { error in
        (error as? InferenceError)?.message.contains("--model-repository") == true
      })
  }
}
