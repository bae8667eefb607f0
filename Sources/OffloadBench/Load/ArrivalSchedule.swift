/// When an open-loop load generator sends: requests at a constant rate, or as a Poisson process (random
/// exponential gaps with the same mean), from an injected random generator so tests are deterministic.
public struct ArrivalSchedule: Sendable, Equatable {
  /// Arrival process.
  public enum Distribution: String, Sendable, CaseIterable {
    /// Evenly spaced.
    case constant
    /// Exponential gaps.
    case poisson
  }

  /// Requests per second.
  public var rate: Double
  /// Process.
  public var distribution: Distribution

  /// Creates a schedule.
  public init(rate: Double, distribution: Distribution) {
    self.rate = rate
    self.distribution = distribution
  }

  /// The gap before the next request, in nanoseconds.
  public func nextGapNanos(random: inout some RandomNumberGenerator) -> UInt64 {
    let mean = 1e9 / max(rate, 1e-9)
    switch distribution {
    case .constant:
      return UInt64(mean)
    case .poisson:
      // Inverse transform of the exponential distribution; 1 - u avoids log(0).
      let u = Double.random(in: 0..<1, using: &random)
      return UInt64(min(-mean * log1p(-u), 1e12))
    }
  }

  /// Send times (nanoseconds from the start) of the requests of a window `durationNanos` long.
  public func arrivals(durationNanos: UInt64, random: inout some RandomNumberGenerator) -> [UInt64] {
    var times: [UInt64] = []
    var t: UInt64 = 0
    while true {
      t &+= nextGapNanos(random: &random)
      if t >= durationNanos { return times }
      times.append(t)
    }
  }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
