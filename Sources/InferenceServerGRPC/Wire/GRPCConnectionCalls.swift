internal import Synchronization

/// The calls of one connection, run as child tasks of that connection's task.
///
/// ``GRPCConnectionHandler`` works on the event loop and cannot add tasks to a group. It hands each call's
/// work to this queue instead, and ``run()`` starts each one in its task group. The listener runs ``run()``
/// as a child of its own group, one per connection. So every call is owned: a connection's task ends only
/// after its calls, and the listener's only after its connections.
///
/// A call can still be cancelled on its own (RST_STREAM, a passed `grpc-timeout`, a closed connection). Each
/// call runs its work as the only child of a small group and waits for that work to end or for its
/// ``GRPCCallCancellation``. This is how grpc-swift runs a stream in its connection's group.
///
/// The queue needs no bound of its own: a connection has at most `SETTINGS_MAX_CONCURRENT_STREAMS` calls,
/// and a call queues one piece of work at a time (a ModelStreamInfer call runs its messages one by one).
public final class GRPCConnectionCalls: Sendable {
  /// One call's work and its cancellation.
  struct Work: Sendable {
    let cancellation: GRPCCallCancellation
    let body: @Sendable () async -> Void
  }

  private let queue: AsyncStream<Work>
  private let continuation: AsyncStream<Work>.Continuation
  /// Where the calls run: the connection's event loop (the server passes an executor over it), or `nil` for Swift's
  /// global executor.
  public let executor: (any TaskExecutor)?

  /// An empty queue; work submitted before ``run()`` starts waits for it.
  /// - Parameter executor: Where the calls run; run ``run()`` itself there too (`addTask(executorPreference:)`)
  ///   so that a call starts without a hop.
  public init(executor: (any TaskExecutor)? = nil) {
    (queue, continuation) = AsyncStream.makeStream(of: Work.self)
    self.executor = executor
  }

  /// Queues a call's work. Returns `false` once the connection's task has ended: the work will not run.
  func submit(_ work: Work) -> Bool {
    if case .terminated = continuation.yield(work) { return false }
    return true
  }

  /// No more work: ``run()`` returns when the work already queued has ended.
  func finish() {
    continuation.finish()
  }

  /// Runs each call's work in a child task until the connection has closed and its calls have ended. When
  /// this task is cancelled, running calls are cancelled too and work that arrives later is refused.
  public func run() async {
    await withDiscardingTaskGroup { group in
      for await work in queue {
        // Immediate: the call starts in this turn of the event loop, on this thread, as a `Task` started there
        // would; a call that completes without suspending costs no extra hop.
        group.addImmediateTask(executorPreference: executor) { await Self.run(work) }
      }
    }
  }

  private static func run(_ work: Work) async {
    let cancellation = work.cancellation
    guard !cancellation.isCancelled else { return }
    await withDiscardingTaskGroup { group in
      group.addImmediateTask {
        await work.body()
        cancellation.ended()
      }
      if await cancellation.cancelledOrEnded() { group.cancelAll() }
    }
  }
}

/// Cancels one call's work from the connection's event loop: what a `Task` handle did, for a task the
/// call does not own.
final class GRPCCallCancellation: Sendable {
  private struct State {
    var cancelled = false
    var ended = false
    var waiter: UnsafeContinuation<Bool, Never>?
  }

  private let state = Mutex(State())

  /// Whether ``cancel()`` was called.
  var isCancelled: Bool { state.withLock { $0.cancelled } }

  /// Cancels the work (a no-op once it has ended).
  func cancel() { settle(cancelled: true) }

  /// The work has ended.
  func ended() { settle(cancelled: false) }

  /// Records the first of ``cancel()`` and ``ended()`` and wakes the waiter with it; later calls do nothing.
  private func settle(cancelled: Bool) {
    let waiter = state.withLock { state -> UnsafeContinuation<Bool, Never>? in
      guard !state.cancelled, !state.ended else { return nil }
      if cancelled { state.cancelled = true } else { state.ended = true }
      defer { state.waiter = nil }
      return state.waiter
    }
    waiter?.resume(returning: cancelled)
  }

  /// Waits for ``cancel()`` (`true`) or ``ended()`` (`false`), whichever comes first.
  func cancelledOrEnded() async -> Bool {
    await withUnsafeContinuation { continuation in
      let now = state.withLock { state -> Bool? in
        if state.cancelled { return true }
        if state.ended { return false }
        state.waiter = continuation
        return nil
      }
      if let now { continuation.resume(returning: now) }
    }
  }
}
