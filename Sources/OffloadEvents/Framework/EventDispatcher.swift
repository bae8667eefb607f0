/// Hands event indices to the streams and passes finished events, in index order, to the consumer.
///
/// Memory stays bounded: a stream may not start an event more than `window` indices past the first
/// undelivered one, so at most `window` finished events wait for a slow one.
actor EventDispatcher {
  private let range: Range<UInt64>
  private let window: UInt64
  private var next: UInt64
  private var buffer: ReorderBuffer<EventData>
  private var waiters: [CheckedContinuation<Void, Never>] = []
  private let consume: @Sendable (EventData) throws -> Void
  private(set) var delivered: UInt64 = 0

  init(range: Range<UInt64>, window: Int, consume: @escaping @Sendable (EventData) throws -> Void) {
    self.range = range
    self.window = UInt64(max(1, window))
    self.next = range.lowerBound
    self.buffer = ReorderBuffer(first: range.lowerBound)
    self.consume = consume
  }

  /// The next event to process, or `nil` when the range is exhausted; waits while the window is full.
  func claim() async -> UInt64? {
    while true {
      guard next < range.upperBound else { return nil }
      if next < buffer.nextIndex + window {
        defer { next += 1 }
        return next
      }
      await withCheckedContinuation { waiters.append($0) }
    }
  }

  /// Records a finished event and delivers everything now in order.
  func finish(_ event: EventData) throws {
    for ready in buffer.insert(event, at: event.index) {
      try consume(ready)
      delivered += 1
    }
    let woken = waiters
    waiters.removeAll()
    for waiter in woken { waiter.resume() }
  }

  /// Wakes all waiting streams (used when the run fails).
  func abandon() {
    next = range.upperBound
    let woken = waiters
    waiters.removeAll()
    for waiter in woken { waiter.resume() }
  }
}
