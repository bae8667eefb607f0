/// perf_analyzer's stability criterion: a point is measured in windows until the last
/// `windows` of them agree — throughput and the chosen latency each within `percentage` of their mean over
/// those windows — or `maxTrials` windows were taken (then the point is reported as unstable).
public struct StabilityRule: Sendable, Equatable {
  /// Allowed spread, in percent of the mean.
  public var percentage: Double
  /// Consecutive windows that must agree.
  public var windows: Int
  /// Windows after which the point is reported anyway.
  public var maxTrials: Int

  /// Creates a rule (perf_analyzer's defaults: 10 %, 3 windows, 10 trials).
  public init(percentage: Double = 10, windows: Int = 3, maxTrials: Int = 10) {
    self.percentage = max(percentage, 0)
    self.windows = max(windows, 1)
    self.maxTrials = max(maxTrials, self.windows)
  }

  /// One window's figures the rule looks at.
  public struct Sample: Sendable, Equatable {
    /// Inferences per second.
    public var throughput: Double
    /// The latency compared (e.g. p99 or mean), in microseconds.
    public var latencyMicros: Double
    /// Creates a sample.
    public init(throughput: Double, latencyMicros: Double) {
      self.throughput = throughput
      self.latencyMicros = latencyMicros
    }
  }

  /// Whether the last ``windows`` samples are stable.
  public func isStable(_ samples: [Sample]) -> Bool {
    guard samples.count >= windows else { return false }
    let recent = samples.suffix(windows)
    return Self.within(recent.map(\.throughput), percentage) && Self.within(recent.map(\.latencyMicros), percentage)
  }

  /// What to do after `samples`: measure another window, or stop (stable or out of trials).
  public func decision(after samples: [Sample]) -> Decision {
    if isStable(samples) { return .stable }
    return samples.count >= maxTrials ? .unstable : .measureAgain
  }

  /// The rule's verdict.
  public enum Decision: String, Sendable, Equatable {
    /// Take another window.
    case measureAgain
    /// Done: the last windows agree.
    case stable
    /// Done: out of trials without agreement.
    case unstable
  }

  static func within(_ values: [Double], _ percentage: Double) -> Bool {
    guard !values.isEmpty else { return false }
    let mean = values.reduce(0, +) / Double(values.count)
    if mean == 0 { return values.allSatisfy { $0 == 0 } }
    return values.allSatisfy { abs($0 - mean) <= abs(mean) * percentage / 100 }
  }
}
