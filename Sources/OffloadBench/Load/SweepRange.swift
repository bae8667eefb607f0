internal import KServeProtocol

/// A perf_analyzer-style range `START[:END[:STEP]]`: the points of a sweep.
public struct SweepRange<Value: Numeric & Comparable & LosslessStringConvertible & Sendable>: Sendable, Equatable {
  /// First point.
  public var start: Value
  /// Last point (inclusive).
  public var end: Value
  /// Increment.
  public var step: Value

  /// Creates a range.
  public init(start: Value, end: Value, step: Value) {
    self.start = start
    self.end = end
    self.step = step
  }

  /// Parses `START`, `START:END` (step 1) or `START:END:STEP`.
  /// - Throws: ``InferenceError`` (invalid argument) naming the text and the expected form.
  public init(parsing text: String) throws {
    let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
    let values = parts.map { Value($0) }
    guard (1...3).contains(parts.count), values.allSatisfy({ $0 != nil }) else {
      throw InferenceError(.invalidArgument, "range '\(text)': write START[:END[:STEP]], e.g. 1:16:2")
    }
    let start = values[0]!
    let end = parts.count > 1 ? values[1]! : start
    let step = parts.count > 2 ? values[2]! : 1
    guard start > 0, end >= start, step > 0 else {
      throw InferenceError(.invalidArgument, "range '\(text)': need 0 < START <= END and STEP > 0")
    }
    self.init(start: start, end: end, step: step)
  }

  /// The points, start first, end included when the steps land on it.
  public var points: [Value] {
    var result: [Value] = []
    var value = start
    while value <= end, result.count < 10_000 {
      result.append(value)
      value += step
    }
    return result
  }
}
