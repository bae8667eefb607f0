import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import InferenceRuntime
import InferenceServer
import KServeGRPC
import KServeProtocol
internal import OffloadMeasurement

/// Many concurrent single-row requests through gRPC, with and without dynamic batching: throughput,
/// p99, requests per execution (from ModelStatistics deltas) and server CPU per request.
enum BatchingBench {
  typealias Client = Inference_GRPCInferenceService.Client<HTTP2ClientTransport.Posix>

  static func run(kserve: Client, seconds: Double, concurrency: Int, serverPID: Int32?) async throws {
    let cpuSource = serverPID.map { "server process \($0), /proc" } ?? "this process (client + server), getrusage"
    print(
      "\n| ghost-track MLP, batch 1, \(concurrency) in flight | requests/s | p50 µs | p99 µs | requests per execution | CPU µs per request (\(cpuSource)) | throughput vs without |"
    )
    print("|---|---|---|---|---|---|---|")
    var baseline: Double?
    for (label, model) in [
      ("without dynamic batching", "ghost_mlp"), ("dynamic batching (100 µs delay)", "ghost_mlp_batched"),
    ] {
      let request = FoundationBench.makeRequest(model: model, input: "features", width: 17, batch: 1).proto
      let before = try await statistics(kserve, model)
      let cpuBefore = cpuMicros(serverPID)
      let stats = try await FoundationBench.measure(seconds: seconds, rows: 1, concurrency: concurrency) {
        _ = try await kserve.modelInfer(request)
      }
      let cpu = cpuMicros(serverPID) - cpuBefore
      let after = try await statistics(kserve, model)
      let requests = Double(after.inferenceCount - before.inferenceCount)
      let executions = Double(max(after.executionCount - before.executionCount, 1))
      let ratio = baseline.map { stats.callsPerSecond / $0 } ?? 1
      baseline = baseline ?? stats.callsPerSecond
      print(
        "| \(label) | \(Row.f(stats.callsPerSecond)) | \(Row.f(stats.percentile(50))) | \(Row.f(stats.percentile(99))) | "
          + "\(String(format: "%.1f", requests / executions)) | \(String(format: "%.1f", cpu / max(requests, 1))) | "
          + "\(String(format: "%.2f", ratio)) |")
    }
  }

  static func statistics(_ kserve: Client, _ model: String) async throws -> Inference_ModelStatistics {
    var request = Inference_ModelStatisticsRequest()
    request.name = model
    return try await kserve.modelStatistics(request).modelStats.first ?? Inference_ModelStatistics()
  }

  /// CPU time in µs of the server process (from /proc) or of this process.
  static func cpuMicros(_ pid: Int32?) -> Double {
    guard let pid else { return ThreadSettingsBench.cpuMicros() }
    return (ProcessCPUTime.seconds(pid: pid) ?? 0) * 1e6
  }

}
