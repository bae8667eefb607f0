/// A tensor element type as ONNX Runtime numbers it (`ONNXTensorElementDataType` in the C API header).
///
/// The raw values are the header's enumerators; types the header added later (float8, int4, ...)
/// have no case here and are reported as ``undefined``.
enum ORTElementType: Int32, Sendable, CaseIterable {
  case undefined = 0
  case float = 1
  case uint8
  case int8
  case uint16
  case int16
  case int32
  case int64
  case string
  case bool
  case float16
  case double
  case uint32
  case uint64
  case complex64
  case complex128
  case bfloat16

  /// Bytes per element in ONNX Runtime's tensor buffers, or `nil` for ``string`` and ``undefined``.
  /// `bool` is one byte; `float16` and `bfloat16` are two.
  var byteSize: Int? {
    switch self {
    case .undefined, .string: return nil
    case .uint8, .int8, .bool: return 1
    case .uint16, .int16, .float16, .bfloat16: return 2
    case .int32, .uint32, .float: return 4
    case .int64, .uint64, .double, .complex64: return 8
    case .complex128: return 16
    }
  }

  /// The ONNX spelling used inside `tensor(...)` type names, e.g. `float`, `string`, `float16`.
  var onnxName: String {
    switch self {
    case .undefined: return "undefined"
    case .float: return "float"
    case .uint8: return "uint8"
    case .int8: return "int8"
    case .uint16: return "uint16"
    case .int16: return "int16"
    case .int32: return "int32"
    case .int64: return "int64"
    case .string: return "string"
    case .bool: return "bool"
    case .float16: return "float16"
    case .double: return "double"
    case .uint32: return "uint32"
    case .uint64: return "uint64"
    case .complex64: return "complex64"
    case .complex128: return "complex128"
    case .bfloat16: return "bfloat16"
    }
  }

  /// Maps a raw `ONNXTensorElementDataType` to a case, or ``undefined`` when this binding does not know it.
  init(code: Int32) {
    self = ORTElementType(rawValue: code) ?? .undefined
  }
}
