import Foundation
import KServeProtocol
import Logging
import OffloadClient
import OffloadClientONNX
import Synchronization
import Testing

/// The client library against real `offload serve` processes: failover, fallback, and return.
@Suite(.serialized, .timeLimit(.minutes(3))) struct ClientPoolTests {
  /// A numbered request whose right answer is known: identity_fp32 echoes [n, n + 0.5].
  static func numbered(_ n: Int) throws -> InferenceRequest {
    InferenceRequest(
      modelName: "identity_fp32", id: "\(n)",
      inputs: [try InferenceTensor(name: "INPUT0", values: [Float(n), Float(n) + 0.5], shape: [1, 2])])
  }

  static func check(_ response: InferenceResponse, _ n: Int) throws -> String {
    let values = try #require(response.outputs.first).values(as: Float.self)
    #expect(values == [Float(n), Float(n) + 0.5], "request \(n) got \(values)")
    guard case .string(let server) = response.parameters[InferenceClient.servedByParameter] else {
      Issue.record("response \(n) does not say which path served it")
      return ""
    }
    return server
  }

  static var quietLogger: Logger {
    var logger = Logger(label: "client-test")
    logger.logLevel = .critical
    return logger
  }

  static let fastPool = ServerPool.Configuration(
    machine: .init(
      policy: .roundRobin, healthCheckIntervalNanos: 200_000_000, ejectionBaseNanos: 200_000_000,
      ejectionMaxNanos: 1_000_000_000))

  /// Runs `count` numbered requests, `width` at a time, calling `between(n)` before request n is sent.
  /// Returns, per request number, the path that served it.
  static func stream(
    _ client: InferenceClient, range: Range<Int>, width: Int = 8,
    between: @Sendable (Int) async throws -> Void = { _ in }
  ) async throws -> [Int: String] {
    let served = Locked<[Int: String]>([:])
    let completions = Locked<[Int: Int]>([:])
    try await withThrowingTaskGroup(of: Void.self) { group in
      for (i, n) in range.enumerated() {
        if i >= width { try await group.next() }
        try await between(n)
        group.addTask {
          let response = try await client.infer(try numbered(n))
          let server = try check(response, n)
          served.withLock { $0[n] = server }
          completions.withLock { $0[n, default: 0] += 1 }
        }
      }
      try await group.waitForAll()
    }
    let counts = completions.withLock { $0 }
    #expect(counts.count == range.count, "every request completes")
    #expect(counts.values.allSatisfy { $0 == 1 }, "every request completes exactly once")
    return served.withLock { $0 }
  }

  @Test func serverKilledMidStreamLosesNoRequest() async throws {
    var servers: [ServerProcess] = []
    defer { servers.forEach { $0.kill() } }
    for _ in 0..<3 { servers.append(try await ServerProcess.start()) }
    let victim = servers[1]
    let client = try InferenceClient(
      configuration: .init(
        servers: .servers(servers.map(\.endpoint)), mode: .remoteOnly, pool: Self.fastPool,
        retry: RetryPolicy(maxAttempts: 5, initialBackoff: .milliseconds(2)), timeout: .seconds(30),
        discoveryTimeout: .seconds(30)),
      logger: Self.quietLogger)
    let served = try await client.withRunning {
      try await Self.stream(client, range: 0..<400) { n in
        if n == 100 { victim.kill() }
      }
    }
    let byServer = Dictionary(grouping: served.values, by: { $0 }).mapValues(\.count)
    #expect(byServer["local"] == nil)
    #expect(byServer[servers[0].endpoint.description, default: 0] > 100)
    #expect(byServer[servers[2].endpoint.description, default: 0] > 100)
    // The victim took its share only while it lived.
    #expect(byServer[victim.endpoint.description, default: 0] < 60)
    let late = served.filter { $0.key >= 200 }.values
    #expect(!late.contains(victim.endpoint.description), "an ejected server gets no more requests")
  }

  @Test func allServersDownFallBackLocallyThenReturn() async throws {
    var servers: [ServerProcess] = []
    defer { servers.forEach { $0.kill() } }
    for _ in 0..<3 { servers.append(try await ServerProcess.start()) }
    let endpoints = servers.map(\.endpoint)
    let client = try InferenceClient(
      configuration: .init(
        servers: .servers(endpoints), mode: .remoteWithFallback, pool: Self.fastPool,
        retry: RetryPolicy(maxAttempts: 3, initialBackoff: .milliseconds(2)), timeout: .seconds(30),
        discoveryTimeout: .seconds(30)),
      local: LocalInference(.repositories([TestServer.exampleModels]), logger: Self.quietLogger),
      logger: Self.quietLogger)
    try await client.withRunning {
      let before = try await Self.stream(client, range: 0..<30)
      #expect(before.values.allSatisfy { $0 != "local" }, "servers answer while they are up")

      for server in servers { server.kill() }
      let during = try await Self.stream(client, range: 30..<130)
      #expect(during.filter { $0.key >= 60 }.values.allSatisfy { $0 == "local" }, "fallback serves once all are down")
      #expect(client.local?.startDuration != nil)

      servers = []
      for endpoint in endpoints { servers.append(try await ServerProcess.start(port: endpoint.port)) }
      // Health checks re-admit them within a few ejection periods; traffic returns.
      var returned = false
      for n in 130..<10_000 where !returned {
        let server = try Self.check(try await client.infer(try Self.numbered(n)), n)
        returned = server != "local"
        if !returned { try await Task.sleep(for: .milliseconds(5)) }
      }
      #expect(returned, "traffic returns to the servers")
      // Wait (bounded) until health checks have re-admitted all three.
      let pool = try #require(client.pool)
      for _ in 0..<1_000 where !pool.members().allSatisfy({ $0.health == .healthy }) {
        try await Task.sleep(for: .milliseconds(10))
      }
      let after = try await Self.stream(client, range: 10_000..<10_060)
      #expect(after.values.allSatisfy { $0 != "local" })
      #expect(Set(after.values).count == 3, "all three servers are back in rotation")
    }
  }
}

/// A value shared between tasks of a test.
final class Locked<Value: Sendable>: Sendable {
  private let mutex: Mutex<Value>
  init(_ value: Value) { mutex = Mutex(value) }
  func withLock<R: Sendable>(_ body: (inout Value) -> R) -> R { mutex.withLock { body(&$0) } }
}
