/// A model input or output as an ``ORTSession`` reports it.
struct ORTTensorInfo: Sendable, Equatable {
  /// The input or output name.
  let name: String
  /// Element type; ``ORTElementType/undefined`` for non-tensors and for element types this binding
  /// does not know (see ``typeName``).
  let elementType: ORTElementType
  /// Dimensions, -1 for symbolic or unknown ones; empty for non-tensors.
  let shape: [Int64]
  /// Whether the value is a dense tensor (`ONNX_TYPE_TENSOR`); sequences, maps, optionals and
  /// sparse tensors are not.
  let isTensor: Bool
  /// ONNX-style type name for messages: `tensor(float)`, `tensor(element type 17)`, `sequence`, ...
  let typeName: String

  init(name: String, elementType: ORTElementType, shape: [Int64], isTensor: Bool, typeName: String) {
    self.name = name
    self.elementType = elementType
    self.shape = shape
    self.isTensor = isTensor
    self.typeName = typeName
  }

  /// The header's `ONNXType` names, indexed by value.
  static func onnxTypeName(_ onnxType: Int32) -> String {
    switch onnxType {
    case 1: return "tensor"
    case 2: return "sequence"
    case 3: return "map"
    case 4: return "opaque"
    case 5: return "sparse_tensor"
    case 6: return "optional"
    default: return "unknown(\(onnxType))"
    }
  }

  /// `tensor(<element>)` for a raw `ONNXTensorElementDataType`, naming unknown codes by number.
  static func tensorTypeName(elementCode: Int32) -> String {
    if let known = ORTElementType(rawValue: elementCode), known != .undefined {
      return "tensor(\(known.onnxName))"
    }
    return "tensor(element type \(elementCode))"
  }
}
