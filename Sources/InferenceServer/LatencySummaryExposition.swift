public import InferenceRuntime

/// The runtime's latency summaries in Prometheus text format 0.0.4 (swift-prometheus has no summary type):
/// one family per metric (`# HELP`, `# TYPE … summary`), then per model version, sorted by model then
/// version: `_count`, `_sum` and one line per quantile, as Triton prints them.
public enum LatencySummaryExposition {
  /// The text for every series `registry` holds; empty when it holds none.
  /// - Parameter now: The end of the quantiles' window.
  public static func text(_ registry: LatencySummaryRegistry, at now: ContinuousClock.Instant = .now) -> String {
    let all = registry.heldSeries()
    guard !all.isEmpty else { return "" }
    var text = ""
    for metric in ModelLatencySummaries.Metric.allCases {
      text += "# HELP \(metric.name) \(PrometheusExposition.escapeHelp(metric.help))\n"
      text += "# TYPE \(metric.name) summary\n"
      for series in all {
        let snapshot = series.summary(metric).snapshot(at: now)
        let labels: [(name: String, value: String)] = [("model", series.model), ("version", series.version)]
        let plain = PrometheusExposition.labels(labels)
        text += "\(metric.name)_count\(plain) \(snapshot.count)\n"
        text += "\(metric.name)_sum\(plain) \(snapshot.sum)\n"
        for quantile in snapshot.quantiles {
          let withQuantile = PrometheusExposition.labels(
            labels + [("quantile", PrometheusExposition.format(quantile.quantile))])
          text += "\(metric.name)\(withQuantile) \(PrometheusExposition.format(quantile.value))\n"
        }
      }
    }
    return text
  }
}
