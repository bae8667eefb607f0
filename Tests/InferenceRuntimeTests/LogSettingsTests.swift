import InferenceRuntime
import KServeProtocol
import Logging
import Testing

/// Triton's log settings over swift-log levels, and their run-time changes.
@Suite(.timeLimit(.minutes(1))) struct LogSettingsTests {
  @Test(arguments: Logger.Level.allCases) func aStartLevelWritesItselfAndWhatIsMoreSevere(_ level: Logger.Level) {
    let settings = LogSettings(level: level)
    for other in Logger.Level.allCases {
      // Triton's log_info covers swift-log's info and notice.
      let expected = other >= level || (level == .notice && other == .info)
      #expect(settings.allows(other) == expected, "start \(level), line \(other)")
    }
    #expect(settings.threshold == (level == .notice ? .info : level))
  }

  @Test func changesApplyAllOrNothing() throws {
    let store = LogSettingsStore(LogSettings(level: .info))
    let changed = try store.apply(["log_info": .bool(false), "log_verbose_level": .uint(1)])
    #expect(!changed.allows(.info) && !changed.allows(.notice))
    #expect(changed.allows(.debug) && !changed.allows(.trace))
    #expect(changed.allows(.warning) && changed.allows(.error))
    #expect(changed.threshold == .debug)
    #expect(store.settings == changed)
    for (changes, fragment) in [
      (["log_warning": LogSettingValue.bool(false), "log_info": .string("yes")], "'log_info' must be true or false"),
      (["log_file": .string("/var/log/offload")], "standard error"), (["log_format": .string("json")], "ISO8601"),
      (["log_colour": .bool(true)], "unknown log setting"), (["log_verbose_level": .bool(true)], "non-negative"),
    ] {
      let error = #expect(throws: InferenceError.self) { try store.apply(changes) }
      #expect(error?.message.contains(fragment) == true, "\(changes): \(error?.message ?? "")")
      #expect(store.settings == changed, "a refused change changes nothing")
    }
    #expect(
      try store.apply(["log_error": .bool(false), "log_warning": .bool(false), "log_verbose_level": .uint(0)])
        .threshold == .critical, "only critical lines are left, as Triton's fatal ones")
  }
}
