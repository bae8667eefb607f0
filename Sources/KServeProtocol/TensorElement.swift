#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif

/// A Swift scalar type with a fixed-size KServe v2 datatype, so tensors convert to and from Swift arrays
/// and buffers with one memory copy and no per-element boxing.
///
/// | Swift | datatype |
/// |---|---|
/// | `Bool` | BOOL |
/// | `UInt8`, `UInt16`, `UInt32`, `UInt64` | UINT8 … UINT64 |
/// | `Int8`, `Int16`, `Int32`, `Int64` | INT8 … INT64 |
/// | `Float16` | FP16 (where the platform has `Float16`) |
/// | `Float`, `Double` | FP32, FP64 |
///
/// The wire layout is little-endian; every platform Offload runs on is little-endian, which is checked
/// once at run time by ``InferenceTensor/init(name:values:shape:parameters:)``.
public protocol TensorElement: BitwiseCopyable, Sendable {
  /// The datatype this Swift type travels as.
  static var dataType: DataType { get }
}

extension Bool: TensorElement { public static var dataType: DataType { .bool } }
extension UInt8: TensorElement { public static var dataType: DataType { .uint8 } }
extension UInt16: TensorElement { public static var dataType: DataType { .uint16 } }
extension UInt32: TensorElement { public static var dataType: DataType { .uint32 } }
extension UInt64: TensorElement { public static var dataType: DataType { .uint64 } }
extension Int8: TensorElement { public static var dataType: DataType { .int8 } }
extension Int16: TensorElement { public static var dataType: DataType { .int16 } }
extension Int32: TensorElement { public static var dataType: DataType { .int32 } }
extension Int64: TensorElement { public static var dataType: DataType { .int64 } }
extension Float: TensorElement { public static var dataType: DataType { .fp32 } }
extension Double: TensorElement { public static var dataType: DataType { .fp64 } }
#if !(os(macOS) && arch(x86_64))
extension Float16: TensorElement { public static var dataType: DataType { .fp16 } }
#endif

private let hostIsLittleEndian = 1.littleEndian == 1

extension InferenceTensor {
  /// Creates a tensor from Swift values (one copy into the wire buffer).
  /// - Parameters:
  ///   - name: Tensor name.
  ///   - values: Elements in row-major order; their count must match `shape`.
  ///   - shape: Full shape, including any batch dimension.
  ///   - parameters: Per-tensor parameters.
  /// - Throws: ``InferenceError`` (invalid argument) when the count disagrees with the shape.
  public init<C: Collection>(
    name: String, values: C, shape: [Int64], parameters: [String: InferenceParameter] = [:]
  ) throws where C.Element: TensorElement {
    precondition(hostIsLittleEndian, "Offload's tensor helpers assume a little-endian host")
    guard let expected = TensorShape.elementCount(shape), expected == values.count else {
      throw InferenceError(
        .invalidArgument,
        "tensor '\(name)': \(values.count) value(s) do not fill shape \(TensorShape.describe(shape)); "
          + "give as many values as the product of the dimensions")
    }
    let data =
      values.withContiguousStorageIfAvailable { Data(UnsafeRawBufferPointer($0)) }
      ?? Array(values).withUnsafeBytes { Data($0) }
    self.init(name: name, datatype: C.Element.dataType, shape: shape, data: data, parameters: parameters)
  }

  /// Creates a one-dimensional tensor (shape `[count]`) from Swift values.
  public init<C: Collection>(name: String, values: C) where C.Element: TensorElement {
    // A 1-D shape always matches its own count.
    try! self.init(name: name, values: values, shape: [Int64(values.count)])
  }

  /// Creates a `BYTES` tensor from strings (UTF-8) or byte arrays.
  /// - Throws: ``InferenceError`` when the count disagrees with the shape.
  public init<C: Collection>(
    name: String, strings: C, shape: [Int64], parameters: [String: InferenceParameter] = [:]
  ) throws where C.Element: StringProtocol {
    guard let expected = TensorShape.elementCount(shape), expected == strings.count else {
      throw InferenceError(
        .invalidArgument,
        "tensor '\(name)': \(strings.count) string(s) do not fill shape \(TensorShape.describe(shape))")
    }
    let data = BytesTensorCodec.encode(strings.map { Array($0.utf8) })
    self.init(name: name, datatype: .bytes, shape: shape, data: data, parameters: parameters)
  }

  /// The elements as a Swift array (one copy out of the wire buffer).
  /// - Parameter type: The element type; it must match ``datatype``.
  /// - Throws: ``InferenceError`` when the datatype differs or the byte count does not fit the shape.
  public func values<T: TensorElement>(as type: T.Type = T.self) throws -> [T] {
    try checkElementType(T.self)
    let count = data.count / MemoryLayout<T>.stride
    return [T](unsafeUninitializedCapacity: count) { buffer, initialized in
      _ = data.copyBytes(to: buffer)
      initialized = count
    }
  }

  /// Lends the elements as a typed buffer without copying where the storage is aligned.
  /// - Parameters:
  ///   - type: The element type; it must match ``datatype``.
  ///   - body: Reads the elements; the buffer is only valid inside it.
  /// - Throws: ``InferenceError`` on a datatype mismatch, or what `body` throws.
  public func withValues<T: TensorElement, R>(
    as type: T.Type, _ body: (UnsafeBufferPointer<T>) throws -> R
  ) throws -> R {
    try checkElementType(T.self)
    return try data.withUnsafeBytes { raw in
      let count = raw.count / MemoryLayout<T>.stride
      if count == 0 { return try body(UnsafeBufferPointer(start: nil, count: 0)) }
      if Int(bitPattern: raw.baseAddress) % MemoryLayout<T>.alignment == 0 {
        return try body(UnsafeBufferPointer(start: raw.baseAddress!.assumingMemoryBound(to: T.self), count: count))
      }
      let copy = try values(as: T.self)
      return try copy.withUnsafeBufferPointer(body)
    }
  }

  /// The elements of a `BYTES` tensor as strings (invalid UTF-8 is repaired).
  /// - Throws: ``InferenceError`` when the tensor is not `BYTES` or its layout is broken.
  public func strings() throws -> [String] {
    guard datatype == .bytes else {
      throw InferenceError(.invalidArgument, "tensor '\(name)' is \(datatype.rawValue), not BYTES")
    }
    return try BytesTensorCodec.decode(data, expectedCount: elementCount ?? 0, tensorName: name).map {
      String(decoding: $0, as: UTF8.self)
    }
  }

  private func checkElementType<T: TensorElement>(_: T.Type) throws {
    guard datatype == T.dataType else {
      throw InferenceError(
        .invalidArgument,
        "tensor '\(name)' is \(datatype.rawValue); read it as the Swift type for \(datatype.rawValue), not \(T.self)")
    }
    guard data.count % MemoryLayout<T>.stride == 0,
      elementCount.map({ $0 * MemoryLayout<T>.stride == data.count }) ?? false
    else {
      throw InferenceError(
        .invalidArgument,
        "tensor '\(name)' holds \(data.count) byte(s), which does not fit shape \(TensorShape.describe(shape)) of "
          + "\(datatype.rawValue)")
    }
  }
}
