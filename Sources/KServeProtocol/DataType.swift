/// A KServe v2 / Triton tensor element type, spelled as on the wire ("FP32", "BYTES", ...).
public enum DataType: String, Sendable, CaseIterable, Hashable {
  case bool = "BOOL"
  case uint8 = "UINT8"
  case uint16 = "UINT16"
  case uint32 = "UINT32"
  case uint64 = "UINT64"
  case int8 = "INT8"
  case int16 = "INT16"
  case int32 = "INT32"
  case int64 = "INT64"
  case fp16 = "FP16"
  case bf16 = "BF16"
  case fp32 = "FP32"
  case fp64 = "FP64"
  case bytes = "BYTES"

  /// Size of one element in bytes, or `nil` for variable-length `BYTES`.
  public var elementSize: Int? {
    switch self {
    case .bool, .uint8, .int8: return 1
    case .uint16, .int16, .fp16, .bf16: return 2
    case .uint32, .int32, .fp32: return 4
    case .uint64, .int64, .fp64: return 8
    case .bytes: return nil
    }
  }

  /// Parses a wire name, accepting Triton's config spelling (`TYPE_FP32`, `TYPE_STRING`) as well.
  /// - Parameter name: `"FP32"`, `"TYPE_FP32"`, `"TYPE_STRING"`, ...
  public init?(wireOrConfigName name: String) {
    if let value = DataType(rawValue: name) {
      self = value
      return
    }
    guard name.hasPrefix("TYPE_") else { return nil }
    let bare = String(name.dropFirst(5))
    if bare == "STRING" {
      self = .bytes
      return
    }
    guard let value = DataType(rawValue: bare) else { return nil }
    self = value
  }
}
