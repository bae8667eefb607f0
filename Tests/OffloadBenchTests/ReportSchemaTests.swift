import Foundation
import OffloadBench
import Testing

/// The JSON and CSV files keep the documented schema (docs/bench.md).
@Suite(.timeLimit(.minutes(1))) struct ReportSchemaTests {
  static let documentedTopLevel: Set<String> = [
    "schema", "started_at", "model", "model_version", "url", "protocol", "batch_size", "load_mode", "distribution",
    "window_ms", "stability_percentage", "stability_windows", "max_trials", "stability_percentile", "baseline",
    "points",
  ]
  static let documentedPoint: Set<String> = [
    "concurrency", "request_rate", "windows", "stable", "requests", "inferences_per_second", "requests_per_second",
    "latency_us", "errors", "server", "client_cpu_us_per_request", "server_cpu_us_per_request", "ratio_to_baseline",
  ]
  static let documentedLatency: Set<String> = ["count", "p50", "p90", "p95", "p99", "max", "mean", "errors"]
  static let documentedServer: Set<String> = [
    "inference_count", "execution_count", "success_count", "request_us", "queue_us", "compute_input_us",
    "compute_infer_us", "compute_output_us", "overhead_us",
  ]

  static func sample() throws -> BenchReport {
    let latency = LatencySummary(
      count: 10, p50: 100, p90: 150, p95: 160, p99: 200, max: 250, mean: 110, errors: ["UNAVAILABLE": 1])
    let json = """
      {"concurrency": 2, "request_rate": null, "windows": 3, "stable": true, "requests": 10,
       "inferences_per_second": 500, "requests_per_second": 500,
       "latency_us": {"count": 10, "p50": 100, "p90": 150, "p95": 160, "p99": 200, "max": 250, "mean": 110, "errors": {"UNAVAILABLE": 1}},
       "errors": {"UNAVAILABLE": 1},
       "server": {"inference_count": 10, "execution_count": 5, "success_count": 10, "request_us": 50, "queue_us": 10,
                  "compute_input_us": 5, "compute_infer_us": 20, "compute_output_us": 5, "overhead_us": 10},
       "client_cpu_us_per_request": 30, "server_cpu_us_per_request": 40, "ratio_to_baseline": 0.5}
      """
    let point = try JSONDecoder().decode(BenchPoint.self, from: Data(json.utf8))
    #expect(point.latencyUs == latency)
    return BenchReport(
      startedAt: "2026-12-01T00:00:00Z", model: "m", modelVersion: "", url: "127.0.0.1:8001", protocol: "grpc",
      batchSize: 1, loadMode: "concurrency", distribution: nil, windowMs: 1000, stabilityPercentage: 10,
      stabilityWindows: 3, maxTrials: 10, stabilityPercentile: 0,
      baseline: .init(kind: "direct", inferencesPerSecond: 1000, latencyUs: 1), points: [point])
  }

  @Test func jsonHasExactlyTheDocumentedKeys() throws {
    let report = try Self.sample()
    let object = try #require(try JSONSerialization.jsonObject(with: try report.json()) as? [String: Any])
    #expect(Set(object.keys) == Self.documentedTopLevel.subtracting(["distribution"]), "nil distribution is omitted")
    let point = try #require((object["points"] as? [[String: Any]])?.first)
    #expect(Set(point.keys) == Self.documentedPoint.subtracting(["request_rate"]))
    #expect(Set(try #require(point["latency_us"] as? [String: Any]).keys) == Self.documentedLatency)
    #expect(Set(try #require(point["server"] as? [String: Any]).keys) == Self.documentedServer)
    #expect(object["schema"] as? String == "offload-bench/1")
    // Round trip.
    #expect(try JSONDecoder().decode(BenchReport.self, from: try report.json()) == report)
  }

  @Test func csvHeaderAndRowsLineUp() throws {
    let csv = try Self.sample().csv()
    let lines = csv.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
    #expect(lines.count == 2)
    #expect(lines[0].map(String.init) == BenchReport.csvColumns)
    #expect(lines[1].count == BenchReport.csvColumns.count)
    let row = Dictionary(uniqueKeysWithValues: zip(BenchReport.csvColumns, lines[1].map(String.init)))
    #expect(row["concurrency"] == "2")
    #expect(row["p99_us"] == "200.000")
    #expect(row["errors"] == "UNAVAILABLE=1")
    #expect(row["server_exec_count"] == "5")
  }

  @Test func docsListEveryCSVColumn() throws {
    let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("docs/bench.md")
    let text = try String(contentsOf: docs, encoding: .utf8)
    for column in BenchReport.csvColumns { #expect(text.contains("`\(column)`"), "docs/bench.md lacks \(column)") }
    for key in Self.documentedTopLevel.union(Self.documentedPoint).union(Self.documentedServer) {
      #expect(text.contains("`\(key)`"), "docs/bench.md lacks \(key)")
    }
  }
}
