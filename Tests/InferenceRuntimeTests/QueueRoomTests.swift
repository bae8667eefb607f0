import KServeProtocol
import Synchronization
import Testing

@testable import InferenceRuntime

/// The room signal of a full queue: who waits is woken once the queue has drained to half its limit.
@Suite struct QueueRoomTests {
  final class Wakes: Sendable {
    private let count = Atomic<Int>(0)
    var value: Int { count.load(ordering: .relaxed) }
    func wake() { count.add(1, ordering: .relaxed) }
  }

  @Test func aQueueWithRoomRunsTheWaiterAtOnce() {
    let room = QueueRoom()
    let wakes = Wakes()
    #expect(!room.isFull)
    room.whenRoom { wakes.wake() }
    #expect(wakes.value == 1)
  }

  @Test func aFullQueueWakesItsWaitersOnceAtHalfItsLimit() {
    let room = QueueRoom()
    let wakes = Wakes()
    room.markFull(limit: 8)
    #expect(room.isFull)
    room.whenRoom { wakes.wake() }
    room.whenRoom { wakes.wake() }
    room.noteDepth(5)
    #expect(wakes.value == 0, "5 waiting is above half of 8")
    room.noteDepth(4)
    #expect(wakes.value == 2)
    #expect(!room.isFull)
    room.noteDepth(0)
    #expect(wakes.value == 2, "each waiter is woken once")
  }

  @Test func unloadingWakesWaitersWhateverTheDepth() {
    let room = QueueRoom()
    let wakes = Wakes()
    room.markFull(limit: 2)
    room.whenRoom { wakes.wake() }
    room.open()
    #expect(wakes.value == 1)
  }

  /// The scheduler's refusal carries its room, and a release that drains the queue to half opens it.
  @Test func theSchedulersRefusalCarriesARoomThatOpensAsTheQueueDrains() async throws {
    let scheduler = InstanceScheduler(instanceCount: 1, maxQueueSize: 2, modelDescription: "model 't' version 1")
    let (gate, open) = AsyncStream.makeStream(of: Void.self)
    let busy = Task { try await scheduler.withInstanceAsync { _ in for await _ in gate { break } } }
    while !scheduler.isBusy { await Task.yield() }
    let waiters = (0..<2).map { _ in Task { try await scheduler.withInstance { _ in } } }
    while scheduler.queueDepth < 2 { await Task.yield() }
    var refusal: InferenceError?
    do {
      try await scheduler.withInstance { _ in }
    } catch let error as InferenceError {
      refusal = error
    }
    let full = try #require(refusal?.cause as? QueueFull)
    #expect(refusal?.code == .unavailable)
    #expect(full.room === scheduler.room)
    #expect(full.room.isFull)
    let wakes = Wakes()
    full.room.whenRoom { wakes.wake() }
    #expect(wakes.value == 0)
    open.finish()
    try await busy.value
    for waiter in waiters { try await waiter.value }
    #expect(wakes.value == 1)
    #expect(!scheduler.room.isFull)
  }
}
