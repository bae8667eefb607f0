/// Finds the names closest to a misspelt one, for "did you mean" messages.
public enum NameSuggestions {
  /// Up to `limit` candidates within a small edit distance of `name`, closest first; when none is close,
  /// the first `limit` candidates alphabetically.
  /// - Parameters:
  ///   - name: The name asked for.
  ///   - candidates: The names that exist.
  ///   - limit: How many to return.
  public static func closest(to name: String, in candidates: [String], limit: Int = 3) -> [String] {
    let target = Array(name.lowercased().utf8)
    let scored = candidates.map { ($0, distance(target, Array($0.lowercased().utf8))) }
    let threshold = max(2, target.count / 3)
    let close = scored.filter { $0.1 <= threshold || $0.0.lowercased().contains(name.lowercased()) && !name.isEmpty }
      .sorted { ($0.1, $0.0) < ($1.1, $1.0) }
      .map(\.0)
    if !close.isEmpty { return Array(close.prefix(limit)) }
    return Array(candidates.sorted().prefix(limit))
  }

  /// A message fragment: `did you mean 'a', 'b'?` or `available: 'a', 'b'` or `none are available`.
  public static func hint(for name: String, in candidates: [String], noun: String = "models") -> String {
    guard !candidates.isEmpty else { return "no \(noun) are available" }
    let close = closest(to: name, in: candidates)
    let list = close.map { "'\($0)'" }.joined(separator: ", ")
    let target = Array(name.lowercased().utf8)
    let isClose = close.contains { distance(target, Array($0.lowercased().utf8)) <= max(2, target.count / 3) }
    return isClose
      ? "did you mean \(list)?" : "available \(noun): \(list)\(candidates.count > close.count ? ", ..." : "")"
  }

  static func distance(_ a: [UInt8], _ b: [UInt8]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
      current[0] = i
      for j in 1...b.count {
        let cost = a[i - 1] == b[j - 1] ? 0 : 1
        current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
      }
      swap(&previous, &current)
    }
    return previous[b.count]
  }
}
