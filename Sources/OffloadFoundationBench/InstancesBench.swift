import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import KServeGRPC
import KServeProtocol

/// One instance vs two of the compute-heavy model, batch 1024, with enough requests in flight to keep
/// both instances busy.
enum InstancesBench {
  static func run(kserve: BatchingBench.Client, seconds: Double) async throws {
    print(
      "\n| heavy_mlp, batch 1024, 4 in flight | instances | inferences/s | p50 µs | p99 µs | throughput vs 1 instance |"
    )
    print("|---|---|---|---|---|---|")
    var baseline: Double?
    for (model, count) in [("heavy_mlp", 1), ("heavy_mlp_2x", 2)] {
      let request = FoundationBench.makeRequest(model: model, input: "x", width: 256, batch: 1024).proto
      let stats = try await FoundationBench.measure(seconds: seconds, rows: 1024, concurrency: 4) {
        _ = try await kserve.modelInfer(request)
      }
      let ratio = baseline.map { stats.rowsPerSecond / $0 } ?? 1
      baseline = baseline ?? stats.rowsPerSecond
      print(
        "| \(model) | \(count) | \(Row.f(stats.rowsPerSecond)) | \(Row.f(stats.percentile(50))) | "
          + "\(Row.f(stats.percentile(99))) | \(String(format: "%.2f", ratio)) |")
    }
  }
}
