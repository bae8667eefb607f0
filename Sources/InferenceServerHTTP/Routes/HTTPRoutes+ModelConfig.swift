internal import Hummingbird
internal import InferenceRuntime
internal import KServeProtocol
internal import SwiftProtobuf

#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif

/// A model configuration as Triton's HTTP API writes it: protobuf JSON with original field names, 64-bit
/// integers as numbers.
struct ModelConfigBody: ResponseEncodable {
  let value: JSONValue

  func encode(to encoder: any Encoder) throws { try value.encode(to: encoder) }

  /// 64-bit integer fields of ModelConfig, which protobuf JSON renders as strings.
  static let int64Fields: Set<String> = [
    "dims", "shape", "max_queue_delay_microseconds", "default_timeout_microseconds", "priority_levels",
    "default_priority_level", "max_sequence_idle_microseconds", "reshape", "batch_size", "timeout_microseconds",
    "default_queue_policy_timeout", "version_policy_versions", "versions", "count",
  ]

  /// `value` with the strings of ``int64Fields`` (and of arrays under them) turned into numbers.
  static func numericInt64Fields(_ value: JSONValue, key: String? = nil) -> JSONValue {
    switch value {
    case .object(let members):
      return .object(
        Dictionary(uniqueKeysWithValues: members.map { ($0.key, numericInt64Fields($0.value, key: $0.key)) }))
    case .array(let elements):
      return .array(elements.map { numericInt64Fields($0, key: key) })
    case .string(let text):
      if let key, int64Fields.contains(key), let number = Int64(text) { return .int(number) }
      return value
    default:
      return value
    }
  }
}

extension HTTPRoutes {
  /// Group `model-config`: the completed configuration of a model version.
  func addModelConfig(to router: Router<Context>) {
    let runtime = self.runtime
    let v2 = v2(router, .modelConfig)
    for prefix in Self.modelPrefixes {
      v2.get(RouterPath(prefix + "/config")) { _, context in
        let (name, version) = Self.modelAndVersion(context)
        var options = JSONEncodingOptions()
        options.preserveProtoFieldNames = true
        let text = try runtime.config(name: name, version: version).jsonString(options: options)
        return ModelConfigBody(value: ModelConfigBody.numericInt64Fields(try JSONValue.parse(Data(text.utf8))))
      }
    }
  }
}
