/// Latency samples and the figures the benchmark prints.
struct BenchStatistics {
  var samplesNanos: [UInt64]
  var wallNanos: UInt64
  var rowsPerCall: Int

  func percentile(_ p: Double) -> Double {
    let sorted = samplesNanos.sorted()
    guard !sorted.isEmpty else { return 0 }
    let index = min(sorted.count - 1, Int((p / 100 * Double(sorted.count - 1)).rounded()))
    return Double(sorted[index]) / 1000
  }

  /// Calls per second over the wall-clock window.
  var callsPerSecond: Double { Double(samplesNanos.count) / (Double(wallNanos) / 1e9) }
  /// Rows (inferences) per second.
  var rowsPerSecond: Double { callsPerSecond * Double(rowsPerCall) }
}
