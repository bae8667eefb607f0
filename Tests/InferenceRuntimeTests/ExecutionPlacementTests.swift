import Dispatch
import InferenceRuntime
import Synchronization
import Testing

@Suite(.timeLimit(.minutes(1))) struct ExecutionPlacementTests {
  @Test func shortExecutionsRunInlineLongOnesOnTheInstanceThread() {
    #expect(ExecutionPlacement.choose(averageNanos: 0, limitNanos: 500_000) == .dedicatedThread, "first: unknown")
    #expect(ExecutionPlacement.choose(averageNanos: 1, limitNanos: 500_000) == .inline)
    #expect(ExecutionPlacement.choose(averageNanos: 499_999, limitNanos: 500_000) == .inline)
    #expect(ExecutionPlacement.choose(averageNanos: 500_000, limitNanos: 500_000) == .dedicatedThread)
  }

  @Test func averageTakesTheFirstSampleThenMovesByAnEighth() {
    #expect(ExecutionPlacement.updatedAverage(0, sample: 8_000) == 8_000)
    #expect(ExecutionPlacement.updatedAverage(8_000, sample: 16_000) == 9_000)
    var average: UInt64 = 0
    for _ in 0..<100 { average = ExecutionPlacement.updatedAverage(average, sample: 1_000_000) }
    #expect(average > 990_000 && average <= 1_000_000)
  }

  @Test func placementFollowsRecordedDurations() async throws {
    let placement = ExecutionPlacement(instanceCount: 2, inlineLimit: .microseconds(100), label: "t")
    #expect(placement.choice == .dedicatedThread)
    placement.record(executionNanos: 5_000)
    #expect(placement.choice == .inline)
    for _ in 0..<40 { placement.record(executionNanos: 5_000_000) }
    #expect(placement.choice == .dedicatedThread)
    #expect(try await placement.run(instance: 1) { 42 } == 42)
    await #expect(throws: CancellationError.self) { try await placement.run(instance: 0) { throw CancellationError() } }
  }

  /// Counts calls from any thread.
  final class Calls: Sendable {
    let count = Mutex(0)
    func record() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
  }

  /// A cancelled caller gets `CancellationError` while the body still blocks on its instance thread;
  /// `finished` (the instance's release) runs only once the body has really ended. A caller that waited
  /// for the body would never return here (the gate opens after the check) and hit the time limit.
  @Test(.timeLimit(.minutes(1))) func aCancelledCallerStopsWaitingAndTheInstanceIsReleasedAtTheEnd() async throws {
    let placement = ExecutionPlacement(instanceCount: 1, inlineLimit: .zero, label: "t")
    let gate = DispatchSemaphore(value: 0)
    let finished = Calls()
    let (started, startedSink) = AsyncStream.makeStream(of: Void.self)
    let (ended, endedSink) = AsyncStream.makeStream(of: Void.self)
    let caller = Task {
      try await placement.runAbandonable(
        instance: 0,
        finished: {
          finished.record()
          endedSink.yield()
        }
      ) {
        startedSink.yield()
        gate.wait()
        return 7
      }
    }
    for await _ in started { break }
    caller.cancel()
    await #expect(throws: CancellationError.self) { try await caller.value }
    #expect(finished.value == 0, "the body still runs: the instance must stay lent")
    gate.signal()
    for await _ in ended { break }
    #expect(finished.value == 1)
  }

  /// A caller cancelled before its execution began never runs it, and still hands the instance back.
  @Test func aCallerCancelledBeforeItBeganDoesNotRunTheBody() async throws {
    let placement = ExecutionPlacement(instanceCount: 1, inlineLimit: .zero, label: "t")
    let finished = Calls()
    let ran = Calls()
    let caller = Task {
      _ = withUnsafeCurrentTask { $0?.cancel() }
      return try await placement.runAbandonable(instance: 0, finished: { finished.record() }) {
        ran.record()
        return 1
      }
    }
    await #expect(throws: CancellationError.self) { try await caller.value }
    #expect(ran.value == 0)
    #expect(finished.value == 1)
  }

  /// Without cancellation the caller gets the body's result or error, and `finished` runs once either way.
  @Test func anUncancelledCallerGetsTheOutcome() async throws {
    let placement = ExecutionPlacement(instanceCount: 1, inlineLimit: .zero, label: "t")
    let finished = Calls()
    #expect(try await placement.runAbandonable(instance: 0, finished: { finished.record() }) { 42 } == 42)
    await #expect(throws: CancellationError.self) {
      try await placement.runAbandonable(instance: 0, finished: { finished.record() }) { throw CancellationError() }
    }
    #expect(finished.value == 2)
  }
}
