import Foundation
import GRPCCore
import InferenceServer
import KServeGRPC
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `/metrics` carries Triton's metric names with `model` and `version` labels, and agrees with
/// ModelStatistics after a known number of requests.
@Suite(.serialized) struct MetricsEndpointTests {
  static func scrape(_ port: Int) async throws -> String {
    let (data, response) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/metrics")!)
    #expect((response as? HTTPURLResponse)?.statusCode == 200)
    return String(decoding: data, as: UTF8.self)
  }

  static func value(_ text: String, _ name: String, model: String, label: String? = nil) -> Double? {
    for line in text.split(separator: "\n")
    where line.hasPrefix(name + "{") && line.contains("model=\"\(model)\"") && label.map({ line.contains($0) }) ?? true
    {
      return line.split(separator: " ").last.flatMap { Double($0) }
    }
    return nil
  }

  @Test func metricsFollowRequestsAndStatistics() async throws {
    try await TestServer.with { kserve, _, _, server in
      let port = try #require(await server.metricsPort())
      for rows in [1, 3, 4] as [Int64] { _ = try await kserve.modelInfer(Requests.ghost(rows: rows)) }
      var bad = Requests.ghost(rows: 1)
      bad.inputs[0].datatype = "INT32"
      _ = try? await kserve.modelInfer(bad)
      let text = try await Self.scrape(port)
      #expect(Self.value(text, "nv_inference_request_success", model: "ghost_mlp") == 3)
      // Triton's `reason` label: a wrong datatype is OTHER; nothing was rejected or failed in the backend.
      #expect(Self.value(text, "nv_inference_request_failure", model: "ghost_mlp", label: "reason=\"OTHER\"") == 1)
      #expect(Self.value(text, "nv_inference_request_failure", model: "ghost_mlp", label: "reason=\"REJECTED\"") == 0)
      #expect(Self.value(text, "nv_inference_request_failure", model: "ghost_mlp", label: "reason=\"BACKEND\"") == 0)
      #expect(Self.value(text, "nv_inference_count", model: "ghost_mlp") == 8)
      #expect(Self.value(text, "nv_inference_exec_count", model: "ghost_mlp") == 3)
      #expect(Self.value(text, "nv_inference_pending_request_count", model: "ghost_mlp") == 0)
      #expect((Self.value(text, "nv_inference_compute_infer_duration_us", model: "ghost_mlp") ?? -1) >= 0)
      #expect(text.contains("version=\"1\""))
      #expect(text.contains("process_resident_memory_bytes"))
      var request = Inference_ModelStatisticsRequest()
      request.name = "ghost_mlp"
      let stats = try #require(try await kserve.modelStatistics(request).modelStats.first)
      #expect(Double(stats.inferenceCount) == Self.value(text, "nv_inference_count", model: "ghost_mlp"))
      #expect(Double(stats.executionCount) == Self.value(text, "nv_inference_exec_count", model: "ghost_mlp"))
      let durationUs = Self.value(text, "nv_inference_request_duration_us", model: "ghost_mlp") ?? -1
      #expect(abs(durationUs - Double(stats.inferenceStats.success.ns) / 1000) <= 3)
      // Host CPU utilization needs two scrapes (it is a rate between them).
      let second = try await Self.scrape(port)
      let utilization = second.split(separator: "\n").first { $0.hasPrefix("nv_cpu_utilization ") }
        .flatMap { $0.split(separator: " ").last }.flatMap { Double($0) }
      let value = try #require(utilization, "nv_cpu_utilization is exported")
      #expect((0...1).contains(value))
    }
  }
}
