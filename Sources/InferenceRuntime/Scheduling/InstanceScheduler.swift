internal import KServeProtocol
internal import Synchronization

/// Drives ``InstanceSchedulerStateMachine`` for one model version: suspends requests while every
/// instance is busy and resumes them in order.
public final class InstanceScheduler: Sendable {
  private struct State {
    var machine: InstanceSchedulerStateMachine
    var nextWaiter: UInt64 = 0
    var continuations: [UInt64: CheckedContinuation<Int, any Error>] = [:]
    /// Outcomes decided between `acquire` queueing a waiter and the waiter storing its continuation.
    var early: [UInt64: Result<Int, any Error>] = [:]

    /// Delivers an outcome to a waiter now, or parks it until the waiter stores its continuation.
    mutating func settle(
      _ waiter: UInt64, _ outcome: Result<Int, any Error>
    ) -> (CheckedContinuation<Int, any Error>, Result<Int, any Error>)? {
      guard let continuation = continuations.removeValue(forKey: waiter) else {
        early[waiter] = outcome
        return nil
      }
      return (continuation, outcome)
    }
  }

  private let state: Mutex<State>
  private let modelDescription: String
  /// Signals front ends when the queue, once full, has room again.
  public let room: QueueRoom

  /// Creates a scheduler.
  /// - Parameters:
  ///   - instanceCount: Instances to share.
  ///   - maxQueueSize: Bound on waiting requests.
  ///   - modelDescription: e.g. `model 'x' version 1`, for errors.
  ///   - room: The queue's room signal for front ends (``QueueRoom``).
  public init(instanceCount: Int, maxQueueSize: Int, modelDescription: String, room: QueueRoom = QueueRoom()) {
    self.state = Mutex(
      State(machine: InstanceSchedulerStateMachine(instanceCount: instanceCount, maxQueueSize: maxQueueSize)))
    self.modelDescription = modelDescription
    self.room = room
  }

  /// Requests waiting now.
  public var queueDepth: Int { state.withLock { $0.machine.queueDepth } }

  /// Whether every instance is in use.
  public var isBusy: Bool { state.withLock { $0.machine.idleInstances == 0 } }

  /// Like ``withInstance(_:)`` for an asynchronous body (test backends, remote engines).
  public func withInstanceAsync<R>(_ body: (Int) async throws -> R) async throws -> R {
    let instance = try await acquire()
    defer { release(instance) }
    return try await body(instance)
  }

  /// Runs `body` with an instance index, waiting for one if all are busy.
  /// - Throws: ``InferenceError`` (unavailable) when the queue is full or the model is unloading;
  ///   `CancellationError` when the caller is cancelled while waiting; whatever `body` throws.
  public func withInstance<R>(_ body: (Int) throws -> R) async throws -> R {
    let instance = try await acquire()
    defer { release(instance) }
    return try body(instance)
  }

  /// Waits for a free instance; the caller must hand it back with ``release(_:)`` exactly once.
  /// - Throws: ``InferenceError`` (unavailable) when the queue is full or the model is unloading;
  ///   `CancellationError` when the caller is cancelled while waiting.
  func acquire() async throws -> Int {
    let (id, action) = state.withLock { state -> (UInt64, InstanceSchedulerStateMachine.AcquireAction) in
      let id = state.nextWaiter
      state.nextWaiter += 1
      return (id, state.machine.acquire(id))
    }
    switch action {
    case .run(let instance):
      return instance
    case .reject(let reason):
      throw rejection(reason)
    case .wait:
      return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { continuation in
          let early = state.withLock { state -> Result<Int, any Error>? in
            if let outcome = state.early.removeValue(forKey: id) { return outcome }
            state.continuations[id] = continuation
            return nil
          }
          if let early { continuation.resume(with: early) }
        }
      } onCancel: {
        let settled = state.withLock { state in
          state.machine.cancel(id) ? state.settle(id, .failure(CancellationError())) : nil
        }
        settled.map { $0.0.resume(with: $0.1) }
      }
    }
  }

  /// Hands an instance from ``acquire()`` back: the longest waiter gets it, or it becomes idle.
  func release(_ instance: Int) {
    let refusing = room.isFull
    let (settled, depth) = state.withLock {
      state -> ((CheckedContinuation<Int, any Error>, Result<Int, any Error>)?, Int?) in
      let settled: (CheckedContinuation<Int, any Error>, Result<Int, any Error>)? =
        switch state.machine.release(instance: instance) {
        case .none: nil
        case .resume(let waiter, let instance): state.settle(waiter, .success(instance))
        }
      return (settled, refusing ? state.machine.queueDepth : nil)
    }
    settled.map { $0.0.resume(with: $0.1) }
    depth.map(room.noteDepth)
  }

  /// Stops admitting requests; those waiting still run, in order, as instances free up.
  public func drain() {
    state.withLock { $0.machine.drain() }
  }

  /// Stops admitting requests and fails those waiting.
  public func close() {
    let error = rejection(.closed)
    let settled = state.withLock { state in
      state.machine.close().compactMap { state.settle($0, .failure(error)) }
    }
    for (continuation, outcome) in settled { continuation.resume(with: outcome) }
    room.open()
  }

  private func rejection(_ reason: InstanceSchedulerStateMachine.RejectReason) -> InferenceError {
    switch reason {
    case .queueFull(let limit):
      return SchedulerRejection.queueFull(modelDescription, limit: limit, room: room)
    case .closed:
      return SchedulerRejection.unloading(modelDescription)
    }
  }
}
