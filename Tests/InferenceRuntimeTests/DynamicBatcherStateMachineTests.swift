import InferenceRuntime
import Testing

@Suite(.timeLimit(.minutes(1))) struct DynamicBatcherStateMachineTests {
  typealias Machine = DynamicBatcherStateMachine
  typealias Request = DynamicBatcherStateMachine.Request
  static let µs: UInt64 = 1_000

  static func machine(_ policy: BatchingPolicy, instances: Int = 1) -> Machine {
    Machine(policy: policy, instanceCount: instances)
  }

  @Test func withoutDelayARequestRunsAtOnce() {
    var m = Self.machine(BatchingPolicy(maxBatchSize: 8))
    #expect(m.enqueue(Request(id: 1, rows: 1), now: 0) == [.execute(instance: 0, requests: [1])])
  }

  @Test("a formed batch takes the requests that queued before it started, FIFO, same shape, within the size")
  func topUpJoinsRequestsQueuedBeforeTheBatchStarts() {
    var m = Self.machine(BatchingPolicy(maxBatchSize: 6))
    #expect(m.enqueue(Request(id: 1, rows: 1), now: 0) == [.execute(instance: 0, requests: [1])])
    // The instance is taken: these wait.
    for (id, rows) in [(2, 2), (3, 1), (4, 3), (5, 1)] as [(UInt64, Int)] {
      #expect(m.enqueue(Request(id: id, rows: rows), now: 1).isEmpty)
    }
    // 1 + 2 + 1 = 4 rows; request 4 (3 rows) does not fit and stops the scan (request 5 stays, FIFO).
    #expect(m.topUp(rows: 1, shapeKey: [], now: 2) == [2, 3])
    #expect(m.queueDepth == 2)
    #expect(
      m.finished(instance: 0, requests: [1, 2, 3], now: 3) == [
        .release([1, 2, 3]), .execute(instance: 0, requests: [4, 5]),
      ])
  }

  @Test("top-up skips nothing: another shape or a passed queue timeout stops it")
  func topUpStopsAtAnotherShapeOrAnExpiredRequest() {
    let policy = BatchingPolicy(
      maxBatchSize: 8, queuePolicies: [.init(timeoutAction: .reject, allowTimeoutOverride: true)])
    var m = Self.machine(policy)
    _ = m.enqueue(Request(id: 1, rows: 1, shapeKey: [4]), now: 0)
    _ = m.enqueue(Request(id: 2, rows: 1, shapeKey: [5]), now: 0)
    _ = m.enqueue(Request(id: 3, rows: 1, shapeKey: [4]), now: 0)
    #expect(m.topUp(rows: 1, shapeKey: [4], now: 1).isEmpty)
    var n = Self.machine(policy)
    _ = n.enqueue(Request(id: 1, rows: 1), now: 0)
    _ = n.enqueue(Request(id: 2, rows: 1, timeoutNanos: 5), now: 0)
    #expect(n.topUp(rows: 1, shapeKey: [], now: 10).isEmpty)
    #expect(n.topUp(rows: 1, shapeKey: [], now: 4) == [2])
  }

  @Test func requestsWaitForTheDelayThenRunTogether() {
    var m = Self.machine(BatchingPolicy(maxBatchSize: 8, maxQueueDelayNanos: 100 * Self.µs))
    #expect(m.enqueue(Request(id: 1, rows: 1), now: 0) == [.wakeUp(at: 100 * Self.µs)])
    #expect(m.enqueue(Request(id: 2, rows: 2), now: 10 * Self.µs) == [])
    #expect(m.tick(now: 50 * Self.µs) == [.wakeUp(at: 100 * Self.µs)])
    #expect(m.tick(now: 100 * Self.µs) == [.execute(instance: 0, requests: [1, 2])])
    #expect(m.queueDepth == 0)
  }

  @Test func aFullBatchRunsBeforeTheDelay() {
    var m = Self.machine(BatchingPolicy(maxBatchSize: 4, maxQueueDelayNanos: 1_000 * Self.µs))
    _ = m.enqueue(Request(id: 1, rows: 2), now: 0)
    #expect(m.enqueue(Request(id: 2, rows: 2), now: 1) == [.execute(instance: 0, requests: [1, 2])])
  }

  @Test func aRequestThatDoesNotFitClosesTheBatch() {
    var m = Self.machine(BatchingPolicy(maxBatchSize: 4, maxQueueDelayNanos: 1_000 * Self.µs))
    _ = m.enqueue(Request(id: 1, rows: 3), now: 0)
    #expect(m.enqueue(Request(id: 2, rows: 2), now: 1) == [.execute(instance: 0, requests: [1])])
    #expect(m.queueDepth == 1)
  }

  @Test func preferredSizesWaitForTheLargestAndCutToIt() {
    let policy = BatchingPolicy(maxBatchSize: 16, preferredBatchSizes: [4, 8], maxQueueDelayNanos: 1_000 * Self.µs)
    var m = Self.machine(policy)
    for id in 1...4 { _ = m.enqueue(Request(id: UInt64(id), rows: 1), now: UInt64(id)) }
    #expect(m.queueDepth == 4)  // 4 is preferred but not the largest: keep waiting
    for id in 5...7 { #expect(m.enqueue(Request(id: UInt64(id), rows: 1), now: 10).isEmpty) }
    #expect(m.enqueue(Request(id: 8, rows: 1), now: 11) == [.execute(instance: 0, requests: Array(1...8))])

    var busy = Self.machine(policy)
    _ = busy.enqueue(Request(id: 100, rows: 16), now: 0)  // occupies the instance
    for id in 1...10 { _ = busy.enqueue(Request(id: UInt64(id), rows: 1), now: 1) }
    let actions = busy.finished(instance: 0, requests: [100], now: 2)
    #expect(actions.contains(.execute(instance: 0, requests: Array(1...8))))
    #expect(busy.queueDepth == 2)
  }

  @Test func differentShapesAreNeverMerged() {
    var m = Self.machine(BatchingPolicy(maxBatchSize: 8, maxQueueDelayNanos: 1_000 * Self.µs))
    _ = m.enqueue(Request(id: 1, rows: 1, shapeKey: [4]), now: 0)
    #expect(m.enqueue(Request(id: 2, rows: 1, shapeKey: [5]), now: 1) == [.execute(instance: 0, requests: [1])])
    // Request 2 now heads the queue and may still grow: it waits for its own delay.
    #expect(m.finished(instance: 0, requests: [1], now: 2) == [.release([1]), .wakeUp(at: 1_000 * Self.µs + 1)])
    #expect(m.tick(now: 1_000 * Self.µs + 1) == [.execute(instance: 0, requests: [2])])
  }

  @Test func higherPriorityLevelsGoFirst() {
    let policy = BatchingPolicy(maxBatchSize: 1, priorityLevels: 3, defaultPriorityLevel: 2)
    var m = Self.machine(policy)
    _ = m.enqueue(Request(id: 1, rows: 1), now: 0)  // runs
    _ = m.enqueue(Request(id: 2, rows: 1, priority: 3), now: 1)
    _ = m.enqueue(Request(id: 3, rows: 1), now: 2)  // default level 2
    _ = m.enqueue(Request(id: 4, rows: 1, priority: 1), now: 3)
    var order: [UInt64] = []
    var finishing: UInt64 = 1
    for _ in 0..<3 {
      for case .execute(_, let ids) in m.finished(instance: 0, requests: [finishing], now: 10) {
        order += ids
        finishing = ids[0]
      }
    }
    #expect(order == [4, 3, 2])
  }

  @Test func timeoutRejectFailsTheRequest() {
    let policy = BatchingPolicy(
      maxBatchSize: 1, queuePolicies: [.init(timeoutAction: .reject, defaultTimeoutNanos: 100 * Self.µs)])
    var m = Self.machine(policy)
    _ = m.enqueue(Request(id: 1, rows: 1), now: 0)  // runs, instance busy
    #expect(m.enqueue(Request(id: 2, rows: 1), now: 10 * Self.µs) == [.wakeUp(at: 110 * Self.µs)])
    #expect(m.tick(now: 110 * Self.µs) == [.reject(2, .timedOut)])
    #expect(m.queueDepth == 0)
  }

  @Test func timeoutDelayMovesTheRequestBehindOthers() {
    let policy = BatchingPolicy(
      maxBatchSize: 1,
      queuePolicies: [.init(timeoutAction: .delay, defaultTimeoutNanos: 0, allowTimeoutOverride: true)])
    var m = Self.machine(policy)
    _ = m.enqueue(Request(id: 1, rows: 1), now: 0)  // runs
    _ = m.enqueue(Request(id: 2, rows: 1, timeoutNanos: 50 * Self.µs), now: 0)
    _ = m.enqueue(Request(id: 3, rows: 1), now: 10 * Self.µs)
    #expect(m.tick(now: 60 * Self.µs) == [])
    #expect(m.queueDepth == 2)
    #expect(
      m.finished(instance: 0, requests: [1], now: 70 * Self.µs) == [
        .release([1]), .execute(instance: 0, requests: [3]),
      ])
    #expect(
      m.finished(instance: 0, requests: [3], now: 80 * Self.µs) == [
        .release([3]), .execute(instance: 0, requests: [2]),
      ])
  }

  @Test func timeoutOverrideNeedsPermission() {
    let policy = BatchingPolicy(maxBatchSize: 1, queuePolicies: [.init(timeoutAction: .reject)])
    var m = Self.machine(policy)
    _ = m.enqueue(Request(id: 1, rows: 1), now: 0)
    #expect(m.enqueue(Request(id: 2, rows: 1, timeoutNanos: 5), now: 1).isEmpty)
    #expect(m.tick(now: 1_000_000).isEmpty)
    #expect(m.queueDepth == 1)
  }

  @Test func fullQueuesRejectAtOnce() {
    let policy = BatchingPolicy(
      maxBatchSize: 1, priorityLevels: 2, queuePolicies: [.init(maxQueueSize: 1), .init()], maxTotalQueueSize: 3)
    var m = Self.machine(policy)
    _ = m.enqueue(Request(id: 1, rows: 1), now: 0)  // runs
    #expect(m.enqueue(Request(id: 2, rows: 1, priority: 1), now: 1).isEmpty)
    #expect(m.enqueue(Request(id: 3, rows: 1, priority: 1), now: 2) == [.reject(3, .queueFull(limit: 1))])
    #expect(m.enqueue(Request(id: 4, rows: 1, priority: 2), now: 3).isEmpty)
    #expect(m.enqueue(Request(id: 5, rows: 1, priority: 2), now: 4).isEmpty)
    #expect(m.enqueue(Request(id: 6, rows: 1, priority: 2), now: 5) == [.reject(6, .queueFull(limit: 3))])
  }

  @Test func preserveOrderingHoldsLaterResults() {
    var m = Self.machine(BatchingPolicy(maxBatchSize: 1, preserveOrdering: true), instances: 2)
    #expect(m.enqueue(Request(id: 1, rows: 1), now: 0) == [.execute(instance: 0, requests: [1])])
    #expect(m.enqueue(Request(id: 2, rows: 1), now: 1) == [.execute(instance: 1, requests: [2])])
    #expect(m.finished(instance: 1, requests: [2], now: 2) == [])
    #expect(m.finished(instance: 0, requests: [1], now: 3) == [.release([1, 2])])
  }

  @Test func withoutPreserveOrderingResultsLeaveAtOnce() {
    var m = Self.machine(BatchingPolicy(maxBatchSize: 1), instances: 2)
    _ = m.enqueue(Request(id: 1, rows: 1), now: 0)
    _ = m.enqueue(Request(id: 2, rows: 1), now: 1)
    #expect(m.finished(instance: 0, requests: [2], now: 2) == [.release([2])])
  }

  @Test func closeRejectsEveryWaitingRequest() {
    var m = Self.machine(BatchingPolicy(maxBatchSize: 1))
    _ = m.enqueue(Request(id: 1, rows: 1), now: 0)
    _ = m.enqueue(Request(id: 2, rows: 1), now: 1)
    #expect(m.close() == [.reject(2, .closed)])
    #expect(m.enqueue(Request(id: 3, rows: 1), now: 2) == [.reject(3, .closed)])
  }

  @Test func drainRunsWaitingRequestsWithoutTheDelayAndRejectsNewOnes() {
    var m = Self.machine(BatchingPolicy(maxBatchSize: 3, maxQueueDelayNanos: 1_000 * Self.µs))
    #expect(m.enqueue(Request(id: 1, rows: 1), now: 0) == [.wakeUp(at: 1_000 * Self.µs)])
    #expect(m.enqueue(Request(id: 2, rows: 1), now: 1) == [])
    // Nothing can join the batch any more: it runs at once instead of at the delay's end.
    #expect(m.drain(now: 2) == [.execute(instance: 0, requests: [1, 2])])
    #expect(m.enqueue(Request(id: 3, rows: 1), now: 3) == [.reject(3, .closed)])
    #expect(m.finished(instance: 0, requests: [1, 2], now: 4) == [.release([1, 2])])
    #expect(m.queueDepth == 0)
  }

  @Test func drainLetsQueuedBatchesRunOneAfterAnother() {
    var m = Self.machine(BatchingPolicy(maxBatchSize: 1))
    _ = m.enqueue(Request(id: 1, rows: 1), now: 0)
    _ = m.enqueue(Request(id: 2, rows: 1), now: 1)
    _ = m.enqueue(Request(id: 3, rows: 1), now: 2)
    #expect(m.drain(now: 3) == [])
    #expect(m.finished(instance: 0, requests: [1], now: 4) == [.release([1]), .execute(instance: 0, requests: [2])])
    #expect(m.finished(instance: 0, requests: [2], now: 5) == [.release([2]), .execute(instance: 0, requests: [3])])
    #expect(m.finished(instance: 0, requests: [3], now: 6) == [.release([3])])
  }

  @Test func drainKeepsQueueTimeouts() {
    let policy = BatchingPolicy(
      maxBatchSize: 1, queuePolicies: [.init(timeoutAction: .reject, defaultTimeoutNanos: 10 * Self.µs)])
    var m = Self.machine(policy)
    _ = m.enqueue(Request(id: 1, rows: 1), now: 0)
    _ = m.enqueue(Request(id: 2, rows: 1), now: 1)
    #expect(m.drain(now: 2) == [])
    #expect(m.tick(now: 20 * Self.µs) == [.reject(2, .timedOut)])
  }

  @Test func oversizedRequestsAreRejected() {
    var m = Self.machine(BatchingPolicy(maxBatchSize: 4))
    #expect(m.enqueue(Request(id: 1, rows: 5), now: 0) == [.reject(1, .tooLarge(rows: 5, limit: 4))])
  }
}
