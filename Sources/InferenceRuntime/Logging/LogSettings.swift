internal import KServeProtocol
public import Logging
internal import Synchronization

/// Triton's log settings (the LogSettings RPC, `GET|POST /v2/logging`): which severities are written, the
/// verbose level, and the line format. `log_file` is always empty: logs go to standard error.
public struct LogSettings: Sendable, Equatable {
  /// Informational lines (swift-log `info` and `notice`).
  public var info: Bool
  /// Warnings.
  public var warning: Bool
  /// Errors (swift-log `error`; `critical` lines are always written, as Triton always writes fatal ones).
  public var error: Bool
  /// Verbose lines: 0 none, 1 `debug`, 2 and above `trace` too.
  public var verboseLevel: UInt32
  /// Triton's `log_format`: `default` or `ISO8601` (Offload's text lines carry ISO 8601 times either way).
  public var format: String

  /// The settings that write `level` and everything more severe (what `--log-level` gives); Triton has no
  /// `notice`, so `notice` writes `info` lines too (`log_info` covers both).
  public init(level: Logger.Level, format: String = "default") {
    info = level <= .notice
    warning = level <= .warning
    error = level <= .error
    verboseLevel = level == .trace ? 2 : level == .debug ? 1 : 0
    self.format = format
  }

  /// Whether a line of `level` is written.
  public func allows(_ level: Logger.Level) -> Bool {
    switch level {
    case .trace: verboseLevel >= 2
    case .debug: verboseLevel >= 1
    case .info, .notice: info
    case .warning: warning
    case .error: error
    case .critical: true
    }
  }

  /// The least severe level written (swift-log's pre-filter).
  public var threshold: Logger.Level {
    Logger.Level.allCases.first(where: allows) ?? .critical
  }
}

/// One setting in a change request, as the protocols carry it.
public enum LogSettingValue: Sendable, Equatable {
  case bool(Bool)
  case uint(UInt64)
  case string(String)
}

/// The server's current log settings, shared by the log handler (which reads them for every line) and
/// both front ends (which read and change them at run time, as Triton's LogSettings does).
public final class LogSettingsStore: Sendable {
  private let current: Mutex<LogSettings>

  /// A store starting with `settings`.
  public init(_ settings: LogSettings) { current = Mutex(settings) }

  /// The settings now.
  public var settings: LogSettings { current.withLock { $0 } }

  /// Applies Triton's changes (`log_info`, `log_warning`, `log_error`: booleans; `log_verbose_level`: a
  /// non-negative integer; `log_format`: `default` or `ISO8601`; `log_file`: only empty) all or nothing.
  /// - Returns: The settings after the change.
  /// - Throws: ``InferenceError`` (invalid argument) naming the setting and what it takes; nothing changes.
  @discardableResult
  public func apply(_ changes: [String: LogSettingValue]) throws -> LogSettings {
    var next = settings
    for (key, value) in changes.sorted(by: { $0.key < $1.key }) {
      switch (key, value) {
      case ("log_info", .bool(let on)): next.info = on
      case ("log_warning", .bool(let on)): next.warning = on
      case ("log_error", .bool(let on)): next.error = on
      case ("log_verbose_level", .uint(let level)): next.verboseLevel = UInt32(clamping: level)
      case ("log_format", .string(let format)) where ["default", "ISO8601"].contains(format): next.format = format
      case ("log_file", .string("")): break
      case ("log_file", _):
        throw InferenceError(
          .invalidArgument, "log setting 'log_file': this server writes its log to standard error only; send \"\"")
      case ("log_format", _):
        throw InferenceError(.invalidArgument, "log setting 'log_format' must be \"default\" or \"ISO8601\"")
      case ("log_info", _), ("log_warning", _), ("log_error", _):
        throw InferenceError(.invalidArgument, "log setting '\(key)' must be true or false")
      case ("log_verbose_level", _):
        throw InferenceError(.invalidArgument, "log setting 'log_verbose_level' must be a non-negative integer")
      default:
        throw InferenceError(
          .invalidArgument,
          "unknown log setting '\(key)'; Triton's are log_file, log_info, log_warning, log_error, "
            + "log_verbose_level and log_format")
      }
    }
    let settled = next
    current.withLock { $0 = settled }
    return settled
  }
}
