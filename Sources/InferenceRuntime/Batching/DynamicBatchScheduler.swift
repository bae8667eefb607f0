public import KServeProtocol
internal import Synchronization

/// Drives ``DynamicBatcherStateMachine`` for one model version: queues requests, runs the batches it
/// forms on free instances, and hands each request its slice of the outputs.
///
/// The machine's wake-ups are served by ``runTimer()``, a loop the runtime runs as part of its service.
/// Whoever produces an `execute` action (a submitting request, a finishing batch or the timer) runs it.
public final class DynamicBatchScheduler: Sendable {
  /// A request's answer: its outputs, the timings of the execution that carried it, and its wait.
  public struct Answer: Sendable {
    /// Output tensors of this request only.
    public var outputs: [InferenceTensor]
    /// Compute phases of the batch execution.
    public var timings: ComputeTimings
    /// Nanoseconds between arrival and the start of its batch.
    public var queueNanos: UInt64
    /// Rows of the whole batch that carried it.
    public var batchRows: Int
  }

  /// Runs one batch on an instance.
  public typealias Executor =
    @Sendable (_ instance: Int, _ inputs: [InferenceTensor], _ outputs: [OutputSpec])
    async throws -> ExecutionResult

  private struct Entry: ParkedAnswer {
    var inputs: [InferenceTensor]
    var outputs: [OutputSpec]
    var rows: Int
    var arrival: UInt64
    var continuation: CheckedContinuation<Answer, any Error>?
    var result: Result<Answer, any Error>?
    var released = false
    /// The result, once the batch has released the request.
    var deliverable: Result<Answer, any Error>? { released ? result : nil }
  }

  private struct State {
    var machine: DynamicBatcherStateMachine
    var entries: [UInt64: Entry] = [:]
    var nextID: UInt64 = 0
    /// Actions made outside any task that can run them (``drain()``), left for the timer loop.
    var forTimer: [DynamicBatcherStateMachine.Action] = []
    var closed = false
    var draining = false

    /// The timer loop has nothing left to serve: closed, or drained empty.
    var timerFinished: Bool { closed || (draining && machine.queueDepth == 0) }

    /// Calls the machine and records the wake-up it asks for, under the same lock as the machine call (so
    /// wake-ups performed out of order cannot leave a stale time).
    mutating func step(
      _ timer: WakeUpTimer, _ body: (inout DynamicBatcherStateMachine) -> [DynamicBatcherStateMachine.Action]
    ) -> [DynamicBatcherStateMachine.Action] {
      let actions = body(&machine)
      for case .wakeUp(let at) in actions { timer.request(at: at) }
      return actions
    }
  }

  private let state: Mutex<State>
  private let clock: any DriverClock
  private let timer: WakeUpTimer
  private let executor: Executor
  private let statistics: StatisticsRecorder
  private let modelDescription: String
  /// From the policy: whether a batch yields for requests that arrived with it (no queue delay), and up to
  /// how many rows.
  private let topsUp: Bool
  private let maxBatchSize: Int
  /// Signals front ends when the queue, once full, has room again.
  public let room: QueueRoom

  /// Creates a scheduler.
  /// - Parameters:
  ///   - policy: Batching policy from the config.
  ///   - instanceCount: Instances to run batches on.
  ///   - statistics: Where executions are recorded.
  ///   - modelDescription: e.g. `model 'x' version 1`, for errors.
  ///   - clock: The time of queue delays and timeouts (tests pass a ``ManualDriverClock``).
  ///   - room: The queue's room signal for front ends (``QueueRoom``).
  ///   - executor: Runs a batch on an instance.
  public init(
    policy: BatchingPolicy, instanceCount: Int, statistics: StatisticsRecorder, modelDescription: String,
    clock: any DriverClock = SystemDriverClock(), room: QueueRoom = QueueRoom(), executor: @escaping Executor
  ) {
    self.clock = clock
    self.timer = WakeUpTimer(clock: clock)
    self.state = Mutex(State(machine: DynamicBatcherStateMachine(policy: policy, instanceCount: instanceCount)))
    self.executor = executor
    self.statistics = statistics
    self.modelDescription = modelDescription
    self.topsUp = policy.maxQueueDelayNanos == 0
    self.maxBatchSize = policy.maxBatchSize
    self.room = room
  }

  /// Requests waiting now.
  public var queueDepth: Int { state.withLock { $0.machine.queueDepth } }

  private func now() -> UInt64 { clock.nanoseconds() }

  /// Queues a validated request and waits for its share of a batch.
  /// - Parameters:
  ///   - inputs: Validated inputs in model order.
  ///   - outputs: Outputs to produce.
  ///   - rows: Its batch size.
  ///   - priority: Requested priority level (0: default).
  ///   - timeoutNanos: Its own queue timeout, if it set one.
  /// - Throws: ``InferenceError`` (unavailable) when rejected (queue full, timeout, unloading), or the
  ///   execution's error.
  public func submit(
    inputs: [InferenceTensor], outputs: [OutputSpec], rows: Int, priority: Int, timeoutNanos: UInt64?
  ) async throws -> Answer {
    let shapeKey = Self.shapeKey(inputs)
    let arrival = now()
    let (id, actions) = state.withLock { state -> (UInt64, [DynamicBatcherStateMachine.Action]) in
      let id = state.nextID
      state.nextID += 1
      state.entries[id] = Entry(inputs: inputs, outputs: outputs, rows: rows, arrival: arrival)
      let request = DynamicBatcherStateMachine.Request(
        id: id, rows: rows, shapeKey: shapeKey, priority: priority, timeoutNanos: timeoutNanos)
      return (id, state.step(timer) { $0.enqueue(request, now: arrival) })
    }
    await perform(actions)
    return try await state.waitForAnswer { $0.entries.park(id, $1) }
  }

  /// Performs actions, and those that running a batch leads to, until none is left.
  private func perform(_ initial: [DynamicBatcherStateMachine.Action]) async {
    var work = initial[...]
    while let action = work.popFirst() {
      switch action {
      case .execute(let instance, let ids):
        work.append(contentsOf: await run(instance: instance, ids: ids))
      case .reject(let id, let reason):
        settle(id, .failure(rejection(reason)), release: true)
      case .release(let ids):
        for id in ids { settle(id, nil, release: true) }
      case .wakeUp:
        // The time was recorded with the machine call: wake the loop to look at it.
        timer.signal()
      }
    }
    if room.isFull { room.noteDepth(state.withLock { $0.machine.queueDepth }) }
  }

  /// Runs one batch and returns the machine's next actions.
  ///
  /// With no queue delay, a batch that is not full first yields once: the requests already waiting for this
  /// thread (typically the rest of the socket read that brought this one) reach the queue and join the batch
  /// (``DynamicBatcherStateMachine/topUp(rows:shapeKey:now:)``) instead of each starting a batch of its own.
  private func run(instance: Int, ids: [UInt64]) async -> [DynamicBatcherStateMachine.Action] {
    var ids = ids
    if topsUp {
      let (rows, key) = state.withLock { state -> (Int, [Int64]) in
        let batch = ids.compactMap { state.entries[$0] }
        return (batch.reduce(0) { $0 + $1.rows }, batch.first.map(Self.shapeKey) ?? [])
      }
      if rows < maxBatchSize {
        await Task.yield()
        ids += state.withLock { $0.machine.topUp(rows: rows, shapeKey: key, now: now()) }
      }
    }
    let start = now()
    let entries = state.withLock { state in ids.compactMap { state.entries[$0] } }
    let rows = entries.map(\.rows)
    do {
      let result = try await executor(instance, BatchAssembly.gather(entries.map(\.inputs)), entries[0].outputs)
      statistics.recordExecution(batchSize: UInt64(rows.reduce(0, +)), timings: result.timings)
      let pieces = try BatchAssembly.scatter(result.outputs, rows: rows)
      for (index, id) in ids.enumerated() {
        let answer = Answer(
          outputs: Self.select(pieces[index], entries[index].outputs), timings: result.timings,
          queueNanos: start &- entries[index].arrival, batchRows: rows.reduce(0, +))
        settle(id, .success(answer), release: false)
      }
    } catch {
      for id in ids { settle(id, .failure(error), release: false) }
    }
    let (actions, finished) = state.withLock { state in
      (state.step(timer) { $0.finished(instance: instance, requests: ids, now: now()) }, state.timerFinished)
    }
    // Drained empty: let the timer loop end.
    if finished { timer.finish() }
    return actions
  }

  /// Requests are merged only when every input's non-batch dimensions agree.
  private static func shapeKey(_ inputs: [InferenceTensor]) -> [Int64] {
    inputs.flatMap { $0.shape.dropFirst() + [-2] }
  }

  private static func shapeKey(_ entry: Entry) -> [Int64] { shapeKey(entry.inputs) }

  /// Requests in one batch may ask for different output subsets: keep each request's own, in its order
  /// (a request that names none gets every output).
  private static func select(_ outputs: [InferenceTensor], _ wanted: [OutputSpec]) -> [InferenceTensor] {
    if wanted.isEmpty { return outputs }
    return wanted.compactMap { spec in outputs.first { $0.name == spec.name } }
  }

  /// Stores a result and/or marks it released; resumes the waiter when both are true.
  private func settle(_ id: UInt64, _ result: Result<Answer, any Error>?, release: Bool) {
    let resume = state.withLock { state -> (CheckedContinuation<Answer, any Error>, Result<Answer, any Error>)? in
      guard var entry = state.entries[id] else { return nil }
      if let result { entry.result = result }
      if release { entry.released = true }
      guard entry.released, let result = entry.result, let continuation = entry.continuation else {
        state.entries[id] = entry
        return nil
      }
      state.entries[id] = nil
      return (continuation, result)
    }
    resume.map { $0.0.resume(with: $0.1) }
  }

  /// Serves the machine's wake-ups until ``close()`` (or, after ``drain()``, until the queue is empty): sleeps
  /// until the requested time (or until an earlier one is requested), then ticks. The runtime runs one such
  /// loop per batching model version.
  public func runTimer() async {
    await timer.run(
      handed: {
        await perform(
          state.withLock { state in
            defer { state.forTimer = [] }; return state.forTimer
          })
      },
      tick: { await perform(state.withLock { state in state.step(timer) { $0.tick(now: now()) } }) })
  }

  /// Stops accepting requests; those waiting still run (see ``DynamicBatcherStateMachine/drain(now:)``).
  /// ``runTimer()`` ends when the queue is empty. Returns at once: batches that can start now are handed
  /// to ``runTimer()``, which runs them (the unload request does not wait for the queue).
  public func drain() {
    let finished = state.withLock { state in
      state.draining = true
      state.forTimer += state.step(timer) { $0.drain(now: now()) }
      return state.timerFinished
    }
    timer.hand()
    if finished { timer.finish() }
  }

  /// Stops accepting requests, rejects those waiting, and ends ``runTimer()``.
  public func close() async {
    let actions = state.withLock { state -> [DynamicBatcherStateMachine.Action] in
      state.closed = true
      // Batches a drain handed to the timer loop still run (the loop may have ended already).
      defer { state.forTimer = [] }
      return state.forTimer + state.step(timer) { $0.close() }
    }
    timer.finish()
    await perform(actions)
    room.open()
  }

  private func rejection(_ reason: DynamicBatcherStateMachine.Rejection) -> InferenceError {
    switch reason {
    case .queueFull(let limit):
      return SchedulerRejection.queueFull(modelDescription, limit: limit, room: room)
    case .timedOut:
      return InferenceError(.unavailable, "\(modelDescription): request timed out in the queue before it was scheduled")
    case .closed:
      return SchedulerRejection.unloading(modelDescription)
    case .tooLarge(let rows, let limit):
      return InferenceError(
        .invalidArgument, "\(modelDescription): request has \(rows) rows, above max_batch_size \(limit); split it")
    }
  }
}
