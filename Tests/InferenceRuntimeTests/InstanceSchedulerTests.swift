import InferenceRuntime
import KServeProtocol
import Testing

@Suite(.timeLimit(.minutes(1))) struct InstanceSchedulerTests {
  /// A second request waits while the only instance is busy and runs once it is released; no sleeps:
  /// the holder blocks on a stream the test controls.
  @Test func waiterRunsAfterRelease() async throws {
    let scheduler = InstanceScheduler(instanceCount: 1, maxQueueSize: 8, modelDescription: "model 't' version 1")
    let (gate, open) = AsyncStream.makeStream(of: Void.self)
    let (events, record) = AsyncStream.makeStream(of: String.self)
    let busy = Task {
      try await scheduler.withInstanceAsync { instance in
        record.yield("busy \(instance)")
        for await _ in gate { break }
        record.yield("released")
      }
    }
    var iterator = events.makeAsyncIterator()
    #expect(await iterator.next() == "busy 0")
    let waiter = Task { try await scheduler.withInstance { instance in _ = record.yield("waiter \(instance)") } }
    while scheduler.queueDepth == 0 {
      try Task.checkCancellation()
      await Task.yield()
    }
    open.yield()
    try await busy.value
    try await waiter.value
    #expect(await iterator.next() == "released")
    #expect(await iterator.next() == "waiter 0")
  }

  @Test func fullQueueFailsWithUnavailable() async throws {
    let scheduler = InstanceScheduler(instanceCount: 1, maxQueueSize: 1, modelDescription: "model 't' version 1")
    let occupied = try await Self.occupy(scheduler)
    await #expect {
      try await scheduler.withInstance { _ in }
    } throws: { error in
      (error as? InferenceError)?.code == .unavailable
        && (error as? InferenceError)?.message.contains("queue is full") == true
    }
    try await occupied.release()
    try await occupied.waiter.value
  }

  @Test func cancelledWaiterGivesUpAndOthersProceed() async throws {
    let scheduler = InstanceScheduler(instanceCount: 1, maxQueueSize: 4, modelDescription: "model 't' version 1")
    let occupied = try await Self.occupy(scheduler)
    occupied.waiter.cancel()
    await #expect(throws: CancellationError.self) { try await occupied.waiter.value }
    #expect(scheduler.queueDepth == 0)
    try await occupied.release()
    try await scheduler.withInstance { #expect($0 == 0) }
  }

  @Test func closeRejectsWaiters() async throws {
    let scheduler = InstanceScheduler(instanceCount: 1, maxQueueSize: 4, modelDescription: "model 't' version 1")
    let occupied = try await Self.occupy(scheduler)
    scheduler.close()
    await #expect {
      try await occupied.waiter.value
    } throws: { ($0 as? InferenceError)?.message.contains("unloading") == true }
    try await occupied.release()
  }

  @Test func drainLetsWaitersRunAndRejectsNewRequests() async throws {
    let scheduler = InstanceScheduler(instanceCount: 1, maxQueueSize: 4, modelDescription: "model 't' version 1")
    let occupied = try await Self.occupy(scheduler)
    scheduler.drain()
    await #expect {
      try await scheduler.withInstance { _ in }
    } throws: { ($0 as? InferenceError)?.message.contains("unloading") == true }
    try await occupied.release()
    try await occupied.waiter.value
  }

  /// Occupies the scheduler's only instance until `release` is called, and queues one waiter behind it.
  struct Occupied {
    let busy: Task<Void, any Error>
    let waiter: Task<Void, any Error>
    let open: AsyncStream<Void>.Continuation

    func release() async throws {
      open.yield()
      try await busy.value
    }
  }

  static func occupy(_ scheduler: InstanceScheduler) async throws -> Occupied {
    let (gate, open) = AsyncStream.makeStream(of: Void.self)
    let busy = Task { try await scheduler.withInstanceAsync { _ in for await _ in gate { break } } }
    while !scheduler.isBusy {
      try Task.checkCancellation()
      await Task.yield()
    }
    let waiter = Task { try await scheduler.withInstance { _ in } }
    while scheduler.queueDepth == 0 {
      try Task.checkCancellation()
      await Task.yield()
    }
    return Occupied(busy: busy, waiter: waiter, open: open)
  }
}
