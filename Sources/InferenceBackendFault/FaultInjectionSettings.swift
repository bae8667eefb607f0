internal import InferenceRuntime
internal import KServeProtocol
internal import TritonModelConfig

#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif

/// What a fault model is told to do: its config.pbtxt `parameters` and its model file's directives
/// (see ``FaultInjectionBackend``).
struct FaultInjectionSettings: Sendable, Equatable {
  /// Words a `model.fault` file may hold.
  struct Directives: Sendable, Equatable {
    static let known = ["fail_load", "fail_signature"]

    /// Every instance fails to load.
    var failLoad = false
    /// Reading the signature fails.
    var failSignature = false

    /// Reads the directives of a model file.
    /// - Throws: ``InferenceError`` (invalidArgument) for an unreadable file or an unknown word.
    init(contentsOf file: URL) throws {
      let text: String
      do {
        text = try String(contentsOf: file, encoding: .utf8)
      } catch {
        throw InferenceError(.invalidArgument, "fault backend: cannot read model file \(file.path): \(error)")
      }
      try self.init(text: text, file: file.path)
    }

    /// Parses directives; `file` names the source in errors.
    init(text: String, file: String) throws {
      for line in text.split(whereSeparator: \.isNewline) {
        let content = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        for word in content.split(whereSeparator: \.isWhitespace) {
          switch word {
          case "fail_load": failLoad = true
          case "fail_signature": failSignature = true
          default:
            throw InferenceError(
              .invalidArgument,
              "fault backend: \(file) holds unknown directive '\(word)'; known: \(Self.known.joined(separator: ", "))")
          }
        }
      }
    }
  }

  /// Sleep before every execution.
  var delay: Duration = .zero
  /// How long `ACTION` 2 hangs, in milliseconds.
  var hangMillis = 10_000
  /// Every instance fails to load.
  var failLoad = false

  /// How long `ACTION` 2 hangs.
  var hang: Duration { .milliseconds(hangMillis) }

  /// Reads the settings of a model.
  /// - Throws: ``InferenceError`` (invalidArgument) naming a malformed parameter.
  init(config: Inference_ModelConfig, directives: Directives) throws {
    let model = config.name
    func integer(_ key: String, range: ClosedRange<Int>) throws -> Int? {
      guard let text = config.parameters[key]?.stringValue else { return nil }
      guard let value = Int(text.trimmingWhitespace()), range.contains(value) else {
        throw InferenceError(
          .invalidArgument,
          "model '\(model)': parameter '\(key)' is '\(text)'; expected an integer in "
            + "\(range.lowerBound)...\(range.upperBound)")
      }
      return value
    }
    if let micros = try integer("delay_us", range: 0...60_000_000) { delay = .microseconds(micros) }
    if let millis = try integer("hang_ms", range: 0...86_400_000) { hangMillis = millis }
    failLoad = directives.failLoad
    if let text = config.parameters["fail_load"]?.stringValue {
      switch text.lowercased().trimmingWhitespace() {
      case "1", "true", "yes": failLoad = true
      case "0", "false", "no": break
      default:
        throw InferenceError(
          .invalidArgument, "model '\(model)': parameter 'fail_load' is '\(text)'; use true or false")
      }
    }
  }
}
