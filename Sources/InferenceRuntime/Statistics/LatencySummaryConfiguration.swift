internal import KServeProtocol

#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif

/// Settings of Triton's latency summaries (`nv_inference_request_summary_us`, …): Prometheus summaries with
/// `quantile` labels over a sliding time window, off by default as in Triton. `offload serve` fills it from
/// `--metrics-config` (see ``init(metricsConfig:)``).
public struct LatencySummaryConfiguration: Sendable, Equatable {
  /// One quantile to report and the rank error Prometheus allows for it.
  public struct Quantile: Sendable, Hashable {
    /// The quantile, 0...1 (0.99 is the 99th percentile).
    public var quantile: Double
    /// Allowed rank error: the reported value lies between the `quantile - error` and `quantile + error`
    /// quantiles. The HDR histograms behind the summaries rank exactly and keep values to 0.1 %, so every
    /// error is met; it is kept for the configuration's sake.
    public var error: Double

    /// Creates a quantile.
    public init(_ quantile: Double, error: Double) {
      self.quantile = quantile
      self.error = error
    }
  }

  /// Triton's default quantiles (`MetricReporterConfig::quantiles_` in Triton's core):
  /// `0.5:0.05, 0.9:0.01, 0.95:0.001, 0.99:0.001, 0.999:0.001`.
  public static let defaultQuantiles: [Quantile] = [
    Quantile(0.5, error: 0.05), Quantile(0.9, error: 0.01), Quantile(0.95, error: 0.001),
    Quantile(0.99, error: 0.001), Quantile(0.999, error: 0.001),
  ]

  /// The quantiles each summary reports, in this order.
  public var quantiles: [Quantile]
  /// How long an observation counts for the quantiles (prometheus-cpp's `max_age`, 60 s in Triton).
  /// `_sum` and `_count` are lifetime totals.
  public var maxAge: Duration
  /// Windows the age is divided into; the oldest is dropped as a whole (prometheus-cpp's `age_buckets`, 5).
  /// The quantiles cover between `maxAge × (ageBuckets - 1) / ageBuckets` and `maxAge` of observations.
  public var ageBuckets: Int

  /// Creates a configuration; the defaults are Triton's.
  /// - Parameters:
  ///   - quantiles: Quantiles to report.
  ///   - maxAge: Sliding window length.
  ///   - ageBuckets: Windows per `maxAge` (at least 1).
  public init(
    quantiles: [Quantile] = LatencySummaryConfiguration.defaultQuantiles, maxAge: Duration = .seconds(60),
    ageBuckets: Int = 5
  ) {
    self.quantiles = quantiles
    self.maxAge = maxAge
    self.ageBuckets = ageBuckets
  }
}

extension LatencySummaryConfiguration {
  /// A `--metrics-config` entry that cannot be used.
  public struct MetricsConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong, naming the entry and what is accepted.
    public var message: String

    /// Creates an error.
    public init(_ message: String) { self.message = message }

    public var description: String { message }
  }

  /// The `--metrics-config` keys Offload knows: Triton's `summary_latencies` and `summary_quantiles`, and
  /// `summary_max_age_secs` (an Offload extension).
  public static let metricsConfigKeys = ["summary_latencies", "summary_quantiles", "summary_max_age_secs"]

  /// Reads Triton's `--metrics-config KEY=VALUE` entries (a repeated key: the last one counts).
  /// `summary_latencies=true` turns the summaries on; `summary_quantiles=q:e,q:e,…` and
  /// `summary_max_age_secs=S` only change them.
  /// - Parameter metricsConfig: The entries, e.g. `["summary_latencies=true", "summary_quantiles=0.5:0.05"]`.
  /// - Returns: The settings, or `nil` when the summaries stay off.
  /// - Throws: ``MetricsConfigError`` for an entry without `=`, an unknown key (the message lists the valid
  ///   ones) or a bad value.
  public init?(metricsConfig: [String]) throws {
    var enabled = false
    var configuration = LatencySummaryConfiguration()
    for entry in metricsConfig {
      guard let equals = entry.firstIndex(of: "=") else {
        throw MetricsConfigError(
          "--metrics-config '\(entry)' is not KEY=VALUE; valid keys: \(Self.metricsConfigKeys.joined(separator: ", "))")
      }
      let key = entry[..<equals].trimmingWhitespace()
      let value = entry[entry.index(after: equals)...].trimmingWhitespace()
      switch key {
      case "summary_latencies":
        guard value == "true" || value == "false" else {
          throw MetricsConfigError("--metrics-config summary_latencies must be true or false, not '\(value)'")
        }
        enabled = value == "true"
      case "summary_quantiles":
        configuration.quantiles = try Self.parseQuantiles(value)
      case "summary_max_age_secs":
        guard let seconds = Double(value), seconds.isFinite, seconds >= 0.001, seconds <= 31_536_000 else {
          throw MetricsConfigError(
            "--metrics-config summary_max_age_secs must be a number of seconds, 0.001 to 31536000, not '\(value)'")
        }
        configuration.maxAge = .milliseconds(Int64((seconds * 1000).rounded()))
      default:
        throw MetricsConfigError(
          "unknown --metrics-config key '\(key)'; valid keys: \(Self.metricsConfigKeys.joined(separator: ", "))")
      }
    }
    guard enabled else { return nil }
    self = configuration
  }

  /// Parses Triton's `summary_quantiles` value: comma-separated `quantile:error` pairs, each number in 0...1,
  /// no quantile twice. Spaces around the pairs are ignored.
  /// - Parameter text: E.g. `0.5:0.05,0.9:0.01,0.95:0.001,0.99:0.001`.
  /// - Throws: ``MetricsConfigError`` naming the bad pair.
  public static func parseQuantiles(_ text: String) throws -> [Quantile] {
    var quantiles: [Quantile] = []
    for pair in text.split(separator: ",", omittingEmptySubsequences: false) {
      let parts = pair.split(separator: ":", omittingEmptySubsequences: false)
        .map { $0.trimmingWhitespace() }
      guard parts.count == 2, let quantile = Double(parts[0]), let error = Double(parts[1]),
        (0...1).contains(quantile), (0...1).contains(error)
      else {
        throw MetricsConfigError(
          "--metrics-config summary_quantiles: '\(pair)' is not quantile:error with both in 0...1 "
            + "(e.g. summary_quantiles=0.5:0.05,0.9:0.01,0.99:0.001)")
      }
      guard !quantiles.contains(where: { $0.quantile == quantile }) else {
        throw MetricsConfigError("--metrics-config summary_quantiles: quantile \(parts[0]) is given twice")
      }
      quantiles.append(Quantile(quantile, error: error))
    }
    return quantiles
  }
}
