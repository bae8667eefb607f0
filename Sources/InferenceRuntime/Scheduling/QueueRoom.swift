internal import Synchronization

/// Tells a front end when a model's full request queue has room again.
///
/// A request that finds a model's queue full is refused at once (UNAVAILABLE). Refusing is not free: under
/// an overload many times a model's capacity, refusing what a client keeps sending costs the server about as
/// much CPU as running a small model, and the admitted work starves. So the refusal's error carries this
/// queue's `QueueRoom` (as its ``QueueFull`` cause): a front end stops reading the connection the refused
/// request came on, the client's next requests wait in the client and the socket (bounded by the
/// connection's stream limit), and the front end reads again when the queue has drained to half its limit
/// (``whenRoom(_:)``). The schedulers report their depth only while a refusal is outstanding (one atomic
/// load per release otherwise).
public final class QueueRoom: Sendable {
  private struct State {
    var full = false
    /// At or below this depth the queue has room again: half the limit of the last refusal.
    var lowWater = 0
    var waiters: [@Sendable () -> Void] = []
  }

  private let state = Mutex(State())
  /// Mirrors `State.full` for the schedulers' hot path (written under the lock, read without it).
  private let refused = Atomic<Bool>(false)

  private let dear: @Sendable () -> Bool

  /// A queue that has room.
  /// - Parameter refusalsAreDear: Whether refusing a request costs a noticeable share of running one (a
  ///   model whose executions take microseconds); front ends apply backpressure only then. A model whose
  ///   executions take milliseconds refuses cheaply, and its clients are better served by fast refusals.
  public init(refusalsAreDear: @escaping @Sendable () -> Bool = { true }) {
    self.dear = refusalsAreDear
  }

  /// Whether refusing costs a noticeable share of running (see ``init(refusalsAreDear:)``).
  public var refusalsAreDear: Bool { dear() }

  /// Whether a request was refused since the queue last had room.
  public var isFull: Bool { refused.load(ordering: .relaxed) }

  /// A request was refused because `limit` requests wait.
  func markFull(limit: Int) {
    state.withLock { state in
      state.full = true
      state.lowWater = limit / 2
      refused.store(true, ordering: .relaxed)
    }
  }

  /// The queue holds `depth` requests: at or below half the limit, wakes whoever waits for room.
  func noteDepth(_ depth: Int) {
    open { depth <= $0 }
  }

  /// Wakes whoever waits for room (also when the model unloads: no one will drain its queue then).
  func open() {
    open { _ in true }
  }

  private func open(when hasRoom: (_ lowWater: Int) -> Bool) {
    let waiters = state.withLock { state -> [@Sendable () -> Void] in
      guard state.full, hasRoom(state.lowWater) else { return [] }
      state.full = false
      refused.store(false, ordering: .relaxed)
      defer { state.waiters = [] }
      return state.waiters
    }
    for waiter in waiters { waiter() }
  }

  /// Runs `body` once the queue has room: at once when it has room now (on this thread), otherwise on the
  /// thread of the scheduler that drains it. `body` must be quick and must not call into the scheduler
  /// (hand the work to an event loop).
  public func whenRoom(_ body: @escaping @Sendable () -> Void) {
    let now = state.withLock { state -> Bool in
      guard state.full else { return true }
      state.waiters.append(body)
      return false
    }
    if now { body() }
  }
}

/// The cause of a queue-full refusal (``InferenceError/cause``): the queue that refused, so that a front end
/// can wait for it to have room before it reads more from the same client.
public struct QueueFull: Error, Sendable {
  /// The queue's room signal.
  public let room: QueueRoom
}
