import Foundation
import GRPCCore
import InferenceRuntime
import InferenceServer
import KServeGRPC
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `/metrics` carries Triton's metric names with `model` and `version` labels, and agrees with
/// ModelStatistics after a known number of requests.
@Suite(.serialized, .timeLimit(.minutes(5))) struct MetricsEndpointTests {
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
    try await TestServer.with(configure: { $0.metricsInterval = .milliseconds(20) }) { kserve, _, _, server in
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
      #expect(!text.contains("_summary_us"), "latency summaries are off by default, as in Triton")
      var request = Inference_ModelStatisticsRequest()
      request.name = "ghost_mlp"
      let stats = try #require(try await kserve.modelStatistics(request).modelStats.first)
      #expect(Double(stats.inferenceCount) == Self.value(text, "nv_inference_count", model: "ghost_mlp"))
      #expect(Double(stats.executionCount) == Self.value(text, "nv_inference_exec_count", model: "ghost_mlp"))
      let durationUs = Self.value(text, "nv_inference_request_duration_us", model: "ghost_mlp") ?? -1
      #expect(abs(durationUs - Double(stats.inferenceStats.success.ns) / 1000) <= 3)
      // Host CPU utilization is sampled every metrics interval (20 ms here), whoever scrapes: it appears with
      // the sampler's first sample.
      var utilization: Double?
      var sampled = ""
      while utilization == nil {
        sampled = try await Self.scrape(port)
        utilization = sampled.split(separator: "\n").first { $0.hasPrefix("nv_cpu_utilization ") }
          .flatMap { $0.split(separator: " ").last }.flatMap { Double($0) }
        if utilization == nil { try await Task.sleep(for: .milliseconds(20)) }
      }
      #expect((0...1).contains(try #require(utilization)))
      #expect(sampled.contains("nv_cpu_memory_total_bytes "))
    }
  }

  /// With `--cache-config`, Triton's server-wide cache gauges follow the cache; without it they are absent.
  @Test func responseCacheGaugesWhenTheServerHasACache() async throws {
    try await TestServer.with(configure: { $0.runtime.responseCacheBytes = 1 << 20 }) { kserve, _, _, server in
      let port = try #require(await server.metricsPort())
      var request = Requests.addSub(rows: 2)
      request.modelName = "add_sub_cached"
      for _ in 0..<3 { _ = try await kserve.modelInfer(request) }
      let text = try await Self.scrape(port)
      func gauge(_ name: String) -> Double? {
        text.split(separator: "\n").first { $0.hasPrefix(name + " ") }
          .flatMap { $0.split(separator: " ").last }.flatMap { Double($0) }
      }
      #expect(gauge("nv_cache_num_entries") == 1)
      #expect(gauge("nv_cache_num_lookups") == 3)
      #expect(gauge("nv_cache_num_hits") == 2)
      #expect(gauge("nv_cache_num_misses") == 1)
      #expect(gauge("nv_cache_num_evictions") == 0)
      let utilization = try #require(gauge("nv_cache_util"))
      #expect(utilization > 0 && utilization < 0.01, "one small answer in 1 MiB")
      #expect((gauge("nv_cache_lookup_duration") ?? -1) >= 0 && (gauge("nv_cache_insertion_duration") ?? -1) >= 0)
      #expect(Self.value(text, "nv_cache_num_hits_per_model", model: "add_sub_cached") == 2)
    }
    try await TestServer.with { _, _, _, server in
      let text = try await Self.scrape(try #require(await server.metricsPort()))
      #expect(!text.contains("nv_cache_num_entries"), "no cache, no cache gauges")
    }
  }

  /// `--metrics-config summary_latencies=true`: Triton's five summaries with the configured quantiles;
  /// `_count` is the number of requests and `_sum` equals the matching `_duration_us` counter.
  @Test func latencySummariesWhenEnabled() async throws {
    let quantiles: [LatencySummaryConfiguration.Quantile] = [.init(0.5, error: 0.05), .init(0.99, error: 0.001)]
    try await TestServer.with(configure: {
      $0.runtime.latencySummaries = LatencySummaryConfiguration(quantiles: quantiles)
    }) { kserve, _, _, server in
      let port = try #require(await server.metricsPort())
      let requests = 6
      for _ in 0..<requests { _ = try await kserve.modelInfer(Requests.ghost(rows: 2)) }
      let text = try await Self.scrape(port)
      for name in [
        "nv_inference_request_summary_us", "nv_inference_queue_summary_us", "nv_inference_compute_input_summary_us",
        "nv_inference_compute_infer_summary_us", "nv_inference_compute_output_summary_us",
      ] {
        #expect(text.contains("# TYPE \(name) summary\n"), "\(name)")
        #expect(Self.value(text, name + "_count", model: "ghost_mlp", label: "version=\"1\"") == Double(requests))
      }
      let p50 = try #require(
        Self.value(text, "nv_inference_request_summary_us", model: "ghost_mlp", label: "quantile=\"0.5\""))
      let p99 = try #require(
        Self.value(text, "nv_inference_request_summary_us", model: "ghost_mlp", label: "quantile=\"0.99\""))
      #expect(!p50.isNaN && !p99.isNaN)
      #expect(p50 <= p99)
      #expect(!text.contains("quantile=\"0.9\""), "only the configured quantiles")
      // Both are sums of the same truncated µs.
      #expect(
        Self.value(text, "nv_inference_request_summary_us_sum", model: "ghost_mlp")
          == Self.value(text, "nv_inference_request_duration_us", model: "ghost_mlp"))
    }
  }
}
