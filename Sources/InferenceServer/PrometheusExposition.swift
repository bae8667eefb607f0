/// Pieces of the Prometheus text exposition format (version 0.0.4) for the metrics the server renders
/// itself (the latency summaries; swift-prometheus renders the rest).
enum PrometheusExposition {
  /// A label value with backslash, double quote and line feed escaped (`\\`, `\"`, `\n`).
  static func escapeLabelValue(_ value: String) -> String {
    guard value.contains(where: { $0 == "\\" || $0 == "\"" || $0 == "\n" }) else { return value }
    var escaped = ""
    escaped.reserveCapacity(value.utf8.count + 8)
    for character in value {
      switch character {
      case "\\": escaped += "\\\\"
      case "\"": escaped += "\\\""
      case "\n": escaped += "\\n"
      default: escaped.append(character)
      }
    }
    return escaped
  }

  /// HELP text with backslash and line feed escaped, as the format asks.
  static func escapeHelp(_ text: String) -> String {
    var escaped = ""
    for character in text {
      switch character {
      case "\\": escaped += "\\\\"
      case "\n": escaped += "\\n"
      default: escaped.append(character)
      }
    }
    return escaped
  }

  /// `{name="value",…}` with the values escaped; empty for no labels.
  static func labels(_ pairs: [(name: String, value: String)]) -> String {
    guard !pairs.isEmpty else { return "" }
    return "{" + pairs.map { "\($0.name)=\"\(escapeLabelValue($0.value))\"" }.joined(separator: ",") + "}"
  }

  /// A sample value: `NaN`, `+Inf`, `-Inf`, whole numbers without a fraction (`42`), others in Swift's
  /// shortest round-trip form (`0.95`).
  static func format(_ value: Double) -> String {
    if value.isNaN { return "NaN" }
    if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
    if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
    return String(value)
  }
}
