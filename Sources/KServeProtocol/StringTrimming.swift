extension StringProtocol {
  /// The text without leading and trailing spaces and tabs (and other non-newline white space), as
  /// Foundation's `trimmingWhitespace()`, without linking Foundation's Unicode tables.
  package func trimmingWhitespace() -> String {
    trimming { $0.isWhitespace && !$0.isNewline }
  }

  /// The text without leading and trailing line breaks (`\n`, `\r\n`, ...).
  package func trimmingNewlines() -> String {
    trimming(\.isNewline)
  }

  /// The text without the leading and trailing characters that match `drop`.
  package func trimming(_ drop: (Character) -> Bool) -> String {
    guard let first = firstIndex(where: { !drop($0) }), let last = lastIndex(where: { !drop($0) }) else { return "" }
    return String(self[first...last])
  }
}
