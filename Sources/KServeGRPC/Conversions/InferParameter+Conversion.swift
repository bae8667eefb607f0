public import KServeProtocol

extension InferenceParameter {
  /// Converts a protobuf parameter; `nil` when no value is set.
  /// - Parameter proto: The wire parameter.
  public init?(_ proto: Inference_InferParameter) {
    switch proto.parameterChoice {
    case .boolParam(let v)?: self = .bool(v)
    case .int64Param(let v)?: self = .int64(v)
    case .uint64Param(let v)?: self = .uint64(v)
    case .doubleParam(let v)?: self = .double(v)
    case .stringParam(let v)?: self = .string(v)
    case nil: return nil
    }
  }

  /// The protobuf form.
  public var proto: Inference_InferParameter {
    var p = Inference_InferParameter()
    switch self {
    case .bool(let v): p.boolParam = v
    case .int64(let v): p.int64Param = v
    case .uint64(let v): p.uint64Param = v
    case .double(let v): p.doubleParam = v
    case .string(let v): p.stringParam = v
    }
    return p
  }

  static func convert(_ proto: [String: Inference_InferParameter]) -> [String: InferenceParameter] {
    proto.isEmpty ? [:] : proto.compactMapValues(InferenceParameter.init)
  }

  static func convert(_ values: [String: InferenceParameter]) -> [String: Inference_InferParameter] {
    values.isEmpty ? [:] : values.mapValues(\.proto)
  }
}
