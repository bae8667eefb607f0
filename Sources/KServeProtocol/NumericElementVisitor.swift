/// Code that works on the Swift element type of a numeric tensor, with integers and floating-point numbers
/// apart (they rank, print and convert differently). ``DataType/visitNumeric(_:)`` picks the method and the
/// type for a datatype, so each use needs no switch of its own over the datatypes.
public protocol NumericElementVisitor {
  /// What the visit returns.
  associatedtype Output
  /// What the visit throws (`Never` for a visit that cannot fail).
  associatedtype Failure: Error
  /// Called for UINT8 … UINT64 and INT8 … INT64.
  func integer<T: TensorElement & FixedWidthInteger>(_ type: T.Type) throws(Failure) -> Output
  /// Called for FP16 (where the platform has `Float16`), FP32 and FP64.
  func floatingPoint<T: TensorElement & BinaryFloatingPoint>(_ type: T.Type) throws(Failure) -> Output
}

extension DataType {
  /// Calls `visitor` with this datatype's Swift element type; `nil` for the datatypes without a numeric Swift
  /// type (BOOL, BYTES, BF16, and FP16 where the platform has no `Float16`).
  public func visitNumeric<V: NumericElementVisitor>(_ visitor: V) throws(V.Failure) -> V.Output? {
    switch self {
    case .uint8: return try visitor.integer(UInt8.self)
    case .uint16: return try visitor.integer(UInt16.self)
    case .uint32: return try visitor.integer(UInt32.self)
    case .uint64: return try visitor.integer(UInt64.self)
    case .int8: return try visitor.integer(Int8.self)
    case .int16: return try visitor.integer(Int16.self)
    case .int32: return try visitor.integer(Int32.self)
    case .int64: return try visitor.integer(Int64.self)
    case .fp32: return try visitor.floatingPoint(Float.self)
    case .fp64: return try visitor.floatingPoint(Double.self)
    case .fp16:
      #if !(os(macOS) && arch(x86_64))
      return try visitor.floatingPoint(Float16.self)
      #else
      return nil
      #endif
    case .bool, .bytes, .bf16: return nil
    }
  }
}
