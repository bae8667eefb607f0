/// A request, tensor or response parameter value (KServe v2 `parameters`).
public enum InferenceParameter: Sendable, Hashable {
  case bool(Bool)
  case int64(Int64)
  case uint64(UInt64)
  case double(Double)
  case string(String)

  /// The value as a signed integer when it is one (or an unsigned one that fits).
  public var int64Value: Int64? {
    switch self {
    case .int64(let v): return v
    case .uint64(let v): return Int64(exactly: v)
    default: return nil
    }
  }
}
