import Synchronization
import Testing

@testable import OffloadEvents

/// The worker slots that stand for CMSSW's threads: never more holders than slots, first come first
/// served, and a cancelled waiter leaves without taking or losing a slot.
@Suite(.timeLimit(.minutes(1))) struct WorkerSlotsTests {
  final class Gauge: Sendable {
    private let state = Mutex((now: 0, most: 0, done: 0))
    func enter() {
      state.withLock {
        $0.now += 1; $0.most = max($0.most, $0.now)
      }
    }
    func leave() {
      state.withLock {
        $0.now -= 1; $0.done += 1
      }
    }
    var most: Int { state.withLock { $0.most } }
    var done: Int { state.withLock { $0.done } }
  }

  @Test(arguments: [1, 2, 3]) func neverMoreHoldersThanSlots(slots count: Int) async throws {
    let slots = WorkerSlots(count: count)
    let gauge = Gauge()
    try await withThrowingTaskGroup(of: Void.self) { group in
      for _ in 0..<40 {
        group.addTask {
          try await slots.withSlot {
            gauge.enter()
            for _ in 0..<5 { await Task.yield() }
            gauge.leave()
          }
        }
      }
      try await group.waitForAll()
    }
    #expect(gauge.done == 40)
    #expect(gauge.most <= count)
    #expect(gauge.most >= 1)
  }

  @Test func aCancelledWaiterThrowsAndTheSlotStaysUsable() async throws {
    let slots = WorkerSlots(count: 1)
    let (held, holding) = AsyncStream.makeStream(of: Void.self)
    let (release, releasing) = AsyncStream.makeStream(of: Void.self)
    let holder = Task {
      try await slots.withSlot {
        holding.yield()
        for await _ in release { break }
      }
    }
    for await _ in held { break }
    let waiter = Task { try await slots.withSlot { 1 } }
    waiter.cancel()
    await #expect(throws: CancellationError.self) { try await waiter.value }
    releasing.yield()
    try await holder.value
    // The slot came back once: a new holder gets it, and a second one too after it.
    #expect(try await slots.withSlot { 2 } == 2)
    #expect(try await slots.withSlot { 3 } == 3)
  }
}
