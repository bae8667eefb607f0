import Foundation
import InferenceRuntime
import InferenceServer
import Testing

/// NVIDIA's perf_analyzer (the C++ Triton client library inside; installed by dev/perf-analyzer.sh) run
/// unmodified against the server in every mode HEP users run it in: gRPC and HTTP, system shared memory on
/// both (FP32 and BYTES), gRPC streaming, the asynchronous client, an open loop, batch 8, BF16, a dynamically
/// batched model, and its /metrics scrape. Each run must succeed and the server's
/// statistics, which perf_analyzer reads back over the same protocol, must count what the client sent.
@Suite(.serialized, .timeLimit(.minutes(10))) struct PerfAnalyzerInteropTests {
  static let perfAnalyzer = TestServer.root.appendingPathComponent(".venv/bin/perf_analyzer")

  struct Mode: Sendable, CustomStringConvertible {
    var description: String
    var model = "ghost_mlp"
    var http = false
    var batch = 1
    var arguments: [String] = []
    /// Closed loop with 2 in flight unless the mode sets its own load.
    var load = ["--concurrency-range", "2"]
  }

  static let modes: [Mode] = [
    Mode(description: "gRPC"),
    Mode(description: "HTTP", http: true),
    Mode(description: "gRPC, system shared memory", arguments: ["--shared-memory", "system"]),
    Mode(description: "HTTP, system shared memory", http: true, arguments: ["--shared-memory", "system"]),
    Mode(description: "gRPC streaming", arguments: ["--streaming"]),
    Mode(description: "gRPC, batch 8", batch: 8),
    Mode(description: "HTTP, dynamic batching", model: "ghost_mlp_batched", http: true),
    Mode(description: "gRPC, asynchronous client", arguments: ["--async"]),
    Mode(description: "gRPC, open loop at 100 requests/s", load: ["--request-rate-range", "100"]),
    Mode(
      description: "gRPC, BYTES in system shared memory", model: "identity_bytes",
      arguments: ["--shared-memory", "system", "--shape", "INPUT0:4"]),
    Mode(
      description: "HTTP, BYTES in system shared memory", model: "identity_bytes", http: true,
      arguments: ["--shared-memory", "system", "--shape", "INPUT0:4"]),
    Mode(description: "HTTP, BF16", model: "identity_bf16", http: true, arguments: ["--shape", "INPUT0:8"]),
  ]

  /// A number after `label` in perf_analyzer's report, in its `section` ("Client:" or "Server:").
  static func count(_ label: String, in section: String, of output: String) -> Int? {
    guard let start = output.range(of: section) else { return nil }
    let rest = output[start.upperBound...]
    guard let line = rest.split(separator: "\n").first(where: { $0.contains(label) }) else { return nil }
    return Int(line.split(separator: ":").last?.trimmingCharacters(in: .whitespaces) ?? "")
  }

  @Test func perfAnalyzerRunsInEveryModeAndTheStatisticsAgree() async throws {
    try #require(
      FileManager.default.isExecutableFile(atPath: Self.perfAnalyzer.path),
      "no perf_analyzer: run dev/perf-analyzer.sh (dev/test.sh does)")
    try await TestServer.with(configure: { $0.runtime.allowClientSharedMemory = true }) { _, _, port, server in
      let http = try #require(await server.httpPort())
      let metrics = try #require(await server.metricsPort())
      // perf_analyzer also scrapes /metrics (Triton's GPU gauges: empty here, but the scrape must work).
      let scrape = ["--collect-metrics", "--metrics-url", "127.0.0.1:\(metrics)/metrics", "--metrics-interval", "200"]
      for mode in Self.modes {
        let (status, output) = try await TritonClientInteropTests.run(
          [
            Self.perfAnalyzer.path, "-m", mode.model, "-u", "127.0.0.1:\(mode.http ? http : port)",
            "-i", mode.http ? "http" : "grpc", "-b", "\(mode.batch)", "-p", "500", "-s", "100", "--max-trials", "10",
          ] + mode.load + mode.arguments + (mode.description == "gRPC" ? scrape : []), environment: [:])
        let tail = output.split(separator: "\n").suffix(30).joined(separator: "\n")
        #expect(status == 0, "\(mode): perf_analyzer exited \(status):\n\(tail)")
        #expect(output.contains("Throughput:"), "\(mode):\n\(tail)")
        let requests = try #require(Self.count("Request count", in: "Client:", of: output), "\(mode):\n\(tail)")
        let inferences = try #require(Self.count("Inference count", in: "Server:", of: output), "\(mode):\n\(tail)")
        let successes = try #require(
          Self.count("Successful request count", in: "Server:", of: output), "\(mode):\n\(tail)")
        #expect(requests > 0, "\(mode)")
        // perf_analyzer takes the server's counts as statistics deltas read before and after its window, while
        // requests keep flowing: those in flight around either read may fall on either side.
        #expect(
          abs(successes - requests) <= max(4, requests / 100), "\(mode): client \(requests), server \(successes)")
        if mode.description == "gRPC" {
          #expect(output.contains("Server Prometheus Metrics"), "\(mode): no metrics section\n\(tail)")
        }
        #expect(inferences == successes * mode.batch, "\(mode): \(inferences) rows for \(successes) requests")
      }
    }
  }
}
