import InferenceRuntime
import Testing

/// The sequence batcher as a pure state machine: slots, order within a sequence, both strategies, the
/// backlog of new sequences, idle timeouts and queue delays, driven by hand with explicit times.
@Suite(.timeLimit(.minutes(1))) struct SequenceBatcherStateMachineTests {
  typealias Machine = SequenceBatcherStateMachine
  typealias Request = Machine.Request

  static func machine(
    _ strategy: Machine.Strategy = .direct, instances: Int = 1, batch: Int = 2, idle: UInt64 = 1_000,
    delay: UInt64 = 0, backlog: Int = 4
  ) -> Machine {
    Machine(
      .init(
        strategy: strategy, instanceCount: instances, maxBatchSize: batch, idleNanos: idle, maxQueueDelayNanos: delay,
        maxBacklog: backlog))
  }

  static func request(_ id: UInt64, _ sequence: UInt64, start: Bool = false, end: Bool = false) -> Request {
    Request(id: id, sequence: .number(sequence), start: start, end: end)
  }

  /// The executions among actions, as (instance, request ids).
  static func executions(_ actions: [Machine.Action]) -> [[UInt64]] {
    actions.compactMap {
      if case .execute(instance: _, let requests) = $0 { return requests.map(\.id) } else { return nil }
    }
  }

  @Test func requestsOfOneSequenceRunOneAtATimeInOrderAndSequencesShareAnExecution() {
    var m = Self.machine()
    let a1 = Self.request(1, 100, start: true)
    #expect(Self.executions(m.enqueue(a1, now: 0)) == [[1]], "an idle instance runs it at once")
    let a2 = Self.request(2, 100)
    let b1 = Self.request(3, 200, start: true)
    #expect(Self.executions(m.enqueue(a2, now: 1)).isEmpty, "the instance is busy")
    #expect(Self.executions(m.enqueue(b1, now: 2)).isEmpty)
    #expect(m.queueDepth == 2)
    // When the first execution ends, the next request of sequence 100 and the first of 200 run together.
    #expect(Self.executions(m.finished(instance: 0, requests: [a1], now: 3)) == [[2, 3]])
    let a3 = Self.request(4, 100)
    let a4 = Self.request(5, 100)
    #expect(Self.executions(m.enqueue(a3, now: 4)).isEmpty)
    #expect(Self.executions(m.enqueue(a4, now: 5)).isEmpty)
    // Only one request per sequence per execution, in arrival order.
    #expect(Self.executions(m.finished(instance: 0, requests: [a2, b1], now: 6)) == [[4]])
    #expect(Self.executions(m.finished(instance: 0, requests: [a3], now: 7)) == [[5]])
  }

  @Test func aRequestThatDoesNotStartAnUnknownSequenceIsRejected() {
    var m = Self.machine()
    let lone = Self.request(1, 7)
    #expect(m.enqueue(lone, now: 0) == [.reject(lone, .notStarted(.number(7)))])
    let named = Request(id: 2, sequence: .string("run-42"), start: false, end: false)
    #expect(m.enqueue(named, now: 0) == [.reject(named, .notStarted(.string("run-42")))])
  }

  @Test func aSequenceThatFindsNoSlotWaitsInTheBacklogUntilOneEnds() {
    var m = Self.machine(batch: 1, backlog: 1)
    let a = Self.request(1, 1, start: true, end: false)
    #expect(Self.executions(m.enqueue(a, now: 0)) == [[1]])
    let b = Self.request(2, 2, start: true)
    #expect(Self.executions(m.enqueue(b, now: 1)).isEmpty)
    #expect(m.backlogged == 1 && m.activeSequences == 1)
    let c = Self.request(3, 3, start: true)
    #expect(m.enqueue(c, now: 2) == [.reject(c, .backlogFull(slots: 1, backlog: 1))], "the backlog holds one")
    let aEnd = Self.request(4, 1, end: true)
    #expect(Self.executions(m.finished(instance: 0, requests: [a], now: 3)).isEmpty)
    #expect(Self.executions(m.enqueue(aEnd, now: 4)) == [[4]])
    // Sequence 1 ends: its slot goes to the backlogged sequence 2, which runs.
    let actions = m.finished(instance: 0, requests: [aEnd], now: 5)
    #expect(actions.contains(.released(.number(1), idle: false)))
    #expect(Self.executions(actions) == [[2]])
    #expect(m.backlogged == 0 && m.activeSequences == 1)
    // A request for the ended sequence must start it again.
    let late = Self.request(5, 1)
    #expect(m.enqueue(late, now: 6) == [.reject(late, .notStarted(.number(1)))])
  }

  @Test func anIdleSequenceIsReleasedAtItsDeadlineAndMustStartAgain() {
    var m = Self.machine(idle: 1_000)
    let a = Self.request(1, 9, start: true)
    _ = m.enqueue(a, now: 0)
    let actions = m.finished(instance: 0, requests: [a], now: 100)
    #expect(actions.contains(.wakeUp(at: 1_100)), "idle from its last activity")
    #expect(!m.tick(now: 1_099).contains(.released(.number(9), idle: true)), "not yet")
    #expect(m.tick(now: 1_100).contains(.released(.number(9), idle: true)))
    #expect(m.activeSequences == 0)
    let next = Self.request(2, 9)
    #expect(m.enqueue(next, now: 1_200) == [.reject(next, .notStarted(.number(9)))])
    // A sequence that keeps sending is never idle.
    let b = Self.request(3, 10, start: true)
    _ = m.enqueue(b, now: 2_000)
    _ = m.finished(instance: 0, requests: [b], now: 2_010)
    let b2 = Self.request(4, 10)
    _ = m.enqueue(b2, now: 2_900)
    _ = m.finished(instance: 0, requests: [b2], now: 2_910)
    #expect(!m.tick(now: 3_500).contains(.released(.number(10), idle: true)))
    #expect(m.tick(now: 3_910).contains(.released(.number(10), idle: true)))
  }

  @Test func directSlotsBelongToOneInstanceEach() {
    var m = Self.machine(.direct, instances: 2, batch: 1)
    let a = Self.request(1, 1, start: true)
    let b = Self.request(2, 2, start: true)
    let first = m.enqueue(a, now: 0)
    let second = m.enqueue(b, now: 1)
    // One slot per instance: the sequences land on different instances and run in parallel.
    #expect(first.contains { if case .execute(instance: 0, requests: _) = $0 { return true } else { return false } })
    #expect(second.contains { if case .execute(instance: 1, requests: _) = $0 { return true } else { return false } })
    let a2 = Self.request(3, 1)
    _ = m.enqueue(a2, now: 2)
    // Sequence 1's next request waits for its own instance, even though it is the only waiting request.
    #expect(Self.executions(m.finished(instance: 1, requests: [b], now: 3)).isEmpty)
    #expect(Self.executions(m.finished(instance: 0, requests: [a], now: 4)) == [[3]])
  }

  @Test func oldestBatchesTheSequencesWhoseRequestsWaitedLongest() {
    var m = Self.machine(.oldest(candidates: 4), instances: 1, batch: 2)
    let s = (1...4).map { Self.request(UInt64($0), UInt64($0), start: true) }
    #expect(Self.executions(m.enqueue(s[0], now: 0)) == [[1]])
    _ = m.enqueue(s[3], now: 1)
    _ = m.enqueue(s[1], now: 2)
    _ = m.enqueue(s[2], now: 3)
    // Three sequences wait; the batch of two takes the two that arrived first (4, then 2).
    #expect(Self.executions(m.finished(instance: 0, requests: [s[0]], now: 4)) == [[4, 2]])
    #expect(Self.executions(m.finished(instance: 0, requests: [s[3], s[1]], now: 5)) == [[3]])
    // Candidate slots are a pool: a fifth sequence waits for one of the four.
    let fifth = Self.request(5, 5, start: true)
    _ = m.enqueue(fifth, now: 6)
    #expect(m.backlogged == 1)
  }

  @Test func aPartialBatchWaitsOutTheQueueDelay() {
    var m = Self.machine(.oldest(candidates: 4), batch: 2, idle: 1_000_000, delay: 50)
    let a = Self.request(1, 1, start: true)
    let actions = m.enqueue(a, now: 10)
    #expect(Self.executions(actions).isEmpty)
    #expect(actions.contains(.wakeUp(at: 60)))
    #expect(Self.executions(m.tick(now: 59)).isEmpty)
    let b = Self.request(2, 2, start: true)
    // A second sequence fills the batch: it runs at once.
    #expect(Self.executions(m.enqueue(b, now: 20)) == [[1, 2]])
    let a2 = Self.request(3, 1)
    _ = m.finished(instance: 0, requests: [a, b], now: 30)
    _ = m.enqueue(a2, now: 40)
    #expect(Self.executions(m.tick(now: 90)) == [[3]], "alone, after the delay")
  }

  @Test func oldestWaitsForItsLargestPreferredSizeAndCutsAPartialBatchToAPreferredOne() {
    var m = Machine(
      .init(
        strategy: .oldest(candidates: 8), instanceCount: 1, maxBatchSize: 8, idleNanos: 1_000_000,
        maxQueueDelayNanos: 100, maxBacklog: 0, preferredBatchSizes: [2, 4]))
    let first = (1...3).map { Self.request(UInt64($0), UInt64($0), start: true) }
    for (index, request) in first.enumerated() {
      #expect(Self.executions(m.enqueue(request, now: UInt64(index))).isEmpty, "waiting for 4")
    }
    // The fourth reaches the largest preferred size: the batch runs at once.
    #expect(Self.executions(m.enqueue(Self.request(4, 4, start: true), now: 3)) == [[1, 2, 3, 4]])
    let next = (5...7).map { Self.request(UInt64($0), UInt64($0), start: true) }
    for (index, request) in next.enumerated() { _ = m.enqueue(request, now: 10 + UInt64(index)) }
    _ = m.finished(instance: 0, requests: [1, 2, 3, 4].map { Self.request($0, $0) }, now: 20)
    // Three wait past the delay: the batch is cut to 2, the largest preferred size they reach.
    #expect(Self.executions(m.tick(now: 110)) == [[5, 6]])
  }

  @Test func anEndFollowedByAStartOfTheSameIdKeepsTheSlotAndRejectsStrays() {
    var m = Self.machine(batch: 1, backlog: 0)
    let a = Self.request(1, 5, start: true, end: true)
    _ = m.enqueue(a, now: 0)
    let stray = Self.request(2, 5)
    let again = Self.request(3, 5, start: true)
    _ = m.enqueue(stray, now: 1)
    _ = m.enqueue(again, now: 2)
    let actions = m.finished(instance: 0, requests: [a], now: 3)
    #expect(actions.contains(.reject(stray, .notStarted(.number(5)))), "queued behind the end without a start")
    #expect(actions.contains(.released(.number(5), idle: false)), "the old state goes")
    #expect(Self.executions(actions) == [[3]], "the new sequence runs in the same slot")
  }

  @Test func closingRejectsWhatWaitsOrLetsItRunWhenDraining() {
    var m = Self.machine(batch: 1)
    let a = Self.request(1, 1, start: true)
    let a2 = Self.request(2, 1)
    _ = m.enqueue(a, now: 0)
    _ = m.enqueue(a2, now: 1)
    var drained = m
    #expect(m.close(rejectWaiting: true) == [.reject(a2, .closed)])
    let late = Self.request(3, 2, start: true)
    #expect(m.enqueue(late, now: 2) == [.reject(late, .closed)])
    #expect(drained.close(rejectWaiting: false).isEmpty)
    #expect(Self.executions(drained.finished(instance: 0, requests: [a], now: 3)) == [[2]], "a drain still runs it")
  }
}
