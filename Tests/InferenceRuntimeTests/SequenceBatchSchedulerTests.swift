import Foundation
import InferenceRuntime
import KServeProtocol
import Synchronization
import Testing

/// The sequence batcher's driver on a manual clock: implicit state carried between a sequence's requests,
/// and an idle sequence released by the timer loop at its deadline and not before.
@Suite(.timeLimit(.minutes(1))) struct SequenceBatchSchedulerTests {
  static func policy() throws -> SequencePolicy {
    let config = try ModelConfigFile.parse(
      """
      name: "running"
      max_batch_size: 2
      input [ { name: "x" data_type: TYPE_FP32 dims: [ 1 ] } ]
      output [ { name: "y" data_type: TYPE_FP32 dims: [ 1 ] } ]
      sequence_batching {
        max_sequence_idle_microseconds: 1000
        state [ { input_name: "s_in" output_name: "s_out" data_type: TYPE_FP32 dims: [ 1 ] } ]
      }
      """, path: "running/config.pbtxt")
    return try #require(try SequencePolicy(config: config, instanceCount: 1, maxBacklog: 4))
  }

  /// y = x + s_in and s_out = y, per row.
  static func execute(_ inputs: [InferenceTensor], _ outputs: [OutputSpec]) throws -> ExecutionResult {
    let x = try inputs.first { $0.name == "x" }!.values(as: Float.self)
    let state = try inputs.first { $0.name == "s_in" }!.values(as: Float.self)
    let y = zip(x, state).map(+)
    return ExecutionResult(
      outputs: try outputs.map { try InferenceTensor(name: $0.name, values: y, shape: [Int64(y.count), 1]) },
      timings: ComputeTimings(inputNanos: 0, inferNanos: 0, outputNanos: 0))
  }

  static func row(_ value: Float) throws -> [InferenceTensor] {
    [try InferenceTensor(name: "x", values: [value], shape: [1, 1])]
  }

  static let output = [OutputSpec(name: "y", datatype: .fp32)]

  @Test func anIdleSequenceIsReleasedByTheTimerAtItsDeadline() async throws {
    let clock = ManualDriverClock()
    let scheduler = SequenceBatchScheduler(
      policy: try Self.policy(), statistics: StatisticsRecorder(name: "running", version: "1"),
      modelDescription: "model 'running' version 1", clock: clock
    ) { _, inputs, outputs in try Self.execute(inputs, outputs) }
    try await withThrowingTaskGroup(of: Void.self) { group in
      group.addTask { await scheduler.runTimer() }
      var answer = try await scheduler.submit(
        inputs: Self.row(2), outputs: Self.output, sequence: .number(1), start: true, end: false)
      #expect(try answer.outputs[0].values(as: Float.self) == [2])
      answer = try await scheduler.submit(
        inputs: Self.row(3), outputs: Self.output, sequence: .number(1), start: false, end: false)
      #expect(try answer.outputs[0].values(as: Float.self) == [5], "the state carried the first answer")
      #expect(answer.outputs.map(\.name) == ["y"], "the state output stays in the server")
      while clock.sleeperCount == 0 { await Task.yield() }
      #expect(clock.nextDeadline == 1_000_000, "idle 1 ms after its last request")
      clock.advance(by: .microseconds(999))
      for _ in 0..<100 { await Task.yield() }
      #expect(scheduler.sequences.active == 1, "not idle long enough yet")
      clock.advance(by: .microseconds(1))
      while scheduler.sequences.active > 0 { await Task.yield() }
      let error = await #expect(throws: InferenceError.self) {
        _ = try await scheduler.submit(
          inputs: Self.row(1), outputs: Self.output, sequence: .number(1), start: false, end: false)
      }
      #expect(error?.code == .invalidArgument && error?.message.contains("sequence 1 is not active") == true)
      // Started again, it begins from the initial state.
      answer = try await scheduler.submit(
        inputs: Self.row(7), outputs: Self.output, sequence: .number(1), start: true, end: true)
      #expect(try answer.outputs[0].values(as: Float.self) == [7])
      await scheduler.close()
      try await group.waitForAll()
    }
  }
}
