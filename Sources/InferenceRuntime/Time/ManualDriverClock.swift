internal import OffloadMeasurement
internal import Synchronization

/// A clock that moves only when told (``advance(by:)``), for tests of drivers: sleepers wake exactly when
/// the time passes their deadline, so a test can say "nothing happens before 100 ms, the batch runs at
/// 100 ms" without waiting or racing real time.
public final class ManualDriverClock: DriverClock {
  private struct Sleeper {
    var deadline: UInt64
    var continuation: CheckedContinuation<Void, any Error>
  }

  private struct State {
    var now: UInt64 = 0
    var sleepers: [UInt64: Sleeper] = [:]
    var nextID: UInt64 = 0
  }

  private let state = Mutex(State())

  /// A clock at 0.
  public init() {}

  public func nanoseconds() -> UInt64 { state.withLock { $0.now } }

  /// Tasks suspended in ``sleep(untilNanoseconds:)`` now (tests wait for a driver to go to sleep).
  public var sleeperCount: Int { state.withLock { $0.sleepers.count } }

  /// The earliest deadline a sleeper waits for, if any.
  public var nextDeadline: UInt64? { state.withLock { $0.sleepers.values.map(\.deadline).min() } }

  /// Moves the time forward and wakes every sleeper whose deadline it reaches.
  public func advance(by duration: Duration) {
    let woken = state.withLock { state -> [CheckedContinuation<Void, any Error>] in
      state.now &+= duration.clampedNanoseconds
      let due = state.sleepers.filter { $0.value.deadline <= state.now }
      for id in due.keys { state.sleepers[id] = nil }
      return due.values.map(\.continuation)
    }
    for continuation in woken { continuation.resume() }
  }

  public func sleep(untilNanoseconds deadline: UInt64) async throws {
    let id = state.withLock { state in
      defer { state.nextID &+= 1 }
      return state.nextID
    }
    try await withTaskCancellationHandler {
      try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
        enum Outcome { case due, cancelled, sleeping }
        let outcome = state.withLock { state -> Outcome in
          if Task.isCancelled { return .cancelled }
          if deadline <= state.now { return .due }
          state.sleepers[id] = Sleeper(deadline: deadline, continuation: continuation)
          return .sleeping
        }
        switch outcome {
        case .due: continuation.resume()
        case .cancelled: continuation.resume(throwing: CancellationError())
        case .sleeping: break
        }
      }
    } onCancel: {
      state.withLock { $0.sleepers.removeValue(forKey: id) }?.continuation.resume(throwing: CancellationError())
    }
  }
}
