// How each Swift element type maps to its NPY bytes.

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A Swift type stored as one `NumpyDType` (internal: the public API is the typed
/// initialisers and accessors of `NumpyArray`).
protocol NumpyElement {
  static var numpyDType: NumpyDType { get }
  /// Little-endian bytes of `values`, `count × byteSize` long.
  static func encode(_ values: [Self]) -> Data
  /// Values of little-endian `bytes` (whose length is a multiple of the element size).
  static func decode(_ bytes: Data) throws(NumpyFormatError) -> [Self]
}

/// Fixed-width integers and floats whose in-memory layout is their little-endian bytes on
/// the little-endian hosts this library targets.
protocol NumpyPlainElement: NumpyElement, BitwiseCopyable {}

extension NumpyPlainElement {
  static func encode(_ values: [Self]) -> Data {
    #if _endian(little)
    return values.withUnsafeBytes { Data($0) }
    #else
    #error("OffloadEvents NPY I/O supports little-endian hosts only")
    #endif
  }

  static func decode(_ bytes: Data) throws(NumpyFormatError) -> [Self] {
    let size = MemoryLayout<Self>.stride
    let count = bytes.count / size
    return [Self](unsafeUninitializedCapacity: count) { buffer, initialized in
      bytes.withUnsafeBytes { raw in
        if count > 0 {
          UnsafeMutableRawBufferPointer(buffer).copyMemory(
            from: UnsafeRawBufferPointer(rebasing: raw[0..<count * size]))
        }
      }
      initialized = count
    }
  }
}

extension Float: NumpyPlainElement { static var numpyDType: NumpyDType { .float32 } }
extension Double: NumpyPlainElement { static var numpyDType: NumpyDType { .float64 } }
extension Int64: NumpyPlainElement { static var numpyDType: NumpyDType { .int64 } }
extension UInt64: NumpyPlainElement { static var numpyDType: NumpyDType { .uint64 } }
extension Int32: NumpyPlainElement { static var numpyDType: NumpyDType { .int32 } }
extension UInt8: NumpyPlainElement { static var numpyDType: NumpyDType { .uint8 } }

extension Bool: NumpyElement {
  static var numpyDType: NumpyDType { .bool }

  static func encode(_ values: [Bool]) -> Data {
    Data(values.map { $0 ? 1 : 0 })
  }

  /// Strict: a byte other than 0 or 1 is an error, not `true`, so that a damaged file is noticed.
  static func decode(_ bytes: Data) throws(NumpyFormatError) -> [Bool] {
    var result = [Bool](repeating: false, count: bytes.count)
    var bad: (Int, UInt8)?
    bytes.withUnsafeBytes { raw in
      for (i, byte) in raw.enumerated() {
        switch byte {
        case 0: break
        case 1: result[i] = true
        default:
          bad = (i, byte)
          return
        }
      }
    }
    if let (index, byte) = bad { throw .invalidBool(index: index, byte: byte) }
    return result
  }
}
