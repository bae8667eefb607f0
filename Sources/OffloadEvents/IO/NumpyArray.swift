// An n-dimensional array as numpy stores it: a dtype, a shape and raw bytes.

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// A C-ordered, little-endian n-dimensional array: the content of one `.npy` file.
///
/// The elements are kept as raw bytes (`data`), row-major, so an array read from a file
/// can be written back unchanged. Build one from Swift values with the typed
/// initialisers (`NumpyArray([1, 2, 3] as [Float], shape: [3])`) and get them back with
/// the typed accessors (`floats()`), which throw when the dtype differs: nothing is
/// converted implicitly. A 0-d array (shape `[]`) holds one element.
public struct NumpyArray: Sendable, Hashable {
  /// Element type.
  public let dtype: NumpyDType
  /// Dimensions, outermost first; `[]` for a scalar.
  public let shape: [Int]
  /// Row-major elements as little-endian bytes: `elementCount × dtype.byteSize` long.
  public let data: Data

  /// An array of raw bytes. Throws when a dimension is negative or `data` is not
  /// exactly the shape's element count times the element size.
  public init(dtype: NumpyDType, shape: [Int], data: Data) throws(NumpyFormatError) {
    let count = try Self.elementCount(of: shape)
    let (bytes, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
    guard !overflow else { throw .invalidShape(shape) }
    guard bytes == data.count else { throw .dataSizeMismatch(expectedBytes: bytes, actualBytes: data.count) }
    self.dtype = dtype
    self.shape = shape
    self.data = data
  }

  /// Number of elements: the product of the shape (1 for a 0-d array).
  public var elementCount: Int { data.count / dtype.byteSize }

  /// Product of the dimensions; throws on a negative dimension or overflow.
  static func elementCount(of shape: [Int]) throws(NumpyFormatError) -> Int {
    var count = 1
    for dimension in shape {
      guard dimension >= 0 else { throw .invalidShape(shape) }
      let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
      guard !overflow else { throw .invalidShape(shape) }
      count = product
    }
    return count
  }

  // MARK: Typed values

  init<T: NumpyElement>(values: [T], shape: [Int]?) throws(NumpyFormatError) {
    let shape = shape ?? [values.count]
    guard try Self.elementCount(of: shape) == values.count else {
      throw .shapeMismatch(shape: shape, elementCount: values.count)
    }
    try self.init(dtype: T.numpyDType, shape: shape, data: T.encode(values))
  }

  func values<T: NumpyElement>(as _: T.Type) throws(NumpyFormatError) -> [T] {
    guard dtype == T.numpyDType else { throw .dtypeMismatch(requested: T.numpyDType, actual: dtype) }
    return try T.decode(data)
  }

  /// A float32 array of `values`; `shape` defaults to one dimension. Throws when the
  /// shape does not hold `values.count` elements.
  public init(_ values: [Float], shape: [Int]? = nil) throws(NumpyFormatError) {
    try self.init(values: values, shape: shape)
  }

  /// A float64 array of `values` (see `init(_:shape:)` for float32).
  public init(_ values: [Double], shape: [Int]? = nil) throws(NumpyFormatError) {
    try self.init(values: values, shape: shape)
  }

  /// An int64 array of `values`.
  public init(_ values: [Int64], shape: [Int]? = nil) throws(NumpyFormatError) {
    try self.init(values: values, shape: shape)
  }

  /// A uint64 array of `values`.
  public init(_ values: [UInt64], shape: [Int]? = nil) throws(NumpyFormatError) {
    try self.init(values: values, shape: shape)
  }

  /// An int32 array of `values`.
  public init(_ values: [Int32], shape: [Int]? = nil) throws(NumpyFormatError) {
    try self.init(values: values, shape: shape)
  }

  /// A uint8 array of `values`.
  public init(_ values: [UInt8], shape: [Int]? = nil) throws(NumpyFormatError) {
    try self.init(values: values, shape: shape)
  }

  /// A bool array of `values` (one byte each, 0 or 1).
  public init(_ values: [Bool], shape: [Int]? = nil) throws(NumpyFormatError) {
    try self.init(values: values, shape: shape)
  }

  /// The elements, row-major, of a float32 array; throws for any other dtype.
  public func floats() throws(NumpyFormatError) -> [Float] { try values(as: Float.self) }
  /// The elements of a float64 array.
  public func doubles() throws(NumpyFormatError) -> [Double] { try values(as: Double.self) }
  /// The elements of an int64 array.
  public func int64s() throws(NumpyFormatError) -> [Int64] { try values(as: Int64.self) }
  /// The elements of a uint64 array.
  public func uint64s() throws(NumpyFormatError) -> [UInt64] { try values(as: UInt64.self) }
  /// The elements of an int32 array.
  public func int32s() throws(NumpyFormatError) -> [Int32] { try values(as: Int32.self) }
  /// The elements of a uint8 array.
  public func uint8s() throws(NumpyFormatError) -> [UInt8] { try values(as: UInt8.self) }
  /// The elements of a bool array; throws when a byte is neither 0 nor 1.
  public func bools() throws(NumpyFormatError) -> [Bool] { try values(as: Bool.self) }
}
