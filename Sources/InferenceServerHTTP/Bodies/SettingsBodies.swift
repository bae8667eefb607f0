internal import Hummingbird
internal import InferenceRuntime
internal import KServeProtocol

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

/// `GET|POST /v2/logging`: the log settings of the running server.
struct LogSettingsBody: ResponseEncodable {
  var logFile = ""
  var logInfo: Bool
  var logWarning: Bool
  var logError: Bool
  var logVerboseLevel: UInt32
  var logFormat: String

  enum CodingKeys: String, CodingKey {
    case logFile = "log_file", logInfo = "log_info", logWarning = "log_warning", logError = "log_error"
    case logVerboseLevel = "log_verbose_level", logFormat = "log_format"
  }

  init(_ settings: LogSettings) {
    logInfo = settings.info
    logWarning = settings.warning
    logError = settings.error
    logVerboseLevel = settings.verboseLevel
    logFormat = settings.format
  }
}

/// `POST /v2/logging` request: any of Triton's fields, each JSON value kept with its type (the store says
/// which type each setting takes).
struct LogSettingsUpdateRequestBody: Decodable {
  var changes: [String: LogSettingValue]

  init(from decoder: any Decoder) throws {
    let object = try decoder.container(keyedBy: JSONValue.AnyKey.self)
    var changes: [String: LogSettingValue] = [:]
    for key in object.allKeys {
      switch try object.decode(JSONValue.self, forKey: key) {
      case .bool(let on): changes[key.stringValue] = .bool(on)
      case .int(let number) where number >= 0: changes[key.stringValue] = .uint(UInt64(number))
      case .uint(let number): changes[key.stringValue] = .uint(number)
      case .string(let text): changes[key.stringValue] = .string(text)
      default:
        throw DecodingError.typeMismatch(
          LogSettingValue.self,
          .init(codingPath: [key], debugDescription: "a log setting is a boolean, a non-negative integer or a string"))
      }
    }
    self.changes = changes
  }
}

/// A settings request body: only the empty object is accepted (the settings cannot be changed yet).
struct SettingsUpdateRequestBody: Decodable {
  var fields: Set<String>

  init(from decoder: any Decoder) throws {
    fields = Set(try decoder.container(keyedBy: JSONValue.AnyKey.self).allKeys.map(\.stringValue))
  }
}
