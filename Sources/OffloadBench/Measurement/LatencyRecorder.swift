internal import Histogram
internal import Synchronization

/// Latencies of one window in an HDR histogram (1 ns to 100 s, three significant digits: every
/// percentile within 0.1 % of the exact one), plus per-status error counts. Shared by the load tasks.
public final class LatencyRecorder: Sendable {
  private struct State {
    var histogram = Histogram<UInt64>(highestTrackableValue: 100_000_000_000, numberOfSignificantValueDigits: .three)
    var errors: [String: Int] = [:]
  }

  private let state = Mutex(State())

  /// Creates an empty recorder.
  public init() {}

  /// Records a successful request's latency.
  public func record(nanoseconds: UInt64) {
    state.withLock { _ = $0.histogram.record(min(max(nanoseconds, 1), 100_000_000_000)) }
  }

  /// Records a failed request by its status.
  public func recordError(_ status: String) {
    state.withLock { $0.errors[status, default: 0] += 1 }
  }

  /// The window's summary.
  public func summary() -> LatencySummary {
    state.withLock { state in
      let h = state.histogram
      let count = Int(h.totalCount)
      func us(_ p: Double) -> Double { count == 0 ? 0 : Double(h.valueAtPercentile(p)) / 1000 }
      return LatencySummary(
        count: count, p50: us(50), p90: us(90), p95: us(95), p99: us(99),
        max: count == 0 ? 0 : Double(h.max) / 1000, mean: count == 0 ? 0 : h.mean / 1000, errors: state.errors)
    }
  }
}

/// Latency percentiles (microseconds) and error counts of a set of requests.
public struct LatencySummary: Sendable, Equatable, Codable {
  /// Successful requests.
  public var count: Int
  /// Percentiles and extremes, µs.
  public var p50, p90, p95, p99, max, mean: Double
  /// Failed requests by status.
  public var errors: [String: Int]

  /// Creates a summary.
  public init(
    count: Int, p50: Double, p90: Double, p95: Double, p99: Double, max: Double, mean: Double, errors: [String: Int]
  ) {
    self.count = count
    self.p50 = p50
    self.p90 = p90
    self.p95 = p95
    self.p99 = p99
    self.max = max
    self.mean = mean
    self.errors = errors
  }

  /// The latency the stability rule compares: a percentile, or the mean for 0.
  public func latency(percentile: Double) -> Double {
    switch percentile {
    case 0: mean
    case ..<70: p50
    case ..<92.5: p90
    case ..<97: p95
    default: p99
    }
  }
}
