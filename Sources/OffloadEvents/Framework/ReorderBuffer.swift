/// Puts events that finish in any order back into index order. Pure: insert returns what became
/// deliverable. Bounded by the caller: the dispatcher never lets more than `window` events past the
/// first undelivered one start.
public struct ReorderBuffer<Value> {
  /// The next index to deliver.
  public private(set) var nextIndex: UInt64
  private var waiting: [UInt64: Value] = [:]

  /// Creates a buffer that delivers from `first` on.
  public init(first: UInt64) { self.nextIndex = first }

  /// Values held because an earlier index is missing.
  public var heldCount: Int { waiting.count }

  /// Adds a finished value; returns the values now deliverable, in index order.
  /// - Precondition: each index is inserted once and is not below ``nextIndex``.
  public mutating func insert(_ value: Value, at index: UInt64) -> [Value] {
    precondition(index >= nextIndex && waiting[index] == nil, "event \(index) finished twice")
    waiting[index] = value
    var ready: [Value] = []
    while let next = waiting.removeValue(forKey: nextIndex) {
      ready.append(next)
      nextIndex += 1
    }
    return ready
  }
}
