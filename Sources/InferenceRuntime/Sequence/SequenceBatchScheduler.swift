public import KServeProtocol
internal import Synchronization

#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif

/// Drives ``SequenceBatcherStateMachine`` for one stateful model version: queues each sequence's requests,
/// runs the executions the machine forms, feeds the control tensors and the implicit state, keeps each
/// sequence's state between its requests, and hands each request its row of the outputs.
///
/// The machine's wake-ups (idle sequences, queue delays) are served by ``runTimer()``, which the runtime
/// runs as part of its service. Whoever produces an `execute` action (a submitting request, a finishing
/// execution or the timer) runs it.
public final class SequenceBatchScheduler: Sendable {
  /// A request's answer.
  public typealias Answer = DynamicBatchScheduler.Answer
  /// Runs one execution on an instance.
  public typealias Executor = DynamicBatchScheduler.Executor
  typealias Machine = SequenceBatcherStateMachine

  private struct Entry: ParkedAnswer {
    var request: Machine.Request
    var inputs: [InferenceTensor]
    var outputs: [OutputSpec]
    var arrival: UInt64
    var continuation: CheckedContinuation<Answer, any Error>?
    var result: Result<Answer, any Error>?
    var deliverable: Result<Answer, any Error>? { result }
  }

  private struct State {
    var machine: Machine
    var entries: [UInt64: Entry] = [:]
    var nextID: UInt64 = 0
    /// Each live sequence's implicit state tensors, in the policy's order (shaped as one request's input).
    var stored: [Machine.SequenceID: [InferenceTensor]] = [:]
    var closed = false
    var draining = false

    /// The timer loop has nothing left to serve: closed, or drained with nothing waiting (idle releases and
    /// delays no longer matter; executions in progress do not need the timer).
    var timerFinished: Bool { closed || (draining && machine.queueDepth == 0) }

    /// Calls the machine and records the wake-up it asks for, under the same lock.
    mutating func step(_ timer: WakeUpTimer, _ body: (inout Machine) -> [Machine.Action]) -> [Machine.Action] {
      let actions = body(&machine)
      for case .wakeUp(let at) in actions { timer.request(at: at) }
      return actions
    }
  }

  private let state: Mutex<State>
  private let policy: SequencePolicy
  private let clock: any DriverClock
  private let timer: WakeUpTimer
  private let executor: Executor
  private let statistics: StatisticsRecorder
  private let modelDescription: String

  /// Creates a scheduler.
  /// - Parameters:
  ///   - policy: The model's `sequence_batching`, read.
  ///   - statistics: Where executions are recorded.
  ///   - modelDescription: e.g. `model 'x' version 1`, for errors.
  ///   - clock: The time of idle timeouts and delays (tests pass a ``ManualDriverClock``).
  ///   - executor: Runs an execution on an instance.
  public init(
    policy: SequencePolicy, statistics: StatisticsRecorder, modelDescription: String,
    clock: any DriverClock = SystemDriverClock(), executor: @escaping Executor
  ) {
    self.policy = policy
    self.state = Mutex(State(machine: Machine(policy.machine)))
    self.clock = clock
    self.timer = WakeUpTimer(clock: clock)
    self.executor = executor
    self.statistics = statistics
    self.modelDescription = modelDescription
  }

  /// Requests waiting now.
  public var queueDepth: Int { state.withLock { $0.machine.queueDepth } }

  /// Sequences holding a slot, and those waiting for one.
  public var sequences: (active: Int, backlogged: Int) {
    state.withLock { ($0.machine.activeSequences, $0.machine.backlogged) }
  }

  /// Queues one request of a sequence and waits for its answer.
  /// - Parameters:
  ///   - inputs: The client's validated inputs in model order (one row when the model batches).
  ///   - outputs: The client outputs to return.
  ///   - sequence: Its `sequence_id`.
  ///   - start: `sequence_start`.
  ///   - end: `sequence_end`.
  /// - Throws: ``InferenceError``: invalidArgument for a sequence that was not started, unavailable when no
  ///   slot frees in time or the model is unloading, or the execution's error.
  public func submit(
    inputs: [InferenceTensor], outputs: [OutputSpec], sequence: SequenceBatcherStateMachine.SequenceID, start: Bool,
    end: Bool
  ) async throws -> Answer {
    if case .string(let name) = sequence,
      let control = policy.controls.first(where: { $0.kind == .correlationID && $0.datatype != .bytes })
    {
      throw InferenceError(
        .invalidArgument,
        "\(modelDescription): sequence_id '\(name)' is a string, but the model's CORRID control "
          + "'\(control.input)' is \(control.datatype.rawValue); use an unsigned integer sequence_id")
    }
    let arrival = clock.nanoseconds()
    let (id, actions) = state.withLock { state -> (UInt64, [Machine.Action]) in
      let id = state.nextID
      state.nextID += 1
      let request = Machine.Request(id: id, sequence: sequence, start: start, end: end)
      state.entries[id] = Entry(request: request, inputs: inputs, outputs: outputs, arrival: arrival)
      return (id, state.step(timer) { $0.enqueue(request, now: arrival) })
    }
    await perform(actions)
    return try await state.waitForAnswer { $0.entries.park(id, $1) }
  }

  private func perform(_ initial: [Machine.Action]) async {
    var work = initial[...]
    while let action = work.popFirst() {
      switch action {
      case .execute(let instance, let requests):
        work.append(contentsOf: await run(instance: instance, requests: requests))
      case .reject(let request, let reason):
        settle(request.id, .failure(rejection(reason)))
      case .released(let sequence, _):
        state.withLock { _ = $0.stored.removeValue(forKey: sequence) }
      case .wakeUp:
        timer.signal()
      }
    }
  }

  /// Runs one execution: each request is one row, followed by its control and state tensors.
  private func run(instance: Int, requests: [Machine.Request]) async -> [Machine.Action] {
    let start = clock.nanoseconds()
    let (entries, states) = state.withLock { state in
      (
        requests.map { state.entries[$0.id]! },
        requests.map { $0.start ? nil : state.stored[$0.sequence] }
      )
    }
    var wanted: [OutputSpec] = []
    for spec in entries.flatMap(\.outputs) where !wanted.contains(spec) { wanted.append(spec) }
    let stateOutputs = policy.states.map { OutputSpec(name: $0.output, datatype: $0.datatype) }
    let rows = entries.indices.map { index in
      entries[index].inputs + controls(for: requests[index]) + (states[index] ?? initialStates)
    }
    do {
      let result = try await executor(instance, BatchAssembly.gather(rows), wanted + stateOutputs)
      statistics.recordExecution(batchSize: UInt64(entries.count), timings: result.timings)
      let pieces = try BatchAssembly.scatter(result.outputs, rows: Array(repeating: 1, count: entries.count))
      for (index, entry) in entries.enumerated() {
        let next = try policy.states.map { spec -> InferenceTensor in
          guard var tensor = pieces[index].first(where: { $0.name == spec.output }) else {
            throw InferenceError(
              .internal, "\(modelDescription): the model returned no state output '\(spec.output)'")
          }
          tensor.name = spec.input
          return tensor
        }
        state.withLock { state in
          if entry.request.end {
            state.stored[entry.request.sequence] = nil
          } else if !policy.states.isEmpty {
            state.stored[entry.request.sequence] = next
          }
        }
        let outputs = entry.outputs.compactMap { spec in pieces[index].first { $0.name == spec.name } }
        settle(
          entry.request.id,
          .success(
            Answer(
              outputs: outputs, timings: result.timings, queueNanos: start &- entry.arrival,
              batchRows: entries.count)))
      }
    } catch {
      for entry in entries { settle(entry.request.id, .failure(error)) }
    }
    let (actions, finished) = state.withLock { state in
      (
        state.step(timer) { $0.finished(instance: instance, requests: requests, now: clock.nanoseconds()) },
        state.timerFinished
      )
    }
    if finished { timer.finish() }
    return actions
  }

  /// One request's control tensors, in the policy's order.
  private func controls(for request: Machine.Request) -> [InferenceTensor] {
    let shape: [Int64] = policy.batched ? [1, 1] : [1]
    return policy.controls.map { control in
      let data: Data
      switch control.kind {
      case .start: data = control.falseTrue[request.start ? 1 : 0]
      case .end: data = control.falseTrue[request.end ? 1 : 0]
      // Executions are never padded with empty slots, so every row is a real request.
      case .ready: data = control.falseTrue[1]
      case .correlationID: data = Self.correlationID(request.sequence, as: control.datatype)
      }
      return InferenceTensor(name: control.input, datatype: control.datatype, shape: shape, data: data)
    }
  }

  private var initialStates: [InferenceTensor] {
    policy.states.map { spec in
      InferenceTensor(
        name: spec.input, datatype: spec.datatype, shape: (policy.batched ? [1] : []) + spec.dims, data: spec.initial)
    }
  }

  /// The CORRID element: the id in the control's type (a string id as BYTES; a number as a string for BYTES).
  static func correlationID(_ id: SequenceBatcherStateMachine.SequenceID, as datatype: DataType) -> Data {
    func bytes<T: BitwiseCopyable>(_ value: T) -> Data { withUnsafeBytes(of: value) { Data($0) } }
    switch (id, datatype) {
    case (.number(let n), .uint64): return bytes(n)
    case (.number(let n), .int64): return bytes(Int64(truncatingIfNeeded: n))
    case (.number(let n), .uint32): return bytes(UInt32(truncatingIfNeeded: n))
    case (.number(let n), .int32): return bytes(Int32(truncatingIfNeeded: n))
    case (.number(let n), _): return BytesTensorCodec.encode([Array(String(n).utf8)])
    case (.string(let s), .bytes): return BytesTensorCodec.encode([Array(s.utf8)])
    // Refused in submit: a string id has no number.
    case (.string, _): return Data(count: datatype.elementSize ?? 8)
    }
  }

  private func settle(_ id: UInt64, _ result: Result<Answer, any Error>) {
    let continuation = state.withLock { state -> CheckedContinuation<Answer, any Error>? in
      guard state.entries[id] != nil else { return nil }
      guard let continuation = state.entries[id]!.continuation else {
        state.entries[id]!.result = result
        return nil
      }
      state.entries[id] = nil
      return continuation
    }
    continuation?.resume(with: result)
  }

  /// Serves the machine's wake-ups until ``close()`` (or, after ``drain()``, until nothing waits).
  public func runTimer() async {
    await timer.run(tick: {
      await perform(state.withLock { state in state.step(timer) { $0.tick(now: clock.nanoseconds()) } })
    })
  }

  /// Stops accepting requests; those waiting still run. ``runTimer()`` ends when none is left.
  public func drain() {
    let finished = state.withLock { state in
      state.draining = true
      _ = state.machine.close(rejectWaiting: false)
      return state.timerFinished
    }
    if finished { timer.finish() }
  }

  /// Stops accepting requests, rejects those waiting, and ends ``runTimer()``.
  public func close() async {
    let actions = state.withLock { state in
      state.closed = true
      return state.machine.close(rejectWaiting: true)
    }
    timer.finish()
    await perform(actions)
  }

  private func rejection(_ reason: SequenceBatcherStateMachine.Rejection) -> InferenceError {
    switch reason {
    case .notStarted(let id):
      return InferenceError(
        .invalidArgument,
        "\(modelDescription): sequence \(id) is not active; its first request must set sequence_start (a sequence "
          + "ends after its sequence_end request, or when it sends nothing for max_sequence_idle_microseconds)")
    case .backlogFull(let slots, let backlog):
      return InferenceError(
        .unavailable,
        "\(modelDescription): all \(slots) sequence slots are taken and \(backlog) new sequences already wait for "
          + "one; retry later, end finished sequences with sequence_end, or add instances")
    case .closed:
      return SchedulerRejection.unloading(modelDescription)
    }
  }
}
