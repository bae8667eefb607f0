internal import Hummingbird
internal import Logging

/// `GET|POST /v2[/models/{model}]/trace/setting`: the trace settings, reported as Triton's defaults (request
/// tracing is not implemented, so they cannot be changed).
struct TraceSettingsBody: ResponseEncodable {
  var traceLevel = ["OFF"]
  var traceRate = "1000"
  var traceCount = "-1"
  var logFrequency = "0"
  var traceFile = ""
  var traceMode = "triton"

  enum CodingKeys: String, CodingKey {
    case traceLevel = "trace_level", traceRate = "trace_rate", traceCount = "trace_count"
    case logFrequency = "log_frequency", traceFile = "trace_file", traceMode = "trace_mode"
  }
}

/// `GET|POST /v2/logging`: the log settings of the running server (fixed at start by `--log-level`).
struct LogSettingsBody: ResponseEncodable {
  var logFile = ""
  var logInfo: Bool
  var logWarning: Bool
  var logError: Bool
  var logVerboseLevel: Int
  var logFormat = "default"

  enum CodingKeys: String, CodingKey {
    case logFile = "log_file", logInfo = "log_info", logWarning = "log_warning", logError = "log_error"
    case logVerboseLevel = "log_verbose_level", logFormat = "log_format"
  }

  init(level: Logger.Level) {
    logInfo = level <= .info
    logWarning = level <= .warning
    logError = level <= .error
    logVerboseLevel = level <= .debug ? 1 : 0
  }
}

/// A settings request body: only the empty object is accepted (the settings cannot be changed yet).
struct SettingsUpdateRequestBody: Decodable {
  var fields: Set<String>

  init(from decoder: any Decoder) throws {
    fields = Set(try decoder.container(keyedBy: JSONValue.AnyKey.self).allKeys.map(\.stringValue))
  }
}
