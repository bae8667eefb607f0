#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif

/// One output tensor of ``ORTSession/run(inputs:outputNames:)``, copied out of ONNX Runtime's memory.
struct ORTOutput: Sendable {
  /// The model output name.
  let name: String
  /// Element type.
  let elementType: ORTElementType
  /// Concrete dimensions.
  let shape: [Int64]
  /// Raw little-endian element bytes (element count × element size; bool is one byte per element,
  /// float16/bfloat16 two), copied once out of ORT's buffer. Empty for string tensors and zero-element tensors.
  let bytes: Data
  /// One byte string per element for string tensors (may contain NUL bytes); empty otherwise.
  let strings: [[UInt8]]

  init(name: String, elementType: ORTElementType, shape: [Int64], bytes: Data, strings: [[UInt8]]) {
    self.name = name
    self.elementType = elementType
    self.shape = shape
    self.bytes = bytes
    self.strings = strings
  }
}
