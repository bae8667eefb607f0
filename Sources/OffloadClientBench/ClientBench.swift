import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import InferenceRuntime
import InferenceServer
import KServeGRPC
import KServeProtocol
import Logging
import OffloadClient
internal import OffloadMeasurement
import Synchronization

/// The client library's costs and gains, against separately started `offload serve` processes, in one
/// run (ratios are comparable on a noisy machine):
///
/// 1. client CPU per request at batch 1, 1 in flight: generated grpc-swift client (baseline) vs
///    ``InferenceConnection`` vs ``InferenceClient`` (pool of one, retries, timing parameter);
/// 2. throughput at 16 in flight: one direct connection to server 1 vs the pool over all servers;
/// 3. 32 tasks sending batch-1 requests: plain ``InferenceClient`` vs ``CoalescingClient``.
///
/// Usage: offload-client-bench --ports P1,P2,P3 [--server-pids A,B,C] [--seconds S] [--model M --input I --width W]
///        [--swift-pool]
@main
enum ClientBench {
  static func main() async throws {
    let arguments = CommandLine.arguments
    func value(_ flag: String, _ fallback: String) -> String {
      arguments.firstIndex(of: flag).flatMap { arguments.indices.contains($0 + 1) ? arguments[$0 + 1] : nil }
        ?? fallback
    }
    let seconds = Double(value("--seconds", "3")) ?? 3
    let ports = value("--ports", "8001").split(separator: ",").compactMap { Int($0) }
    let pids = value("--server-pids", "").split(separator: ",").compactMap { Int32($0) }
    let model = value("--model", "ghost_mlp")
    let input = value("--input", "features")
    let width = Int(value("--width", "17")) ?? 17
    let endpoints = ports.map { ServerEndpoint(host: "127.0.0.1", port: $0) }
    // As in the server: run Swift tasks on SwiftNIO's event loops unless asked not to, which saves the
    // thread hand-offs between the cooperative pool and the transport's loops.
    let swiftPool = arguments.contains("--swift-pool")
    if !swiftPool { ConcurrencyExecutor.useEventLoopsAsGlobalExecutor() }
    var logger = Logger(label: "client-bench")
    logger.logLevel = .error

    let request = InferenceRequest(
      modelName: model,
      inputs: [
        try InferenceTensor(name: input, values: (0..<width).map { Float($0 % 7) / 7 }, shape: [1, Int64(width)])
      ])
    print(
      "# client benchmark: model \(model) batch 1; \(endpoints.count) server(s) \(endpoints.map(\.description)); "
        + "\(ProcessInfo.processInfo.activeProcessorCount) cores; \(seconds) s per point; client executor: "
        + (swiftPool ? "Swift global pool" : "NIO event loops"))
    print(Point.header)

    // 1. Client CPU per request, 1 in flight.
    try await withGRPCClient(
      transport: try .http2NIOPosix(
        target: .ipv4(address: "127.0.0.1", port: ports[0]), transportSecurity: .plaintext,
        config: .defaults { $0.http2.maxFrameSize = 1 << 20 })
    ) { grpc in
      let kserve = Inference_GRPCInferenceService.Client(wrapping: grpc)
      let message = request.proto
      print(
        try await Point.measure("generated grpc-swift client (baseline)", seconds: seconds, concurrency: 1, pids: pids)
        {
          _ = try await kserve.modelInfer(message)
        })
    }
    try await InferenceConnection.withConnection(to: endpoints[0]) { connection in
      print(
        try await Point.measure("InferenceConnection", seconds: seconds, concurrency: 1, pids: pids) {
          _ = try await connection.infer(request)
        })
    }
    let single = try InferenceClient(
      configuration: .init(servers: .servers([endpoints[0]]), mode: .remoteOnly), logger: logger)
    try await single.withRunning {
      _ = try await single.infer(request)
      print(
        try await Point.measure("InferenceClient, pool of 1", seconds: seconds, concurrency: 1, pids: pids) {
          _ = try await single.infer(request)
        })

      // 2. Throughput at 16 in flight: one connection vs the pool.
      print(
        try await Point.measure(
          "InferenceClient, pool of 1, 16 in flight", seconds: seconds, concurrency: 16, pids: pids
        ) {
          _ = try await single.infer(request)
        })
    }
    for policy in [LoadBalancingPolicy.powerOfTwoChoices, .roundRobin] where endpoints.count > 1 {
      let pool = try InferenceClient(
        configuration: .init(
          servers: .servers(endpoints), mode: .remoteOnly, pool: .init(machine: .init(policy: policy))),
        logger: logger)
      try await pool.withRunning {
        _ = try await pool.infer(request)
        print(
          try await Point.measure(
            "InferenceClient, pool of \(endpoints.count) (\(policy.rawValue)), 16 in flight", seconds: seconds,
            concurrency: 16, pids: pids
          ) {
            _ = try await pool.infer(request)
          })
      }
    }

    // 3. 32 tasks at batch 1: plain vs coalescing.
    let plain = try InferenceClient(
      configuration: .init(servers: .servers([endpoints[0]]), mode: .remoteOnly), logger: logger)
    try await plain.withRunning {
      let executionsBefore = try await executions(endpoints[0], model)
      let point = try await Point.measure("plain client, 32 tasks", seconds: seconds, concurrency: 32, pids: pids) {
        _ = try await plain.infer(request)
      }
      let executed = try await executions(endpoints[0], model) - executionsBefore
      print(
        point.with(note: String(format: "%.1f req/exec", Double(point.calls) / Double(max(executed.executions, 1)))))
      let coalescing = CoalescingClient(
        upstream: plain, configuration: .init(maxBatchSize: 32, maxDelay: .microseconds(200), maxConcurrentBatches: 2))
      try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await coalescing.run() }
        let before = try await executions(endpoints[0], model)
        let merged = try await Point.measure(
          "coalescing client, 32 tasks", seconds: seconds, concurrency: 32, pids: pids
        ) {
          _ = try await coalescing.infer(request)
        }
        let after = try await executions(endpoints[0], model) - before
        print(
          merged.with(note: String(format: "%.1f req/exec", Double(merged.calls) / Double(max(after.executions, 1)))))
        await coalescing.shutdown()
        group.cancelAll()
      }
    }
  }

  struct Counts {
    var executions: UInt64
    var inferences: UInt64
    static func - (a: Counts, b: Counts) -> Counts {
      Counts(executions: a.executions - b.executions, inferences: a.inferences - b.inferences)
    }
  }

  static func executions(_ endpoint: ServerEndpoint, _ model: String) async throws -> Counts {
    try await InferenceConnection.withConnection(to: endpoint) { c in
      let stats = try await c.modelStatistics(model).first
      return Counts(executions: stats?.executionCount ?? 0, inferences: stats?.inferenceCount ?? 0)
    }
  }
}

/// One measured point.
struct Point: CustomStringConvertible {
  static let header =
    "| point | req/s | p50 µs | p99 µs | client CPU µs/req | server CPU µs/req | note |\n|---|---|---|---|---|---|---|"

  var name: String
  var calls: Int
  var wallSeconds: Double
  var latenciesNanos: [UInt64]
  var clientCPUSeconds: Double
  var serverCPUSeconds: Double?
  var note = ""

  func with(note: String) -> Point {
    var copy = self
    copy.note = note
    return copy
  }

  func percentile(_ p: Double) -> Double {
    let sorted = latenciesNanos.sorted()
    guard !sorted.isEmpty else { return 0 }
    return Double(sorted[min(sorted.count - 1, Int((p / 100 * Double(sorted.count - 1)).rounded()))]) / 1000
  }

  var description: String {
    let perCall = { (s: Double) in String(format: "%.1f", s * 1e6 / Double(max(calls, 1))) }
    return
      "| \(name) | \(String(format: "%.0f", Double(calls) / wallSeconds)) | \(String(format: "%.0f", percentile(50))) | "
      + "\(String(format: "%.0f", percentile(99))) | \(perCall(clientCPUSeconds)) | "
      + "\(serverCPUSeconds.map(perCall) ?? "n/a") | \(note) |"
  }

  /// Runs `call` from `concurrency` tasks for `seconds` after a short warm-up.
  static func measure(
    _ name: String, seconds: Double, concurrency: Int, pids: [Int32],
    _ call: @escaping @Sendable () async throws -> Void
  ) async throws -> Point {
    let warmUp = ContinuousClock.now + .milliseconds(300)
    while ContinuousClock.now < warmUp { try await call() }
    func serverCPU() -> Double? {
      pids.isEmpty ? nil : pids.map { ProcessCPUTime.seconds(pid: $0) ?? 0 }.reduce(0, +)
    }
    let cpuBefore = ProcessCPUTime.seconds() ?? 0
    let serverBefore = serverCPU()
    let start = ContinuousClock.now
    let end = start + .nanoseconds(Int64(seconds * 1e9))
    let latencies = try await withThrowingTaskGroup(of: [UInt64].self) { group in
      for _ in 0..<concurrency {
        group.addTask {
          var samples: [UInt64] = []
          samples.reserveCapacity(100_000)
          while ContinuousClock.now < end {
            let began = ContinuousClock.now
            try await call()
            let took = ContinuousClock.now - began
            samples.append(took.clampedNanoseconds)
          }
          return samples
        }
      }
      return try await group.reduce(into: [UInt64]()) { $0 += $1 }
    }
    let wall = ContinuousClock.now - start
    let cpuAfter = ProcessCPUTime.seconds() ?? 0
    let serverAfter = serverCPU()
    return Point(
      name: name, calls: latencies.count,
      wallSeconds: wall.inSeconds,
      latenciesNanos: latencies, clientCPUSeconds: cpuAfter - cpuBefore,
      serverCPUSeconds: serverBefore.flatMap { before in serverAfter.map { $0 - before } })
  }
}
