import InferenceRuntime
import Testing

@Suite struct ExecutionPlacementTests {
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
}
