// Why bytes are not an NPY array Offload can use, or why an array is not of the asked type.

/// An NPY array could not be built, parsed or converted.
public enum NumpyFormatError: Error, Equatable, CustomStringConvertible {
  /// A typed accessor was called on an array of another type.
  case dtypeMismatch(requested: NumpyDType, actual: NumpyDType)
  /// A dimension is negative, or their product overflows.
  case invalidShape([Int])
  /// The shape's element count does not match the number of values given.
  case shapeMismatch(shape: [Int], elementCount: Int)
  /// The raw bytes are not the shape's element count times the element size.
  case dataSizeMismatch(expectedBytes: Int, actualBytes: Int)
  /// The bytes do not start with the NPY magic string `\x93NUMPY`.
  case notNPY
  /// A format version other than 1.0, 2.0 or 3.0.
  case unsupportedVersion(major: UInt8, minor: UInt8)
  /// The bytes end inside the preamble or the header.
  case truncatedHeader
  /// The header is not a Python dict literal with the keys `descr`, `fortran_order`, `shape`.
  case malformedHeader(String)
  /// A `descr` this library does not read (structured, big-endian, another type).
  case unsupportedDescr(String)
  /// The array is stored in Fortran (column-major) order.
  case fortranOrder
  /// A boolean element is neither 0 nor 1.
  case invalidBool(index: Int, byte: UInt8)
  /// The header does not fit the NPY format (over 4 GiB).
  case headerTooLong(Int)

  public var description: String {
    switch self {
    case .dtypeMismatch(let requested, let actual):
      "array holds \(actual.rawValue), not \(requested.rawValue)"
    case .invalidShape(let shape):
      "invalid shape \(shape)"
    case .shapeMismatch(let shape, let count):
      "shape \(shape) does not hold \(count) elements"
    case .dataSizeMismatch(let expected, let actual):
      "array data is \(actual) bytes, the header asks for \(expected)"
    case .notNPY:
      "not an NPY array (no \\x93NUMPY magic)"
    case .unsupportedVersion(let major, let minor):
      "unsupported NPY format version \(major).\(minor)"
    case .truncatedHeader:
      "NPY header is truncated"
    case .malformedHeader(let why):
      "malformed NPY header: \(why)"
    case .unsupportedDescr(let descr):
      "unsupported NPY dtype '\(descr)'"
    case .fortranOrder:
      "NPY array is in Fortran order; only C order is read"
    case .invalidBool(let index, let byte):
      "boolean element \(index) is \(byte), not 0 or 1"
    case .headerTooLong(let length):
      "NPY header of \(length) bytes is too long"
    }
  }
}
