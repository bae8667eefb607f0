/// `--shard i/N`: the i-th of N equal parts of an event range (0-based), so batch jobs split a run and a
/// merge gives the same result as one job.
public struct EventShard: Sendable, Equatable {
  public var index: Int
  public var count: Int

  /// Parses `i/N` with 0 ≤ i < N.
  public init(parsing text: String) throws {
    let parts = text.split(separator: "/")
    guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n >= 1, (0..<n).contains(i) else {
      throw WorkflowError("--shard \(text): write i/N with 0 ≤ i < N, e.g. 0/4")
    }
    index = i
    count = n
  }

  /// The part of `range` this shard processes.
  public func range(of range: Range<UInt64>) -> Range<UInt64> {
    let total = UInt64(range.count)
    let n = UInt64(count)
    let lower = range.lowerBound + total * UInt64(index) / n
    let upper = range.lowerBound + total * UInt64(index + 1) / n
    return lower..<upper
  }
}
