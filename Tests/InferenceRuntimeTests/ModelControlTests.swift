import Foundation
import InferenceRuntime
import KServeProtocol
import OffloadTestSupport
import Synchronization
import Testing

/// Triton's model control modes: none, explicit (with startup models), poll (one pass at a time, no sleeps).
@Suite(.timeLimit(.minutes(1))) struct ModelControlTests {
  static func runtime(_ repository: TemporaryRepository, _ mode: ModelControlMode) -> ModelRuntime {
    var configuration = RuntimeConfiguration(repositories: [repository.root], maxRequestBytes: 100)
    configuration.modelControl = mode
    return ModelRuntime(
      configuration: configuration, backends: BackendRegistry([FakeBackend(.pair)]), logger: ModelRuntimeTests.logger)
  }

  @Test func noneLoadsEverythingAndRefusesRequests() async throws {
    let repository = try TemporaryRepository()
    defer { repository.remove() }
    try repository.addModel("pair", config: nil)
    let runtime = Self.runtime(repository, .none)
    try await runtime.loadAll()
    #expect(runtime.isModelReady(name: "pair", version: ""))
    for action in ["load", "unload"] {
      let error = await #expect(throws: InferenceError.self) {
        if action == "load" {
          try await runtime.load(modelNamed: "pair")
        } else {
          try await runtime.unload(modelNamed: "pair")
        }
      }
      #expect(error?.code == .failedPrecondition)
      #expect(error?.message.contains("--model-control-mode explicit") == true)
    }
    #expect(runtime.isModelReady(name: "pair", version: ""), "a refused request changes nothing")
  }

  @Test func explicitLoadsOnlyTheNamedModelsAtStart() async throws {
    let repository = try TemporaryRepository()
    defer { repository.remove() }
    try repository.addModel("pair", config: nil)
    try repository.addModel("other", config: nil)
    let runtime = Self.runtime(repository, .explicit(startupModels: ["pair"]))
    try await runtime.loadAll()
    #expect(runtime.isModelReady(name: "pair", version: ""))
    #expect(!runtime.isModelReady(name: "other", version: ""))
    #expect(runtime.repositoryIndex().first { $0.name == "other" }?.state == .unknown)
    try await runtime.load(modelNamed: "other")
    #expect(runtime.isModelReady(name: "other", version: ""))
  }

  @Test func pollingFollowsTheRepository() async throws {
    let repository = try TemporaryRepository()
    defer { repository.remove() }
    try repository.addModel("pair", config: nil)
    let runtime = Self.runtime(repository, .poll(interval: .seconds(3600)))
    try await runtime.loadAll()
    // Nothing changed: nothing happens.
    await runtime.pollRepositoryOnce()
    #expect(runtime.isModelReady(name: "pair", version: "1"))
    // A new model appears.
    try repository.addModel("late", config: nil)
    await runtime.pollRepositoryOnce()
    #expect(runtime.isModelReady(name: "late", version: "1"))
    // A new version of a model appears: it serves without the old one going away.
    try repository.addModel("pair", config: "version_policy: { all: {} }\n", versions: [2: "ok"])
    await runtime.pollRepositoryOnce()
    #expect(runtime.isModelReady(name: "pair", version: "1"))
    #expect(runtime.isModelReady(name: "pair", version: "2"))
    // A broken config: the reload fails and the loaded versions keep serving.
    try repository.addModel("pair", config: "max_batch_size: [\n", versions: [:])
    await runtime.pollRepositoryOnce()
    #expect(runtime.isModelReady(name: "pair", version: "2"))
    _ = try await runtime.infer(ModelRuntimeTests.pairRequest())
    // A removed directory is unloaded.
    try FileManager.default.removeItem(at: repository.root.appendingPathComponent("late"))
    await runtime.pollRepositoryOnce()
    #expect(!runtime.isModelReady(name: "late", version: ""))
    // Requests to load or unload are refused in this mode.
    await #expect(throws: InferenceError.self) { try await runtime.unload(modelNamed: "pair") }
  }

  final class RolloverTally: Sendable {
    struct Counts: Sendable {
      var versions: [String: Int] = [:]
      var failures: [String] = []
      var afterLoad: [String: Int] = [:]
    }
    let tally = Mutex(Counts())
    let loaded = Mutex(false)
    let stop = Mutex(false)
  }

  /// Loading a new version while requests flow: none fails, requests move to the new version once the
  /// load returns, and the old version is retired after its in-flight requests finished.
  @Test func newVersionTakesOverUnderTrafficWithoutFailures() async throws {
    let repository = try TemporaryRepository()
    defer { repository.remove() }
    try repository.addModel("pair", config: nil)
    let runtime = Self.runtime(repository, .explicit(startupModels: ["pair"]))
    try await runtime.loadAll()
    let shared = RolloverTally()
    try await withThrowingTaskGroup(of: Void.self) { group in
      for client in 0..<8 {
        group.addTask {
          var sent = 0
          while !shared.stop.withLock({ $0 }) {
            let after = shared.loaded.withLock { $0 }
            do {
              let response = try await runtime.infer(ModelRuntimeTests.pairRequest(id: "\(client)-\(sent)"))
              #expect(response.id == "\(client)-\(sent)")
              shared.tally.withLock {
                $0.versions[response.modelVersion, default: 0] += 1
                if after { $0.afterLoad[response.modelVersion, default: 0] += 1 }
              }
            } catch {
              shared.tally.withLock { $0.failures.append("\(error)") }
            }
            sent += 1
            await Task.yield()
          }
        }
      }
      // Let traffic reach version 1, then add version 2 and load it.
      while shared.tally.withLock({ $0.versions["1", default: 0] }) < 200 { await Task.yield() }
      try repository.addModel("pair", config: nil, versions: [2: "ok"])
      try await runtime.load(modelNamed: "pair")
      shared.loaded.withLock { $0 = true }
      while shared.tally.withLock({ $0.afterLoad["2", default: 0] }) < 200 { await Task.yield() }
      shared.stop.withLock { $0 = true }
      try await group.waitForAll()
    }
    let result = shared.tally.withLock { $0 }
    #expect(result.failures.isEmpty, "\(result.failures.prefix(3))")
    #expect(result.versions["1", default: 0] >= 200)
    #expect(result.afterLoad.keys.sorted() == ["2"], "after the load returned only version 2 serves")
    #expect(!runtime.isModelReady(name: "pair", version: "1"))
    #expect(runtime.isModelReady(name: "pair", version: "2"))
  }

  /// `model_warmup` samples run on every instance before the version is READY; a broken sample fails the
  /// load with a reason that names it.
  @Test func warmupRunsBeforeReadinessAndABrokenSampleFailsTheLoad() async throws {
    let repository = try TemporaryRepository()
    defer { repository.remove() }
    let sample = """
      max_batch_size: 8
      instance_group { count: 2, kind: KIND_CPU }
      model_warmup {
        name: "zeros"
        batch_size: 2
        count: 3
        inputs { key: "INPUT0" value { data_type: TYPE_FP32 dims: [4] zero_data: true } }
        inputs { key: "INPUT1" value { data_type: TYPE_FP32 dims: [4] random_data: true } }
      }

      """
    try repository.addModel("warm", config: sample)
    try repository.addModel(
      "broken",
      config: sample.replacingOccurrences(of: "random_data: true", with: "input_data_file: \"missing.bin\""))
    let backend = FakeBackend(.pair)
    var configuration = RuntimeConfiguration(repositories: [repository.root])
    configuration.modelControl = .none
    let runtime = ModelRuntime(
      configuration: configuration, backends: BackendRegistry([backend]), logger: ModelRuntimeTests.logger)
    try await runtime.loadAll()
    #expect(runtime.isModelReady(name: "warm", version: "1"))
    // 3 runs × 2 instances for "warm"; none for "broken", which fails while building its sample.
    #expect(backend.executions.count.withLock { $0 } == 6)
    #expect(!runtime.isModelReady(name: "broken", version: ""))
    let reason = runtime.repositoryIndex().first { $0.name == "broken" }?.reason ?? ""
    #expect(reason.contains("warm-up sample 'zeros'") && reason.contains("missing.bin"), "\(reason)")
  }
}
