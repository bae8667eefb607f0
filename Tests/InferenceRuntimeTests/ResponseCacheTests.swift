import Foundation
import InferenceRuntime
import KServeProtocol
import OffloadTestSupport
import Synchronization
import Testing

/// Triton's response cache: exact keys, a byte bound with least-recently-used eviction, and the runtime
/// answering repeated requests without executing, counted as Triton counts them.
@Suite(.timeLimit(.minutes(1))) struct ResponseCacheTests {
  static func tensor(
    _ name: String = "x", shape: [Int64] = [1, 4], bytes: Int = 16, fill: UInt8 = 1
  ) -> InferenceTensor {
    InferenceTensor(name: name, datatype: .fp32, shape: shape, data: Data(repeating: fill, count: bytes))
  }

  @Test func keysAreExact() {
    let base = ResponseCacheKey(owner: 1, inputs: [Self.tensor()], outputs: ["y"])
    #expect(base == ResponseCacheKey(owner: 1, inputs: [Self.tensor()], outputs: ["y"]))
    for other in [
      ResponseCacheKey(owner: 2, inputs: [Self.tensor()], outputs: ["y"]),
      ResponseCacheKey(owner: 1, inputs: [Self.tensor(fill: 2)], outputs: ["y"]),
      ResponseCacheKey(owner: 1, inputs: [Self.tensor(shape: [2, 2])], outputs: ["y"]),
      ResponseCacheKey(owner: 1, inputs: [Self.tensor("z")], outputs: ["y"]),
      ResponseCacheKey(owner: 1, inputs: [Self.tensor()], outputs: ["y", "w"]),
      ResponseCacheKey(owner: 1, inputs: [Self.tensor()], outputs: []),
    ] {
      #expect(base != other)
    }
  }

  @Test func leastRecentlyUsedEntriesLeaveFirstWithinTheBound() {
    // An entry: 16 input bytes in its key (plus ~54 of names, shape and lengths), 16 output bytes, overhead.
    let entry = 16 + 16 + ResponseCache.entryOverheadForTests
    let cache = ResponseCache(capacity: 3 * (entry + 80))
    let keys = (0..<4).map { ResponseCacheKey(owner: 1, inputs: [Self.tensor(fill: UInt8($0))], outputs: ["y"]) }
    for key in keys.prefix(3) { #expect(cache.insert(key, outputs: [Self.tensor("y")])) }
    #expect(cache.lookup(keys[0]) != nil, "0 becomes the most recently used")
    #expect(cache.insert(keys[3], outputs: [Self.tensor("y")]))
    #expect(cache.lookup(keys[1]) == nil, "1 was the least recently used: evicted")
    #expect(cache.lookup(keys[0]) != nil && cache.lookup(keys[2]) != nil && cache.lookup(keys[3]) != nil)
    let counts = cache.counts
    #expect(counts.entries == 3 && counts.evictions == 1 && counts.bytes <= cache.capacity)
    #expect(!cache.insert(keys[1], outputs: [Self.tensor("y", bytes: cache.capacity)]), "larger than the cache")
    cache.removeAll(owner: 1)
    #expect(cache.counts.entries == 0 && cache.counts.bytes == 0)
  }

  static func runtime(
    _ repository: TemporaryRepository, cacheBytes: Int, backend: FakeBackend
  ) async throws -> ModelRuntime {
    var configuration = RuntimeConfiguration(repositories: [repository.root])
    configuration.responseCacheBytes = cacheBytes
    configuration.modelControl = .explicit(startupModels: nil)
    let runtime = ModelRuntime(
      configuration: configuration, backends: BackendRegistry([backend]), logger: ModelRuntimeTests.logger)
    try await runtime.loadAll()
    return runtime
  }

  static let cachedConfig = """
    name: "pair"
    backend: "fake"
    max_batch_size: 8
    response_cache { enable: true }
    """

  @Test func repeatedRequestsAreAnsweredWithoutExecutingAndCountedAsTriton() async throws {
    let repository = try TemporaryRepository()
    defer { repository.remove() }
    try repository.addModel("pair", config: Self.cachedConfig)
    let backend = FakeBackend(.pair)
    let runtime = try await Self.runtime(repository, cacheBytes: 1 << 20, backend: backend)
    let first = try await runtime.infer(ModelRuntimeTests.pairRequest(id: "a"))
    let second = try await runtime.infer(ModelRuntimeTests.pairRequest(id: "b"))
    #expect(backend.executions.count.withLock { $0 } == 1, "the second is a hit")
    #expect(second.id == "b", "the answer is the request's own")
    #expect(second.outputs.map(\.data) == first.outputs.map(\.data))
    #expect(second.outputs.map(\.shape) == first.outputs.map(\.shape))
    _ = try await runtime.infer(ModelRuntimeTests.pairRequest(rows: 2))
    #expect(backend.executions.count.withLock { $0 } == 2, "other inputs: a miss")
    let stats = try #require(try runtime.statistics(name: "pair", version: "").first)
    #expect(stats.cacheHit.count == 1)
    #expect(stats.cacheMiss.count == 2)
    #expect(stats.success.count == 3, "success includes hits")
    #expect(stats.queue.count == 3, "queue includes hits")
    #expect(stats.executionCount == 2, "a hit is no execution")
    #expect(stats.inferenceCount == 4)
    #expect(stats.computeInfer.count == 2)

    // A reload never answers with the results of the load it replaced.
    try await runtime.load(modelNamed: "pair")
    _ = try await runtime.infer(ModelRuntimeTests.pairRequest())
    #expect(backend.executions.count.withLock { $0 } == 3)
    await runtime.shutdown()
  }

  @Test(arguments: [(true, 0), (false, 1 << 20)])
  func nothingIsCachedUnlessBothTheServerAndTheModelEnableIt(modelEnables: Bool, cacheBytes: Int) async throws {
    let repository = try TemporaryRepository()
    defer { repository.remove() }
    try repository.addModel(
      "pair", config: modelEnables ? Self.cachedConfig : "name: \"pair\"\nbackend: \"fake\"\nmax_batch_size: 8\n")
    let backend = FakeBackend(.pair)
    let runtime = try await Self.runtime(repository, cacheBytes: cacheBytes, backend: backend)
    for _ in 0..<2 { _ = try await runtime.infer(ModelRuntimeTests.pairRequest()) }
    #expect(backend.executions.count.withLock { $0 } == 2)
    let stats = try #require(try runtime.statistics(name: "pair", version: "").first)
    #expect(stats.cacheHit.count == 0 && stats.cacheMiss.count == 0)
    await runtime.shutdown()
  }
}
