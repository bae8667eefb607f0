internal import Foundation
internal import Logging

/// A swift-log handler writing one line per event to stderr: `time level label message key=value ...`,
/// or one JSON object per line with `--log-format json`.
struct StructuredLogHandler: LogHandler {
  let label: String
  let json: Bool
  var logLevel: Logger.Level
  var metadata: Logger.Metadata = [:]

  init(label: String, level: Logger.Level, json: Bool) {
    self.label = label
    self.logLevel = level
    self.json = json
  }

  subscript(metadataKey key: String) -> Logger.Metadata.Value? {
    get { metadata[key] }
    set { metadata[key] = newValue }
  }

  func log(event: LogEvent) {
    let merged = metadata.merging(event.metadata ?? [:]) { $1 }
    let time = Date().formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true))
    var line: String
    if json {
      var object: [String: String] = [
        "time": time, "level": event.level.rawValue, "label": label, "message": "\(event.message)",
      ]
      for (key, value) in merged { object[key] = "\(value)" }
      let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
      line = String(decoding: data, as: UTF8.self)
    } else {
      line = "\(time) \(event.level.rawValue.uppercased()) \(label): \(event.message)"
      for key in merged.keys.sorted() { line += " \(key)=\(merged[key]!)" }
    }
    FileHandle.standardError.write(Data((line + "\n").utf8))
  }
}
