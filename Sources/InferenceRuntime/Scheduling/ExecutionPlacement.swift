internal import Dispatch
internal import KServeProtocol
internal import OffloadMeasurement
internal import Synchronization

/// Decides where a model execution runs, and runs it there.
///
/// Engines such as ONNX Runtime block the calling thread. A short execution (a few µs for a small HEP MLP)
/// is cheapest run inline on the thread that handles the request: a hop to another thread costs tens of
/// µs of wake-ups. A long one must not occupy a request-handling thread (with the event-loop executor it
/// would stall socket I/O of other connections), so it runs on the instance's own serial thread, as
/// Triton runs each instance on its own thread. The choice follows a moving average of the model's
/// measured execution time, so each model settles on the right side of ``RuntimeConfiguration/inlineExecutionLimit``.
public final class ExecutionPlacement: Sendable {
  /// Where one execution runs.
  public enum Choice: Equatable, Sendable {
    /// On the calling thread.
    case inline
    /// On the instance's dedicated serial queue.
    case dedicatedThread
  }

  private let limitNanos: UInt64
  private let averageNanos = Atomic<UInt64>(0)
  private let queues: [DispatchQueue]

  /// Creates the placement for a model version.
  /// - Parameters:
  ///   - instanceCount: Number of instances (one serial queue each).
  ///   - inlineLimit: Executions whose moving average is below this run inline.
  ///   - label: Queue label prefix, e.g. `model.version`.
  public init(instanceCount: Int, inlineLimit: Duration, label: String) {
    self.limitNanos = inlineLimit.clampedNanoseconds
    self.queues = (0..<max(instanceCount, 1)).map { DispatchQueue(label: "offload.\(label).instance\($0)") }
  }

  /// The choice for the next execution.
  public var choice: Choice { Self.choose(averageNanos: averageNanos.load(ordering: .relaxed), limitNanos: limitNanos) }

  /// The pure decision: the first execution (no average yet, `averageNanos` 0) runs on the instance
  /// thread, since an unknown model may block for long (and would hold a request thread meanwhile);
  /// afterwards inline while the moving average stays below the limit.
  public static func choose(averageNanos: UInt64, limitNanos: UInt64) -> Choice {
    averageNanos > 0 && averageNanos < limitNanos ? .inline : .dedicatedThread
  }

  /// The moving average after one more sample (weight 1/8 for the new sample; the first sample is taken as is).
  public static func updatedAverage(_ average: UInt64, sample: UInt64) -> UInt64 {
    average == 0 ? max(sample, 1) : average - average / 8 + sample / 8
  }

  /// Records how long an execution took.
  public func record(executionNanos: UInt64) {
    // A lost update under contention only delays the average by a sample; no lock on the hot path.
    let current = averageNanos.load(ordering: .relaxed)
    averageNanos.store(Self.updatedAverage(current, sample: executionNanos), ordering: .relaxed)
  }

  /// Runs `body` for `instance` where ``choice`` says.
  public func run<R: Sendable>(instance: Int, _ body: @escaping @Sendable () throws -> R) async throws -> R {
    switch choice {
    case .inline:
      return try body()
    case .dedicatedThread:
      return try await withCheckedThrowingContinuation { continuation in
        queues[instance % queues.count].async { continuation.resume(with: Result { try body() }) }
      }
    }
  }

  /// Runs `body` for `instance` where ``choice`` says, for one caller that may give up waiting.
  ///
  /// A thread cannot be stopped, so a cancelled caller cannot stop an execution that has begun; what it
  /// can do is stop waiting for it. When the calling task is cancelled while `body` runs on the instance
  /// thread, this throws `CancellationError` at once and `body` runs on to its end there. `finished` runs
  /// exactly once, when `body` has really ended (or was never started because the caller was cancelled
  /// before), so whoever lent the instance gets it back only then: the instance stays busy for as long as
  /// the engine really is. Inline executions block the caller's thread and cannot be abandoned.
  /// - Parameters:
  ///   - instance: The instance index.
  ///   - finished: Called once `body` is over, on whichever thread ran it.
  ///   - body: The blocking execution.
  /// - Throws: `CancellationError` when the caller was cancelled before `body` began or while it ran on
  ///   the instance thread; otherwise whatever `body` throws.
  public func runAbandonable<R: Sendable>(
    instance: Int, finished: @escaping @Sendable () -> Void, _ body: @escaping @Sendable () throws -> R
  ) async throws -> R {
    if Task.isCancelled {
      finished()
      throw CancellationError()
    }
    switch choice {
    case .inline:
      defer { finished() }
      return try body()
    case .dedicatedThread:
      let handoff = ExecutionHandoff<R>()
      queues[instance % queues.count].async {
        let result = Result { try body() }
        finished()
        handoff.deliver(result)
      }
      return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { handoff.wait($0) }
      } onCancel: {
        handoff.abandon()
      }
    }
  }
}

/// Hands the result of an execution on an instance thread to its caller, unless the caller gave up first:
/// whichever of ``deliver(_:)`` and ``abandon()`` comes first decides what the caller gets.
final class ExecutionHandoff<R: Sendable>: Sendable {
  private enum State {
    /// Neither the outcome nor the caller's continuation has arrived.
    case pending
    /// The caller waits.
    case waiting(CheckedContinuation<R, any Error>)
    /// The outcome (the result, or the caller's giving up) arrived before the caller waited.
    case settled(Result<R, any Error>)
    /// The caller has been answered.
    case done
  }

  private let state = Mutex(State.pending)

  /// The caller waits for its answer.
  func wait(_ continuation: CheckedContinuation<R, any Error>) {
    let answer = state.withLock { state -> Result<R, any Error>? in
      switch state {
      case .pending:
        state = .waiting(continuation)
        return nil
      case .settled(let outcome):
        state = .done
        return outcome
      case .waiting, .done:
        return .failure(InferenceError(.internal, "an execution's result was awaited twice"))
      }
    }
    answer.map { continuation.resume(with: $0) }
  }

  /// The execution ended with `result`.
  func deliver(_ result: Result<R, any Error>) { settle(result) }

  /// The caller gives up: it gets `CancellationError` now; the result, when it comes, is dropped.
  func abandon() { settle(.failure(CancellationError())) }

  /// The first outcome wins: it answers a waiting caller, or is kept for ``wait(_:)``; later ones are dropped.
  private func settle(_ outcome: Result<R, any Error>) {
    let waiter = state.withLock { state -> CheckedContinuation<R, any Error>? in
      switch state {
      case .pending:
        state = .settled(outcome)
        return nil
      case .waiting(let continuation):
        state = .done
        return continuation
      case .settled, .done:
        return nil
      }
    }
    waiter?.resume(with: outcome)
  }
}
