internal import Histogram
internal import OffloadMeasurement
internal import Synchronization

/// A Prometheus summary's data: quantiles over a sliding time window plus lifetime `_sum` and `_count`.
/// Thread-safe; one lock per observation, no allocation once its windows have grown to the values seen.
///
/// The window of `maxAge` is cut into `ageBuckets` consecutive slots of `maxAge / ageBuckets`, each an HDR
/// histogram (three significant digits: values within 0.1 %, ranks exact; 32-bit counts, as one slot never
/// sees 4 billion observations). An observation goes into the slot
/// of its time; a slot is cleared when time comes round to it again; the quantiles merge the slots of the
/// last `ageBuckets` slot periods. So an observation stops counting at most `maxAge` after it was made and
/// counts for at least `maxAge × (ageBuckets - 1) / ageBuckets` (the guarantee of prometheus-cpp's and the
/// Go client's rotating buckets).
///
/// Time is passed in (`at:`), measured from `origin`, so tests move it without sleeping.
public final class SlidingWindowSummary: Sendable {
  /// What a scrape reads.
  public struct Snapshot: Sendable, Equatable {
    /// The configured quantiles with their values, in the configured order; `NaN` when the window holds no
    /// observation (the Prometheus clients' convention).
    public var quantiles: [QuantileValue]
    /// Sum of every observation ever made.
    public var sum: UInt64
    /// Number of observations ever made.
    public var count: UInt64
  }

  /// A quantile and its value in the window.
  public struct QuantileValue: Sendable, Equatable {
    /// The quantile, 0...1.
    public var quantile: Double
    /// The value at that quantile, or `NaN`.
    public var value: Double
  }

  private struct Slot {
    var histogram = Histogram<UInt32>(numberOfSignificantValueDigits: .three)
    /// The slot period it holds (time since origin / slot length); -1 before the first use.
    var period: Int64 = -1
  }

  private struct State {
    var slots: [Slot]
    /// The latest period seen: an observation that arrives late (its time taken before a newer one's) goes
    /// into the current slot rather than clearing a newer one.
    var latestPeriod: Int64 = 0
    var sum: UInt64 = 0
    var count: UInt64 = 0
  }

  /// Largest value recorded; larger ones are clamped (about 35 years in µs, far beyond any latency).
  static let largestValue: UInt64 = 1 << 50

  /// The quantiles reported, 0...1.
  public let quantiles: [Double]
  /// Where time is measured from.
  public let origin: ContinuousClock.Instant
  private let slotNanos: UInt64
  private let state: Mutex<State>

  /// Creates an empty summary.
  /// - Parameters:
  ///   - quantiles: Quantiles to report, 0...1.
  ///   - maxAge: How long an observation counts for the quantiles (at least 1 ns per age bucket).
  ///   - ageBuckets: Slots the window is cut into (at least 1).
  ///   - origin: Time zero; observations and snapshots at earlier instants count as made at `origin`.
  public init(
    quantiles: [Double], maxAge: Duration = .seconds(60), ageBuckets: Int = 5, origin: ContinuousClock.Instant = .now
  ) {
    let buckets = max(ageBuckets, 1)
    self.quantiles = quantiles
    self.origin = origin
    self.slotNanos = max(maxAge.clampedNanoseconds / UInt64(buckets), 1)
    self.state = Mutex(State(slots: Array(repeating: Slot(), count: buckets)))
  }

  /// Records one observation made at `now`.
  /// - Parameters:
  ///   - value: The observed value (µs for the latency summaries).
  ///   - now: When it was made.
  public func observe(_ value: UInt64, at now: ContinuousClock.Instant = .now) {
    let period = self.period(of: now)
    state.withLock { state in
      let current = max(period, state.latestPeriod)
      state.latestPeriod = current
      let index = Int(current % Int64(state.slots.count))
      if state.slots[index].period != current {
        state.slots[index].histogram.reset()
        state.slots[index].period = current
      }
      state.slots[index].histogram.record(min(value, Self.largestValue))
      state.sum &+= value
      state.count &+= 1
    }
  }

  /// The quantiles of the window ending at `now`, and the lifetime sum and count.
  /// - Parameter now: The time of the scrape.
  public func snapshot(at now: ContinuousClock.Instant = .now) -> Snapshot {
    let period = self.period(of: now)
    // Copy the live slots out under the lock (copy-on-write: cheap); merge outside it.
    let (live, sum, count) = state.withLock { state -> ([Histogram<UInt32>], UInt64, UInt64) in
      let current = max(period, state.latestPeriod)
      let oldest = current - Int64(state.slots.count) + 1
      let live = state.slots.filter { $0.period >= oldest && $0.period <= current && $0.histogram.totalCount > 0 }
      return (live.map(\.histogram), state.sum, state.count)
    }
    let merged = live.dropFirst().reduce(into: live.first) { merged, histogram in merged?.add(histogram) }
    let values = quantiles.map { quantile in
      guard let merged, merged.totalCount > 0 else { return QuantileValue(quantile: quantile, value: .nan) }
      return QuantileValue(quantile: quantile, value: Double(merged.valueAtPercentile(quantile * 100)))
    }
    return Snapshot(quantiles: values, sum: sum, count: count)
  }

  /// The slot period `now` falls in (0 at and before `origin`).
  private func period(of now: ContinuousClock.Instant) -> Int64 {
    guard now > origin else { return 0 }
    return Int64(clamping: (now - origin).clampedNanoseconds / slotNanos)
  }
}
