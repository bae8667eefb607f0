public import InferenceRuntime

#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif

/// Renders the repository index as the table Triton prints at start-up.
public enum ModelLoadSummary {
  /// The table text.
  /// - Parameter entries: Index entries.
  public static func render(_ entries: [ModelIndexEntry]) -> String {
    let header = ["Model", "Version", "Status", "Reason"]
    let rows = entries.map {
      [$0.name, $0.version.isEmpty ? "-" : $0.version, $0.state.rawValue, $0.reason.isEmpty ? "-" : $0.reason]
    }
    var widths = header.map(\.count)
    for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], min(cell.count, 100)) } }
    func line(_ cells: [String]) -> String {
      "| "
        + cells.enumerated().map { i, c in c + String(repeating: " ", count: max(0, widths[i] - c.count)) }
        .joined(separator: " | ") + " |"
    }
    let rule = "+" + widths.map { String(repeating: "-", count: $0 + 2) }.joined(separator: "+") + "+"
    return ([rule, line(header), rule] + rows.map(line) + [rule]).joined(separator: "\n")
  }
}
