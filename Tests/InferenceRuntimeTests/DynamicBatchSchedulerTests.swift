import Foundation
import InferenceRuntime
import KServeProtocol
import OffloadMeasurement
import Synchronization
import Testing

/// The dynamic batcher's driver on a manual clock: queue delays and queue timeouts fire at their time and
/// not before, with no sleeps and no dependence on the machine's speed.
@Suite(.timeLimit(.minutes(1))) struct DynamicBatchSchedulerTests {
  /// Records the batches it runs and echoes their inputs.
  final class Recorder: Sendable {
    private let batches = Mutex<[Int]>([])
    var rows: [Int] { batches.withLock { $0 } }

    func execute(_ inputs: [InferenceTensor]) -> ExecutionResult {
      batches.withLock { $0.append(Int(inputs[0].shape[0])) }
      return ExecutionResult(outputs: inputs, timings: ComputeTimings(inputNanos: 0, inferNanos: 0, outputNanos: 0))
    }
  }

  static func scheduler(
    delay: Duration, maxBatchSize: Int = 8, clock: ManualDriverClock, recorder: Recorder
  ) -> DynamicBatchScheduler {
    DynamicBatchScheduler(
      policy: BatchingPolicy(
        maxBatchSize: maxBatchSize, maxQueueDelayNanos: delay.clampedNanoseconds,
        // Requests may set their own queue timeout (as Triton's allow_timeout_override).
        queuePolicies: [BatchingPolicy.QueuePolicy(allowTimeoutOverride: true)]),
      instanceCount: 1, statistics: StatisticsRecorder(name: "m", version: "1"), modelDescription: "model 'm'",
      clock: clock
    ) { _, inputs, _ in recorder.execute(inputs) }
  }

  static func row(_ value: Float) -> [InferenceTensor] {
    [InferenceTensor(name: "x", datatype: .fp32, shape: [1, 1], data: withUnsafeBytes(of: value) { Data($0) })]
  }

  /// Waits (yielding, no clock) until the timer loop sleeps on a deadline.
  static func untilAsleep(_ clock: ManualDriverClock) async throws {
    while clock.sleeperCount == 0 {
      try Task.checkCancellation()
      await Task.yield()
    }
  }

  @Test func aHeldBatchRunsWhenItsDelayHasPassedAndNotBefore() async throws {
    let clock = ManualDriverClock()
    let recorder = Recorder()
    let scheduler = Self.scheduler(delay: .milliseconds(100), clock: clock, recorder: recorder)
    try await withThrowingTaskGroup(of: Void.self) { group in
      group.addTask { await scheduler.runTimer() }
      let answers = (0..<3).map { index in
        Task {
          try await scheduler.submit(
            inputs: Self.row(Float(index)), outputs: [], rows: 1, priority: 0, timeoutNanos: nil)
        }
      }
      while scheduler.queueDepth < 3 { await Task.yield() }
      try await Self.untilAsleep(clock)
      #expect(clock.nextDeadline == 100_000_000, "the loop sleeps until the first request's delay ends")
      clock.advance(by: .milliseconds(99))
      #expect(recorder.rows.isEmpty, "99 ms: still held")
      #expect(scheduler.queueDepth == 3)
      clock.advance(by: .milliseconds(1))
      for (index, answer) in answers.enumerated() {
        let result = try await answer.value
        #expect(result.batchRows == 3)
        #expect(result.queueNanos == 100_000_000, "queued exactly the delay on this clock")
        #expect(result.outputs.first?.data == Self.row(Float(index))[0].data, "each request gets its own row")
      }
      #expect(recorder.rows == [3], "one execution of the three")
      await scheduler.close()
      try await group.waitForAll()
    }
  }

  @Test func aQueueTimeoutRejectsAtItsTimeWhileTheDelayStillHolds() async throws {
    let clock = ManualDriverClock()
    let recorder = Recorder()
    let scheduler = Self.scheduler(delay: .seconds(10), clock: clock, recorder: recorder)
    try await withThrowingTaskGroup(of: Void.self) { group in
      group.addTask { await scheduler.runTimer() }
      let patient = Task {
        try await scheduler.submit(inputs: Self.row(1), outputs: [], rows: 1, priority: 0, timeoutNanos: nil)
      }
      let hurried = Task {
        try await scheduler.submit(inputs: Self.row(2), outputs: [], rows: 1, priority: 0, timeoutNanos: 50_000_000)
      }
      while scheduler.queueDepth < 2 { await Task.yield() }
      try await Self.untilAsleep(clock)
      #expect(clock.nextDeadline == 50_000_000, "the loop wakes for the earlier timeout")
      clock.advance(by: .milliseconds(50))
      let error = await #expect(throws: InferenceError.self) { _ = try await hurried.value }
      #expect(error?.code == .unavailable)
      #expect(recorder.rows.isEmpty, "the other request is still held by the delay")
      clock.advance(by: .seconds(10))
      #expect(try await patient.value.batchRows == 1)
      #expect(recorder.rows == [1])
      await scheduler.close()
      try await group.waitForAll()
    }
  }
}
