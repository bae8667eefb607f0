internal import Synchronization

/// A one-shot signal: ``fire()`` ends every ``wait()``, those in progress and those to come.
///
/// Lets a service's `run()` wait inside its own task group for the moment it is told to stop (by a method
/// call or a graceful shutdown handler, neither of which is async) and then do the async part of stopping
/// there, instead of in a task of its own.
final class OneShotSignal: Sendable {
  private struct State {
    var fired = false
    var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
    var nextID: UInt64 = 0
  }

  private let state = Mutex(State())

  /// Whether ``fire()`` was called.
  var hasFired: Bool { state.withLock { $0.fired } }

  /// Returns once the signal has fired, or when the calling task is cancelled.
  func wait() async {
    let id = state.withLock { state in
      defer { state.nextID &+= 1 }
      return state.nextID
    }
    await withTaskCancellationHandler {
      await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
        let resumeNow = state.withLock { state -> Bool in
          if state.fired || Task.isCancelled { return true }
          state.waiters[id] = continuation
          return false
        }
        if resumeNow { continuation.resume() }
      }
    } onCancel: {
      state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
    }
  }

  /// Fires; returns false when it had fired before.
  @discardableResult
  func fire() -> Bool {
    let (first, waiters) = state.withLock { state in
      let first = !state.fired
      state.fired = true
      defer { state.waiters = [:] }
      return (first, Array(state.waiters.values))
    }
    for waiter in waiters { waiter.resume() }
    return first
  }
}
