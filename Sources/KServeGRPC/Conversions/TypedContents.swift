public import KServeProtocol

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// Packs the typed `contents` fields of a tensor into the raw little-endian layout.
public enum TypedContents {
  /// Packs typed contents.
  /// - Parameters:
  ///   - contents: The typed contents.
  ///   - datatype: The tensor's datatype, which selects the field.
  ///   - shape: The tensor's shape (its element count must match the field's length).
  ///   - name: Tensor name for messages.
  /// - Throws: ``InferenceError`` (invalidArgument) for a count mismatch, a value out of the type's range,
  ///   or FP16/BF16 (which have no typed field).
  public static func pack(
    _ contents: Inference_InferTensorContents, as datatype: DataType, shape: [Int64], name: String
  )
    throws -> Data
  {
    guard let count = TensorShape.elementCount(shape) else {
      throw InferenceError(.invalidArgument, "tensor '\(name)' has invalid shape \(TensorShape.describe(shape))")
    }
    func check(_ actual: Int, _ field: String) throws {
      guard actual == count else {
        throw InferenceError(
          .invalidArgument,
          "tensor '\(name)' has \(actual) value(s) in contents.\(field) but shape \(TensorShape.describe(shape)) needs \(count)"
        )
      }
    }
    switch datatype {
    case .bool:
      try check(contents.boolContents.count, "bool_contents")
      return Data(contents.boolContents.map { $0 ? 1 : 0 })
    case .uint8:
      try check(contents.uintContents.count, "uint_contents");
      return try narrow(contents.uintContents, UInt8.self, name)
    case .uint16:
      try check(contents.uintContents.count, "uint_contents");
      return try narrow(contents.uintContents, UInt16.self, name)
    case .uint32: try check(contents.uintContents.count, "uint_contents"); return bytes(contents.uintContents)
    case .uint64: try check(contents.uint64Contents.count, "uint64_contents"); return bytes(contents.uint64Contents)
    case .int8:
      try check(contents.intContents.count, "int_contents"); return try narrow(contents.intContents, Int8.self, name)
    case .int16:
      try check(contents.intContents.count, "int_contents"); return try narrow(contents.intContents, Int16.self, name)
    case .int32: try check(contents.intContents.count, "int_contents"); return bytes(contents.intContents)
    case .int64: try check(contents.int64Contents.count, "int64_contents"); return bytes(contents.int64Contents)
    case .fp32:
      try check(contents.fp32Contents.count, "fp32_contents"); return bytes(contents.fp32Contents.map(\.bitPattern))
    case .fp64:
      try check(contents.fp64Contents.count, "fp64_contents"); return bytes(contents.fp64Contents.map(\.bitPattern))
    case .bytes:
      try check(contents.bytesContents.count, "bytes_contents")
      return BytesTensorCodec.encode(contents.bytesContents)
    case .fp16, .bf16:
      throw InferenceError(
        .invalidArgument,
        "tensor '\(name)' is \(datatype.rawValue), which has no typed contents field; send it in raw_input_contents")
    }
  }

  private static func bytes<T: FixedWidthInteger>(_ values: [T]) -> Data {
    var data = Data(count: values.count * MemoryLayout<T>.size)
    data.withUnsafeMutableBytes { raw in
      for (i, v) in values.enumerated() {
        raw.storeBytes(of: v.littleEndian, toByteOffset: i * MemoryLayout<T>.size, as: T.self)
      }
    }
    return data
  }

  private static func narrow<Wide: FixedWidthInteger, Narrow: FixedWidthInteger>(
    _ values: [Wide], _ type: Narrow.Type, _ name: String
  ) throws -> Data {
    try bytes(
      values.map { v in
        guard let n = Narrow(exactly: v) else {
          throw InferenceError(.invalidArgument, "tensor '\(name)' has value \(v), outside the range of \(Narrow.self)")
        }
        return n
      })
  }
}
