internal import InferenceRuntime
internal import Logging
internal import OffloadMeasurement

#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif

/// A swift-log handler writing one line per event to stderr: `time level label message key=value ...`,
/// or one JSON object per line with `--log-format json`.
///
/// What is written follows the server's ``LogSettingsStore`` line by line, so Triton's LogSettings (gRPC and
/// `/v2/logging`) change it at run time; a logger that sets its own level keeps that level.
struct StructuredLogHandler: LogHandler {
  let label: String
  let json: Bool
  let settings: LogSettingsStore
  private var ownLevel: Logger.Level?
  var metadata: Logger.Metadata = [:]

  init(label: String, settings: LogSettingsStore, json: Bool) {
    self.label = label
    self.settings = settings
    self.json = json
  }

  var logLevel: Logger.Level {
    get { ownLevel ?? settings.settings.threshold }
    set { ownLevel = newValue }
  }

  subscript(metadataKey key: String) -> Logger.Metadata.Value? {
    get { metadata[key] }
    set { metadata[key] = newValue }
  }

  func log(event: LogEvent) {
    if ownLevel == nil, !settings.settings.allows(event.level) { return }
    let merged = metadata.merging(event.metadata ?? [:]) { $1 }
    let time = Date().formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true))
    var line: String
    if json {
      var object: [String: String] = [
        "time": time, "level": event.level.rawValue, "label": label, "message": "\(event.message)",
      ]
      for (key, value) in merged { object[key] = "\(value)" }
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
      let data = (try? encoder.encode(object)) ?? Data()
      line = String(decoding: data, as: UTF8.self)
    } else {
      line = "\(time) \(event.level.rawValue.uppercased()) \(label): \(event.message)"
      for key in merged.keys.sorted() { line += " \(key)=\(merged[key]!)" }
    }
    StandardError.write(line + "\n")
  }
}
