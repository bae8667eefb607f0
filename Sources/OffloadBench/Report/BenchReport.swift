internal import OffloadMeasurement

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// The result of an `offload bench` run: the JSON file as written (schema `offload-bench/1`, documented
/// in docs/bench.md). Every duration is in microseconds; rates are per second.
public struct BenchReport: Sendable, Codable, Equatable {
  /// Schema identifier.
  public var schema = "offload-bench/1"
  /// UTC start, ISO 8601.
  public var startedAt: String
  /// Model and version benchmarked.
  public var model: String
  public var modelVersion: String
  /// Server(s) as given, and protocol.
  public var url: String
  public var `protocol`: String
  /// Rows per request.
  public var batchSize: Int
  /// `concurrency` (closed loop) or `request_rate` (open loop).
  public var loadMode: String
  /// Arrival process of the open loop (`constant`, `poisson`); nil for the closed loop.
  public var distribution: String?
  /// Measurement window, ms; stability rule.
  public var windowMs: Int
  public var stabilityPercentage: Double
  public var stabilityWindows: Int
  public var maxTrials: Int
  /// Latency the stability rule compares (0: mean).
  public var stabilityPercentile: Double
  /// The direct ONNX Runtime ceiling, when measured.
  public var baseline: Baseline?
  /// The points, in sweep order.
  public var points: [BenchPoint]

  /// Creates a report.
  public init(
    startedAt: String, model: String, modelVersion: String, url: String, protocol: String, batchSize: Int,
    loadMode: String, distribution: String?, windowMs: Int, stabilityPercentage: Double, stabilityWindows: Int,
    maxTrials: Int, stabilityPercentile: Double, baseline: Baseline?, points: [BenchPoint]
  ) {
    self.startedAt = startedAt
    self.model = model
    self.modelVersion = modelVersion
    self.url = url
    self.protocol = `protocol`
    self.batchSize = batchSize
    self.loadMode = loadMode
    self.distribution = distribution
    self.windowMs = windowMs
    self.stabilityPercentage = stabilityPercentage
    self.stabilityWindows = stabilityWindows
    self.maxTrials = maxTrials
    self.stabilityPercentile = stabilityPercentile
    self.baseline = baseline
    self.points = points
  }

  /// Direct in-process ONNX Runtime execution of the same model and batch.
  public struct Baseline: Sendable, Codable, Equatable {
    /// `direct`.
    public var kind: String
    /// Inferences per second, one thread, back to back.
    public var inferencesPerSecond: Double
    /// Mean execution latency, µs.
    public var latencyUs: Double

    /// Creates a baseline.
    public init(kind: String, inferencesPerSecond: Double, latencyUs: Double) {
      self.kind = kind
      self.inferencesPerSecond = inferencesPerSecond
      self.latencyUs = latencyUs
    }
  }

  enum CodingKeys: String, CodingKey {
    case schema, model, url, points, baseline, distribution
    case startedAt = "started_at"
    case modelVersion = "model_version"
    case `protocol` = "protocol"
    case batchSize = "batch_size"
    case loadMode = "load_mode"
    case windowMs = "window_ms"
    case stabilityPercentage = "stability_percentage"
    case stabilityWindows = "stability_windows"
    case maxTrials = "max_trials"
    case stabilityPercentile = "stability_percentile"
  }
}

extension BenchReport.Baseline {
  enum CodingKeys: String, CodingKey {
    case kind
    case inferencesPerSecond = "inferences_per_second"
    case latencyUs = "latency_us"
  }
}

/// One point of the sweep.
public struct BenchPoint: Sendable, Codable, Equatable {
  /// Requests kept in flight (closed loop), or nil.
  public var concurrency: Int?
  /// Requests per second offered (open loop), or nil.
  public var requestRate: Double?
  /// Windows measured, and whether the last ones met the stability rule.
  public var windows: Int
  public var stable: Bool
  /// Successful requests in the reported windows.
  public var requests: Int
  /// Throughput.
  public var inferencesPerSecond: Double
  public var requestsPerSecond: Double
  /// Client-side latency of successful requests, µs.
  public var latencyUs: LatencySummary
  /// Failed requests by gRPC status name.
  public var errors: [String: Int]
  /// Server-side breakdown from ModelStatistics deltas, when the server reports them.
  public var server: ServerBreakdown?
  /// CPU time of this client process per request, µs.
  public var clientCPUUsPerRequest: Double
  /// CPU time of the server process per request, µs, when its PID was given.
  public var serverCPUUsPerRequest: Double?
  /// Throughput over the direct baseline's, when measured.
  public var ratioToBaseline: Double?

  enum CodingKeys: String, CodingKey {
    case concurrency, windows, stable, requests, errors, server
    case requestRate = "request_rate"
    case inferencesPerSecond = "inferences_per_second"
    case requestsPerSecond = "requests_per_second"
    case latencyUs = "latency_us"
    case clientCPUUsPerRequest = "client_cpu_us_per_request"
    case serverCPUUsPerRequest = "server_cpu_us_per_request"
    case ratioToBaseline = "ratio_to_baseline"
  }
}

/// perf_analyzer's server-side view: averages per request over the measured windows, µs.
public struct ServerBreakdown: Sendable, Codable, Equatable {
  public var inferenceCount: UInt64
  public var executionCount: UInt64
  public var successCount: UInt64
  /// Request latency inside the server, and its parts.
  public var requestUs: Double
  public var queueUs: Double
  public var computeInputUs: Double
  public var computeInferUs: Double
  public var computeOutputUs: Double
  /// What the parts do not account for (request handling, scheduling).
  public var overheadUs: Double

  enum CodingKeys: String, CodingKey {
    case inferenceCount = "inference_count"
    case executionCount = "execution_count"
    case successCount = "success_count"
    case requestUs = "request_us"
    case queueUs = "queue_us"
    case computeInputUs = "compute_input_us"
    case computeInferUs = "compute_infer_us"
    case computeOutputUs = "compute_output_us"
    case overheadUs = "overhead_us"
  }
}

extension LatencySummary {
  enum CodingKeys: String, CodingKey {
    case count, p50, p90, p95, p99, max, mean, errors
  }
}

extension BenchReport {
  /// The JSON text (sorted keys, pretty).
  public func json() throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    return try encoder.encode(self)
  }

  /// CSV columns, in order (documented in docs/bench.md).
  public static let csvColumns = [
    "model", "batch_size", "load_mode", "concurrency", "request_rate", "windows", "stable", "requests",
    "inferences_per_second", "requests_per_second", "p50_us", "p90_us", "p95_us", "p99_us", "max_us", "mean_us",
    "errors", "server_request_us", "server_queue_us", "server_compute_input_us", "server_compute_infer_us",
    "server_compute_output_us", "server_overhead_us", "server_exec_count", "client_cpu_us_per_request",
    "server_cpu_us_per_request", "ratio_to_baseline",
  ]

  /// The CSV text: a header row and one row per point.
  public func csv() -> String {
    func f(_ v: Double?) -> String { v.map { String(cFormat: "%.3f", $0) } ?? "" }
    var lines = [Self.csvColumns.joined(separator: ",")]
    for p in points {
      let errors = p.errors.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ";")
      let row: [String] = [
        model, "\(batchSize)", loadMode, p.concurrency.map(String.init) ?? "", f(p.requestRate), "\(p.windows)",
        "\(p.stable)", "\(p.requests)", f(p.inferencesPerSecond), f(p.requestsPerSecond), f(p.latencyUs.p50),
        f(p.latencyUs.p90), f(p.latencyUs.p95), f(p.latencyUs.p99), f(p.latencyUs.max), f(p.latencyUs.mean), errors,
        f(p.server?.requestUs), f(p.server?.queueUs), f(p.server?.computeInputUs), f(p.server?.computeInferUs),
        f(p.server?.computeOutputUs), f(p.server?.overheadUs), p.server.map { "\($0.executionCount)" } ?? "",
        f(p.clientCPUUsPerRequest), f(p.serverCPUUsPerRequest), f(p.ratioToBaseline),
      ]
      lines.append(row.joined(separator: ","))
    }
    return lines.joined(separator: "\n") + "\n"
  }

  /// The end-of-run table (Markdown, readable on a terminal).
  public func summaryTable() -> String {
    func f(_ v: Double?, _ digits: Int = 0) -> String { v.map { String(cFormat: "%.\(digits)f", $0) } ?? "–" }
    var lines = [
      "| \(loadMode == "concurrency" ? "concurrency" : "rate/s") | infer/s | req/s | p50 µs | p90 µs | p95 µs | p99 µs | "
        + "max µs | errors | server queue µs | compute in/infer/out µs | client CPU µs/req | server CPU µs/req | × direct | stable |",
      "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for p in points {
      let load = p.concurrency.map(String.init) ?? f(p.requestRate)
      let errors = p.errors.values.reduce(0, +)
      let compute =
        p.server.map { "\(f($0.computeInputUs, 1))/\(f($0.computeInferUs, 1))/\(f($0.computeOutputUs, 1))" } ?? "–"
      lines.append(
        "| \(load) | \(f(p.inferencesPerSecond)) | \(f(p.requestsPerSecond)) | \(f(p.latencyUs.p50)) | \(f(p.latencyUs.p90)) | "
          + "\(f(p.latencyUs.p95)) | \(f(p.latencyUs.p99)) | \(f(p.latencyUs.max)) | \(errors) | \(f(p.server?.queueUs, 1)) | "
          + "\(compute) | \(f(p.clientCPUUsPerRequest, 1)) | \(f(p.serverCPUUsPerRequest, 1)) | \(f(p.ratioToBaseline, 3)) | "
          + "\(p.stable ? "yes" : "no") |")
    }
    return lines.joined(separator: "\n")
  }
}
