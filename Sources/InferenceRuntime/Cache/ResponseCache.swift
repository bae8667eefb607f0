public import KServeProtocol
internal import OffloadMeasurement
internal import Synchronization

/// Triton's response cache (`--cache-config local,size=BYTES`, `response_cache { enable: true }` per
/// model): the output tensors of executed requests, reused for requests with the same key. Bounded in
/// bytes (keys, tensor bytes and a fixed overhead per entry count); least recently used entries go first.
/// One per server, shared by every model that enables it.
public final class ResponseCache: Sendable {
  /// Counters since the cache was made.
  public struct Counts: Sendable, Equatable {
    public var entries = 0
    public var bytes = 0
    public var lookups = 0
    public var hits = 0
    public var insertions = 0
    public var evictions = 0
    /// Time spent looking up (hits and misses), nanoseconds.
    public var lookupNanos: UInt64 = 0
    /// Time spent storing answers, nanoseconds.
    public var insertionNanos: UInt64 = 0
  }

  /// Bytes charged per entry on top of its key and tensors (bookkeeping, tensor names and shapes).
  static let entryOverhead = 256
  /// ``entryOverhead``, for tests that size a cache in entries.
  public static var entryOverheadForTests: Int { entryOverhead }

  private struct Entry {
    var key: ResponseCacheKey
    var outputs: [InferenceTensor]
    var bytes: Int
    var older: Int?
    var newer: Int?
  }

  private struct State {
    var slots: [Entry?] = []
    var free: [Int] = []
    var index: [ResponseCacheKey: Int] = [:]
    var oldest: Int?
    var newest: Int?
    var counts = Counts()

    mutating func unlink(_ slot: Int) {
      let (older, newer) = (slots[slot]!.older, slots[slot]!.newer)
      if let older { slots[older]!.newer = newer } else { oldest = newer }
      if let newer { slots[newer]!.older = older } else { newest = older }
      slots[slot]!.older = nil
      slots[slot]!.newer = nil
    }

    mutating func pushNewest(_ slot: Int) {
      slots[slot]!.older = newest
      if let newest { slots[newest]!.newer = slot } else { oldest = slot }
      newest = slot
    }

    mutating func remove(_ slot: Int) {
      unlink(slot)
      let entry = slots[slot]!
      index[entry.key] = nil
      counts.entries -= 1
      counts.bytes -= entry.bytes
      slots[slot] = nil
      free.append(slot)
    }
  }

  /// The most bytes the cache holds.
  public let capacity: Int
  private let state = Mutex(State())

  /// A cache of at most `capacity` bytes.
  public init(capacity: Int) {
    precondition(capacity > 0, "a response cache needs a positive size")
    self.capacity = capacity
  }

  /// The outputs stored for `key`, which become the most recently used; `nil` on a miss.
  public func lookup(_ key: ResponseCacheKey) -> [InferenceTensor]? {
    let start = ContinuousClock.now
    return state.withLock { state in
      state.counts.lookups += 1
      defer { state.counts.lookupNanos &+= (ContinuousClock.now - start).clampedNanoseconds }
      guard let slot = state.index[key] else { return nil }
      state.counts.hits += 1
      state.unlink(slot)
      state.pushNewest(slot)
      return state.slots[slot]!.outputs
    }
  }

  /// Stores `outputs` under `key` (replacing what was there), evicting the least recently used entries
  /// until it fits. An entry larger than the whole cache is not stored.
  /// - Returns: Whether it was stored.
  @discardableResult
  public func insert(_ key: ResponseCacheKey, outputs: [InferenceTensor]) -> Bool {
    let bytes = key.byteCount + outputs.reduce(Self.entryOverhead) { $0 + $1.data.count }
    guard bytes <= capacity else { return false }
    let start = ContinuousClock.now
    return state.withLock { state in
      defer { state.counts.insertionNanos &+= (ContinuousClock.now - start).clampedNanoseconds }
      if let existing = state.index[key] { state.remove(existing) }
      while state.counts.bytes + bytes > capacity, let oldest = state.oldest {
        state.remove(oldest)
        state.counts.evictions += 1
      }
      let entry = Entry(key: key, outputs: outputs, bytes: bytes)
      let slot: Int
      if let reused = state.free.popLast() {
        slot = reused
        state.slots[slot] = entry
      } else {
        slot = state.slots.count
        state.slots.append(entry)
      }
      state.index[key] = slot
      state.pushNewest(slot)
      state.counts.entries += 1
      state.counts.bytes += bytes
      state.counts.insertions += 1
      return true
    }
  }

  /// Drops every entry of one load of a model version (it was unloaded or replaced).
  public func removeAll(owner: UInt64) {
    state.withLock { state in
      for (key, slot) in state.index where key.owner == owner { state.remove(slot) }
    }
  }

  /// The counters now.
  public var counts: Counts { state.withLock { $0.counts } }
}
