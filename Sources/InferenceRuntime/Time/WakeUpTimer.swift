internal import Synchronization

/// The wake-up loop of a scheduler's driver (the dynamic batcher's, the sequence batcher's): sleeps until the
/// time its state machine last asked for, or until it is signalled (an earlier time, work handed to it, the
/// end), then lets the driver tick. The runtime runs one loop per scheduler as a child of its service.
final class WakeUpTimer: Sendable {
  private struct State {
    var wakeUpAt: UInt64?
    var signal: CheckedContinuation<Void, Never>?
    var handed = false
    var finished = false

    mutating func takeSignal() -> CheckedContinuation<Void, Never>? {
      defer { signal = nil }
      return signal
    }
  }

  private let state = Mutex(State())
  private let clock: any DriverClock

  init(clock: any DriverClock) {
    self.clock = clock
  }

  /// Records the machine's latest wake-up time. Call it under the driver's lock, with the machine call that
  /// produced it, so that the latest call wins even when actions are performed out of order.
  func request(at time: UInt64) {
    state.withLock { $0.wakeUpAt = time }
  }

  /// Wakes the loop to look at the time again.
  func signal() {
    state.withLock { $0.takeSignal() }?.resume()
  }

  /// Tells the loop that the driver left work for it (see ``run(handed:tick:)``).
  func hand() {
    state.withLock { state in
      state.handed = true
      return state.takeSignal()
    }?.resume()
  }

  /// Ends the loop: the driver has nothing left to serve.
  func finish() {
    state.withLock { state in
      state.finished = true
      return state.takeSignal()
    }?.resume()
  }

  /// Serves wake-ups until ``finish()`` (or cancellation).
  /// - Parameters:
  ///   - handed: Performs work the driver left with ``hand()``; called before the loop looks at the end.
  ///   - tick: Called when the requested time has come.
  func run(handed: () async -> Void = {}, tick: () async -> Void) async {
    while true {
      let (finished, wake, hasWork) = state.withLock { state in
        defer { state.handed = false }
        return (state.finished, state.wakeUpAt, state.handed)
      }
      if hasWork { await handed() }
      // Cancelled: sleeps and waits would return at once, so stop rather than spin.
      if finished || Task.isCancelled { return }
      guard let wake else {
        await waitForSignal()
        continue
      }
      let clock = self.clock
      await withTaskGroup(of: Void.self) { group in
        group.addTask { try? await clock.sleep(untilNanoseconds: wake) }
        group.addTask { await self.waitForSignal() }
        _ = await group.next()
        group.cancelAll()
      }
      let due = state.withLock { state -> Bool in
        guard let at = state.wakeUpAt, at <= clock.nanoseconds() else { return false }
        state.wakeUpAt = nil
        return true
      }
      if due { await tick() }
    }
  }

  private func waitForSignal() async {
    await withTaskCancellationHandler {
      await withCheckedContinuation { continuation in
        let resumeNow = state.withLock { state -> Bool in
          if state.finished || state.handed || Task.isCancelled { return true }
          state.signal?.resume()
          state.signal = continuation
          return false
        }
        if resumeNow { continuation.resume() }
      }
    } onCancel: {
      signal()
    }
  }
}
