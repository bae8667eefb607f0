public import KServeProtocol
public import TritonModelConfig

extension DataType {
  /// The datatype a config.pbtxt `data_type` names, or `nil` for `TYPE_INVALID`.
  /// - Parameter config: The config enum value.
  public init?(config: Inference_DataType) {
    switch config {
    case .typeBool: self = .bool
    case .typeUint8: self = .uint8
    case .typeUint16: self = .uint16
    case .typeUint32: self = .uint32
    case .typeUint64: self = .uint64
    case .typeInt8: self = .int8
    case .typeInt16: self = .int16
    case .typeInt32: self = .int32
    case .typeInt64: self = .int64
    case .typeFp16: self = .fp16
    case .typeBf16: self = .bf16
    case .typeFp32: self = .fp32
    case .typeFp64: self = .fp64
    case .typeString: self = .bytes
    default: return nil
    }
  }

  /// The config enum value for this datatype.
  public var configValue: Inference_DataType {
    switch self {
    case .bool: return .typeBool
    case .uint8: return .typeUint8
    case .uint16: return .typeUint16
    case .uint32: return .typeUint32
    case .uint64: return .typeUint64
    case .int8: return .typeInt8
    case .int16: return .typeInt16
    case .int32: return .typeInt32
    case .int64: return .typeInt64
    case .fp16: return .typeFp16
    case .bf16: return .typeBf16
    case .fp32: return .typeFp32
    case .fp64: return .typeFp64
    case .bytes: return .typeString
    }
  }
}
