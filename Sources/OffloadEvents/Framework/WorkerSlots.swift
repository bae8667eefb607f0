internal import Synchronization

/// The worker threads of a run, counted as slots: module code runs while holding one, and a module that
/// blocks on its inference (``InferenceStyle/blocking``) keeps its slot while it waits, as a CMSSW module
/// without ExternalWork keeps its thread. The waiting itself suspends instead of blocking an OS thread, so
/// the processor needs no bridge from async to sync.
final class WorkerSlots: Sendable {
  private struct State {
    var free: Int
    /// Tasks waiting for a slot, first come first served.
    var waiters: [(id: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
    var nextID: UInt64 = 0
  }

  private let state: Mutex<State>

  /// Creates `count` free slots.
  init(count: Int) {
    precondition(count >= 1, "a run needs at least one worker slot")
    state = Mutex(State(free: count))
  }

  /// Runs `body` holding a slot, waiting for one first if all are taken.
  /// - Throws: `CancellationError` when the task is cancelled while it waits; whatever `body` throws.
  func withSlot<T: Sendable>(_ body: () async throws -> T) async throws -> T {
    try await acquire()
    defer { release() }
    return try await body()
  }

  private func acquire() async throws {
    let id = state.withLock { state -> UInt64? in
      if state.free > 0 {
        state.free -= 1
        return nil
      }
      defer { state.nextID &+= 1 }
      return state.nextID
    }
    guard let id else { return }
    try await withTaskCancellationHandler {
      try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
        enum Outcome { case granted, cancelled, waiting }
        let outcome = state.withLock { state -> Outcome in
          // Cancelled before this lock: the handler found no waiter to resume, so answer here.
          if Task.isCancelled { return .cancelled }
          // A slot freed between the two locks.
          if state.free > 0 {
            state.free -= 1
            return .granted
          }
          state.waiters.append((id, continuation))
          return .waiting
        }
        switch outcome {
        case .granted: continuation.resume()
        case .cancelled: continuation.resume(throwing: CancellationError())
        case .waiting: break
        }
      }
    } onCancel: {
      let waiter = state.withLock { state -> CheckedContinuation<Void, any Error>? in
        guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
        return state.waiters.remove(at: index).continuation
      }
      waiter?.resume(throwing: CancellationError())
    }
  }

  private func release() {
    let next = state.withLock { state -> CheckedContinuation<Void, any Error>? in
      if state.waiters.isEmpty {
        state.free += 1
        return nil
      }
      return state.waiters.removeFirst().continuation
    }
    next?.resume()
  }
}
