import Foundation
import KServeProtocol
import OffloadClient
import OffloadClientONNX
import OffloadEvents
import Synchronization
import Testing

/// The demo workflow against real servers and the in-process runtime: a server killed mid-run loses and
/// duplicates no event, sharded runs merge into the single run's file byte for byte, and remote results
/// equal local ones.
@Suite(.serialized, .timeLimit(.minutes(5))) struct EventProcessingTests {
  static let zoo = TestServer.root.appendingPathComponent("models")

  static func run(
    _ inference: any Inferencing, range: Range<UInt64>, style: InferenceStyle = .asynchronous,
    onEvent: @escaping @Sendable (UInt64) -> Void = { _ in }
  ) async throws -> EventResults {
    let processor = try EventProcessor(
      modules: DemoWorkflow.modules(workSteps: 1000),
      source: GeneratorSource(generator: EventGenerator(seed: 5)), inference: inference,
      configuration: .init(threads: 2, streams: 6, events: range, style: style))
    let results = Mutex(EventResults())
    _ = try await processor.run(progress: onEvent) { event in try results.withLock { try $0.append(event) } }
    return results.withLock { $0 }
  }

  static func local() throws -> InferenceClient {
    try InferenceClient(
      configuration: .init(servers: nil, mode: .localOnly),
      local: LocalInference(.repositories([zoo]), logger: ClientPoolTests.quietLogger),
      logger: ClientPoolTests.quietLogger)
  }

  @Test func serverKilledMidRunLosesAndDuplicatesNoEvent() async throws {
    var servers: [ServerProcess] = []
    defer { servers.forEach { $0.kill() } }
    for _ in 0..<2 { servers.append(try await ServerProcess.start(repositories: [Self.zoo])) }
    let victim = servers[0]
    let remote = try InferenceClient(
      configuration: .init(
        servers: .servers(servers.map(\.endpoint)), mode: .remoteOnly, pool: ClientPoolTests.fastPool,
        retry: RetryPolicy(maxAttempts: 5, initialBackoff: .milliseconds(2)), timeout: .seconds(60),
        discoveryTimeout: .seconds(30)),
      logger: ClientPoolTests.quietLogger)
    let range: Range<UInt64> = 0..<40
    let results = try await remote.withRunning {
      try await Self.run(remote, range: range) { index in
        if index == 10 { victim.kill() }
      }
    }
    let generator = EventGenerator(seed: 5)
    #expect(results.eventIndex == Array(range), "every event once, in order")
    #expect(results.eventChecksum == range.map { generator.event(at: $0).checksum() })
    // The answers are the models' answers: equal, bit for bit, to an in-process run.
    let local = try Self.local()
    let reference = try await local.withRunning { try await Self.run(local, range: range, style: .blocking) }
    #expect(results == reference)
  }

  @Test func shardsMergeIntoTheSingleRunByteForByte() async throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("events-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let local = try Self.local()
    let range: Range<UInt64> = 3..<23
    try await local.withRunning {
      let single = directory.appendingPathComponent("single.npz")
      try await Self.run(local, range: range).write(to: single)
      var shards: [EventResults] = []
      for i in [2, 0, 1] {
        let shard = try EventShard(parsing: "\(i)/3")
        let file = directory.appendingPathComponent("shard\(i).npz")
        try await Self.run(local, range: shard.range(of: range)).write(to: file)
        shards.append(try EventResults(contentsOf: file))
      }
      let merged = directory.appendingPathComponent("merged.npz")
      try EventResults.merge(shards).write(to: merged)
      #expect(try Data(contentsOf: merged) == Data(contentsOf: single))
      // A missing shard is named, not silently merged.
      let error = #expect(throws: WorkflowError.self) { try EventResults.merge([shards[0], shards[1]]) }
      #expect(error?.description.contains("in no shard") == true)
    }
  }
}
