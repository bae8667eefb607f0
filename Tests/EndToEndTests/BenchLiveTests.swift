import Foundation
import KServeProtocol
import OffloadBench
import OffloadClient
import Testing

/// `offload bench`'s runner against a live server: a few points, non-zero throughput, no errors, and a
/// server breakdown that adds up.
@Suite(.serialized, .timeLimit(.minutes(2))) struct BenchLiveTests {
  static func request() throws -> InferenceRequest {
    InferenceRequest(
      modelName: "ghost_mlp",
      inputs: [try InferenceTensor(name: "features", values: [Float](repeating: 0.25, count: 34), shape: [2, 17])])
  }

  @Test func closedLoopSweep() async throws {
    try await TestServer.with { _, _, port, _ in
      let endpoint = ServerEndpoint(host: "127.0.0.1", port: port)
      let client = try InferenceClient(
        // Health checks that tolerate a loaded CI machine: the suites run in parallel with others that
        // start several servers, and a timed-out probe must not eject the only server mid-sweep.
        configuration: .init(
          servers: .servers([endpoint]),
          pool: .init(machine: .init(failuresBeforeEjection: 1_000_000), probeTimeout: .seconds(30)),
          discoveryTimeout: .seconds(30)),
        logger: ClientPoolTests.quietLogger)
      let configuration = BenchConfiguration(
        model: "ghost_mlp", load: .concurrency(try SweepRange<Int>(parsing: "1:3:2")), window: .milliseconds(150),
        warmUp: .milliseconds(50), stability: StabilityRule(percentage: 50, windows: 2, maxTrials: 4))
      let points = try await client.withRunning {
        try await InferenceConnection.withConnection(to: endpoint) { statistics in
          try await BenchRunner(
            configuration: configuration, target: client, statistics: statistics, request: try Self.request(),
            progress: { _ in }
          ).run()
        }
      }
      #expect(points.map(\.concurrency) == [1, 3])
      for point in points {
        #expect(point.requests > 0)
        #expect(point.errors.isEmpty)
        #expect(point.inferencesPerSecond > 0)
        #expect(point.inferencesPerSecond == point.requestsPerSecond * 2, "batch of 2 rows")
        #expect(point.latencyUs.p50 > 0 && point.latencyUs.p50 <= point.latencyUs.p99)
        #expect(point.latencyUs.p99 <= point.latencyUs.max * 1.001)
        let server = try #require(point.server)
        #expect(server.successCount >= UInt64(point.requests))
        #expect(server.inferenceCount == server.successCount * 2)
        let parts = server.queueUs + server.computeInputUs + server.computeInferUs + server.computeOutputUs
        #expect(parts + server.overheadUs >= server.requestUs * 0.999)
        #expect(point.clientCPUUsPerRequest > 0)
      }
    }
  }

  @Test func openLoopOffersTheRequestedRate() async throws {
    try await TestServer.with { _, _, port, _ in
      let client = try InferenceClient(
        configuration: .init(
          servers: .servers([ServerEndpoint(host: "127.0.0.1", port: port)]), discoveryTimeout: .seconds(30)),
        logger: ClientPoolTests.quietLogger)
      let configuration = BenchConfiguration(
        model: "ghost_mlp", load: .requestRate(try SweepRange<Double>(parsing: "200"), .poisson),
        window: .milliseconds(500), warmUp: .milliseconds(50),
        stability: StabilityRule(percentage: 100, windows: 1, maxTrials: 1))
      let points = try await client.withRunning {
        try await BenchRunner(
          configuration: configuration, target: client, statistics: nil, request: try Self.request(), progress: { _ in }
        ).run()
      }
      let point = try #require(points.first)
      #expect(point.requestRate == 200)
      #expect(point.errors.isEmpty)
      // 200/s for 0.5 s is ~100 requests; Poisson spread and scheduling slack allow a wide band.
      #expect((40...160).contains(point.requests), "\(point.requests) requests")
    }
  }
}
