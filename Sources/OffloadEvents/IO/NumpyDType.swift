// The element types an NPY array of Offload can hold.

/// Element type of a `NumpyArray`; the raw value is numpy's `descr` string (little-endian,
/// or `|` where byte order does not apply).
public enum NumpyDType: String, Sendable, CaseIterable, Hashable {
  case float32 = "<f4"
  case float64 = "<f8"
  case int64 = "<i8"
  case uint64 = "<u8"
  case int32 = "<i4"
  case uint8 = "|u1"
  case bool = "|b1"

  /// Bytes per element.
  public var byteSize: Int {
    switch self {
    case .float32, .int32: 4
    case .float64, .int64, .uint64: 8
    case .uint8, .bool: 1
    }
  }

  /// The type of a `descr` string as numpy writes it, or as another writer may spell the
  /// same type: `=` and `|` are accepted where byte order does not matter, `<` and `=`
  /// for multi-byte types (this library runs on little-endian hosts only). nil for any
  /// other type, in particular big-endian (`>`) ones.
  public init?(descr: String) {
    if let exact = NumpyDType(rawValue: descr) {
      self = exact
      return
    }
    guard let order = descr.first, descr.count >= 2 else { return nil }
    let kind = descr.dropFirst()
    switch (order, kind) {
    case ("=", "f4"): self = .float32
    case ("=", "f8"): self = .float64
    case ("=", "i8"): self = .int64
    case ("=", "u8"): self = .uint64
    case ("=", "i4"): self = .int32
    case ("<", "u1"), ("=", "u1"), (">", "u1"): self = .uint8
    case ("<", "b1"), ("=", "b1"), (">", "b1"): self = .bool
    default: return nil
    }
  }
}
