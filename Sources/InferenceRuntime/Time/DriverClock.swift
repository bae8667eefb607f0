internal import OffloadMeasurement

/// The time a driver (the dynamic batcher's, the client pool's) reads and sleeps on: monotonic nanoseconds
/// since the clock's origin. The state machines take times as arguments; their drivers take one of these,
/// so tests run them on a ``ManualDriverClock`` instead of waiting for real time.
public protocol DriverClock: Sendable {
  /// Nanoseconds since this clock's origin; never decreases.
  func nanoseconds() -> UInt64
  /// Suspends until ``nanoseconds()`` reaches `deadline` (at once when it has).
  /// - Throws: `CancellationError` when the task is cancelled first.
  func sleep(untilNanoseconds deadline: UInt64) async throws
}

/// The real monotonic clock (`ContinuousClock`), counted from the moment this value was made.
public struct SystemDriverClock: DriverClock {
  private let origin: ContinuousClock.Instant

  /// A clock whose zero is now.
  public init() { origin = .now }

  public func nanoseconds() -> UInt64 { (ContinuousClock.now - origin).clampedNanoseconds }

  public func sleep(untilNanoseconds deadline: UInt64) async throws {
    try await Task.sleep(until: origin + .nanoseconds(Int64(clamping: deadline)), clock: .continuous)
  }
}
