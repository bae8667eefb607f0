import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import InferenceBackendONNX
import InferenceRuntime
import InferenceServer
import KServeGRPC
import KServeProtocol
import Logging
internal import OffloadMeasurement
import ServiceLifecycle
import TritonModelConfig

/// Direct ONNX Runtime calls vs the in-process runtime vs full gRPC round trips over loopback, all in
/// one process and one run, so the ratios are comparable on a noisy shared machine.
///
/// Usage: offload-foundation-bench [--seconds S] [--models DIR] [--target PORT [--server-pid PID]] [--swift-pool]
@main
enum FoundationBench {
  static func main() async throws {
    let arguments = CommandLine.arguments
    func value(_ flag: String, _ fallback: String) -> String {
      arguments.firstIndex(of: flag).flatMap { arguments.indices.contains($0 + 1) ? arguments[$0 + 1] : nil }
        ?? fallback
    }
    let seconds = Double(value("--seconds", "3")) ?? 3
    let executor = arguments.contains("--swift-pool") ? "Swift global pool" : "NIO event loops"
    if !arguments.contains("--swift-pool") { ConcurrencyExecutor.useEventLoopsAsGlobalExecutor() }
    let models = URL(fileURLWithPath: value("--models", "examples/models"))
    var logger = Logger(label: "bench")
    logger.logLevel = .error

    let configuration = ServerConfiguration.defaults(repositories: [models]) {
      $0.grpc.host = "127.0.0.1"
      $0.grpc.port = 0
      $0.metricsPort = 0
      $0.httpPort = 0
    }
    let server = OffloadServer(configuration: configuration, logger: logger)
    try await server.loadModels()
    let backend = ONNXRuntimeBackend(libraryPath: nil, logger: logger)
    print(
      "ONNX Runtime \(try backend.runtimeVersion()); \(ProcessInfo.processInfo.activeProcessorCount) cores; window \(seconds) s per point; executor: \(executor)"
    )

    let group = ServiceGroup(services: [server], logger: logger)
    try await withThrowingTaskGroup(of: Void.self) { tasks in
      tasks.addTask { try await group.run() }
      // --target PORT: send the gRPC points to a separately started `offload serve` on 127.0.0.1:PORT,
      // so that client and server run in different processes (the in-process server idles).
      let external = Int(value("--target", ""))
      let port: Int
      if let external { port = external } else { port = try await server.grpcPort() }
      print("gRPC target: \(external.map { "external server on port \($0)" } ?? "in-process server")")
      try await withGRPCClient(
        transport: try .http2NIOPosix(
          target: .ipv4(address: "127.0.0.1", port: port), transportSecurity: .plaintext,
          config: .defaults { client in
            client.connection.flushCoalescing = nil
            client.http2.targetWindowSize = 16 << 20
            client.http2.maxFrameSize = 1 << 20
          })
      ) { client in
        let kserve = Inference_GRPCInferenceService.Client(wrapping: client)
        let points: [(String, String, Int, Int)] = [
          ("ghost_mlp", "features", 17, 1), ("ghost_mlp", "features", 17, 1024),
          ("heavy_mlp", "x", 256, 1), ("heavy_mlp", "x", 256, 1024),
        ]
        let live = try await measure(seconds: seconds, rows: 1, concurrency: 1) {
          _ = try await kserve.serverLive(Inference_ServerLiveRequest())
        }
        print(
          "gRPC floor (ServerLive, no model, 1 in flight): p50 \(Row.f(live.percentile(50))) µs, "
            + "p99 \(Row.f(live.percentile(99))) µs\n")
        print(Row.header)
        for (model, input, width, batch) in points {
          let request = makeRequest(model: model, input: input, width: width, batch: batch)
          let config = try server.runtime.config(name: model, version: "")
          let instance = try backend.loadInstance(
            InstanceLoadContext(
              config: config, modelFile: models.appendingPathComponent("\(model)/1/model.onnx"), version: 1,
              instanceIndex: 0, logger: logger))
          let outputs = config.output.map { OutputSpec(name: $0.name, datatype: DataType(config: $0.dataType)!) }
          let direct = try await measure(seconds: seconds, rows: batch, concurrency: 1) {
            _ = try instance.execute(inputs: request.inputs, outputs: outputs)
          }
          let runtime = try await measure(seconds: seconds, rows: batch, concurrency: 1) {
            _ = try await server.runtime.infer(request)
          }
          let wire = request.proto
          let grpc1 = try await measure(seconds: seconds, rows: batch, concurrency: 1) {
            _ = try await kserve.modelInfer(wire)
          }
          let grpc2 = try await measure(seconds: seconds, rows: batch, concurrency: 2) {
            _ = try await kserve.modelInfer(wire)
          }
          for (path, stats) in [
            ("direct ORT", direct), ("in-process runtime", runtime), ("gRPC, 1 in flight", grpc1),
            ("gRPC, 2 in flight", grpc2),
          ] {
            print(Row(model: model, batch: batch, path: path, stats: stats, baseline: direct).text)
          }
        }
        try await BatchingBench.run(
          kserve: kserve, seconds: seconds, concurrency: 32, serverPID: Int32(value("--server-pid", "")))
        try await InstancesBench.run(kserve: kserve, seconds: seconds)
      }
      let heavy = makeRequest(model: "heavy_mlp", input: "x", width: 256, batch: 1024)
      try await ThreadSettingsBench.run(
        backend: backend, config: try server.runtime.config(name: "heavy_mlp", version: ""),
        modelFile: models.appendingPathComponent("heavy_mlp/1/model.onnx"), request: heavy, batch: 1024,
        seconds: seconds, logger: logger)
      await group.triggerGracefulShutdown()
      try await tasks.waitForAll()
    }
  }

  static func makeRequest(model: String, input: String, width: Int, batch: Int) -> InferenceRequest {
    let values = (0..<(batch * width)).map { Float(($0 * 7919) % 1000) / 500 - 1 }
    return InferenceRequest(
      modelName: model,
      inputs: [
        InferenceTensor(
          name: input, datatype: .fp32, shape: [Int64(batch), Int64(width)], data: values.withUnsafeBytes { Data($0) })
      ])
  }

  /// Runs `body` from `concurrency` tasks for a warm-up then a `seconds` window; returns per-call latencies.
  static func measure(
    seconds: Double, rows: Int, concurrency: Int, _ body: @escaping @Sendable () async throws -> Void
  ) async throws -> BenchStatistics {
    for _ in 0..<50 { try await body() }
    let start = ContinuousClock.now
    let deadline = start + .milliseconds(Int(seconds * 1000))
    let samples = try await withThrowingTaskGroup(of: [UInt64].self) { group in
      for _ in 0..<concurrency {
        group.addTask {
          var samples: [UInt64] = []
          while ContinuousClock.now < deadline {
            let t0 = ContinuousClock.now
            try await body()
            samples.append((ContinuousClock.now - t0).clampedNanoseconds)
          }
          return samples
        }
      }
      return try await group.reduce(into: []) { $0 += $1 }
    }
    return BenchStatistics(
      samplesNanos: samples, wallNanos: (ContinuousClock.now - start).clampedNanoseconds, rowsPerCall: rows)
  }
}

struct Row {
  static let header =
    "| model | batch | path | calls | p50 µs | p90 µs | p99 µs | inferences/s | throughput vs direct |\n|---|---|---|---|---|---|---|---|---|"
  let model: String
  let batch: Int
  let path: String
  let stats: BenchStatistics
  let baseline: BenchStatistics

  var text: String {
    let ratio = stats.rowsPerSecond / baseline.rowsPerSecond
    return "| \(model) | \(batch) | \(path) | \(stats.samplesNanos.count) | \(f(stats.percentile(50))) | "
      + "\(f(stats.percentile(90))) | \(f(stats.percentile(99))) | \(f(stats.rowsPerSecond)) | \(String(format: "%.2f", ratio)) |"
  }

  func f(_ x: Double) -> String { Self.f(x) }

  static func f(_ x: Double) -> String { x >= 100 ? String(format: "%.0f", x) : String(format: "%.1f", x) }
}
