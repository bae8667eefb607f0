internal import KServeProtocol
internal import SwiftProtobuf
public import TritonModelConfig

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// Reads `config.pbtxt` into the real `ModelConfig` message with swift-protobuf's TextFormat decoder.
public enum ModelConfigFile {
  /// The result of reading a model directory's configuration.
  public struct Contents: Sendable {
    /// The parsed configuration (empty when the file is absent).
    public var config: Inference_ModelConfig
    /// Whether a `config.pbtxt` existed.
    public var fileExists: Bool
    /// Whether the file set `max_batch_size` explicitly (proto3 cannot tell 0 from absent).
    public var setsMaxBatchSize: Bool
  }

  /// Reads `<directory>/config.pbtxt` if present.
  /// - Parameter directory: The model directory.
  /// - Throws: ``InferenceError`` with the file, line and column of a syntax error.
  public static func read(modelDirectory directory: URL) throws -> Contents {
    let file = directory.appendingPathComponent("config.pbtxt")
    guard FileManager.default.fileExists(atPath: file.path) else {
      return Contents(config: Inference_ModelConfig(), fileExists: false, setsMaxBatchSize: false)
    }
    let bytes: Data
    do {
      bytes = try Data(contentsOf: file)
    } catch {
      throw InferenceError(.internal, "cannot read \(file.path): \(error)")
    }
    guard let text = String(data: bytes, encoding: .utf8) else {
      throw InferenceError(.invalidArgument, "\(file.path) is not valid UTF-8 text")
    }
    return try contents(ofText: text, path: file.path)
  }

  /// What ``read(modelDirectory:)`` returns for a `config.pbtxt` holding `text` (also the fuzz harness's entry).
  /// - Parameters:
  ///   - text: The text format content.
  ///   - path: The file path, for messages.
  /// - Throws: ``InferenceError`` (invalidArgument) naming `path:line:column` and the problem.
  package static func contents(ofText text: String, path: String) throws -> Contents {
    let config = try parse(text, path: path)
    let setsMaxBatchSize = text.split(separator: "\n").contains { line in
      line.drop { $0 == " " || $0 == "\t" }.hasPrefix("max_batch_size")
    }
    return Contents(config: config, fileExists: true, setsMaxBatchSize: setsMaxBatchSize)
  }

  /// Parses config text.
  /// - Parameters:
  ///   - text: The text format content.
  ///   - path: The file path, for messages.
  /// - Throws: ``InferenceError`` (invalidArgument) naming `path:line:column` and the problem.
  public static func parse(_ text: String, path: String) throws -> Inference_ModelConfig {
    do {
      return try Inference_ModelConfig(textFormatString: text)
    } catch let error as TextFormatDecodingError {
      let (line, column) = locate(error: error, in: text)
      throw InferenceError(
        .invalidArgument,
        "\(path):\(line):\(column): \(explain(error)); fix config.pbtxt (schema: Triton's model_config.proto)")
    } catch {
      throw InferenceError(.invalidArgument, "\(path): \(error)")
    }
  }

  /// Finds the line of a syntax error. The decoder reports no position, so (on the error path only)
  /// parse growing prefixes of whole lines, each closed with the brackets still open; the first prefix
  /// that fails holds the error in its last line.
  static func locate(error: TextFormatDecodingError, in text: String) -> (Int, Int) {
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    var prefix = ""
    var open: [Character] = []
    for (index, line) in lines.enumerated() {
      prefix += line + "\n"
      track(line, open: &open)
      var candidate = prefix
      while let last = candidate.last, last.isWhitespace || last == "," || last == ";" { candidate.removeLast() }
      candidate += " " + String(open.reversed().map { $0 == "{" ? "}" : $0 == "<" ? ">" : "]" })
      do {
        _ = try Inference_ModelConfig(textFormatString: candidate)
      } catch {
        let column =
          (line.firstIndex { $0 != " " && $0 != "\t" }).map { line.distance(from: line.startIndex, to: $0) } ?? 0
        return (index + 1, column + 1)
      }
    }
    return (max(lines.count, 1), 1)
  }

  /// Updates the stack of open brackets with one line, skipping quoted strings and `#` comments.
  private static func track(_ line: Substring, open: inout [Character]) {
    var quote: Character?
    var escaped = false
    for character in line {
      if let q = quote {
        if escaped {
          escaped = false
        } else if character == "\\" {
          escaped = true
        } else if character == q {
          quote = nil
        }
        continue
      }
      switch character {
      case "\"", "'": quote = character
      case "#": return
      case "{", "[", "<": open.append(character)
      case "}", "]", ">": if !open.isEmpty { open.removeLast() }
      default: break
      }
    }
  }

  static func explain(_ error: TextFormatDecodingError) -> String {
    switch error {
    case .unknownField: return "unknown field name (not a field of ModelConfig or of the enclosing message)"
    case .unrecognizedEnumValue: return "unrecognized enum value (e.g. data_type must be TYPE_FP32, TYPE_INT64 ...)"
    case .malformedNumber: return "malformed number"
    case .malformedText: return "malformed text (check quotes, colons and braces)"
    case .truncated: return "unexpected end of file (an unclosed '{' or '[')"
    case .trailingGarbage: return "unexpected text after the end of the configuration"
    case .invalidUTF8: return "invalid UTF-8 in a string"
    case .schemaMismatch: return "value does not match the field's type"
    case .conflictingOneOf: return "two fields of the same oneof are set"
    default: return "invalid text format (\(error))"
    }
  }
}
