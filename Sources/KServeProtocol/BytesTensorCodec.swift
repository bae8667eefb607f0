#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// Encodes and decodes `BYTES` tensors in Triton's raw layout: each element is a 4-byte little-endian
/// length followed by that many bytes.
public enum BytesTensorCodec {
  /// Splits raw `BYTES` content into its elements.
  /// - Parameters:
  ///   - data: The raw content.
  ///   - expectedCount: The element count the shape implies.
  ///   - tensorName: The tensor's name, for messages.
  /// - Returns: The elements as byte arrays.
  /// - Throws: ``InferenceError`` (invalidArgument) when a length runs past the end or the count differs.
  public static func decode(_ data: Data, expectedCount: Int, tensorName: String) throws -> [[UInt8]] {
    var elements: [[UInt8]] = []
    elements.reserveCapacity(expectedCount)
    try walk(data, expectedCount: expectedCount, tensorName: tensorName) { elements.append(Array($0)) }
    return elements
  }

  /// Checks the layout of raw `BYTES` content without copying any element.
  /// - Parameters:
  ///   - data: The raw content.
  ///   - expectedCount: The element count the shape implies.
  ///   - tensorName: The tensor's name, for messages.
  /// - Throws: ``InferenceError`` (invalidArgument) as ``decode(_:expectedCount:tensorName:)``.
  public static func validate(_ data: Data, expectedCount: Int, tensorName: String) throws {
    try walk(data, expectedCount: expectedCount, tensorName: tensorName) { _ in }
  }

  /// Calls `body` with each element's bytes, in order.
  public static func walk(
    _ data: Data, expectedCount: Int, tensorName: String, _ body: (UnsafeRawBufferPointer) throws -> Void
  ) throws {
    let count = try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> Int in
      var offset = 0
      var count = 0
      while offset < raw.count {
        guard raw.count - offset >= 4 else {
          throw InferenceError(
            .invalidArgument,
            "BYTES tensor '\(tensorName)': \(raw.count - offset) trailing byte(s) cannot hold a 4-byte length prefix; "
              + "each element must be a 4-byte little-endian length followed by its bytes")
        }
        let length = Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
        offset += 4
        guard length <= raw.count - offset else {
          throw InferenceError(
            .invalidArgument,
            "BYTES tensor '\(tensorName)': element \(count) declares \(length) bytes but only "
              + "\(raw.count - offset) remain in the tensor data")
        }
        try body(UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + length)]))
        offset += length
        count += 1
      }
      return count
    }
    guard count == expectedCount else {
      throw InferenceError(
        .invalidArgument,
        "BYTES tensor '\(tensorName)' holds \(count) element(s) but its shape requires \(expectedCount)")
    }
  }

  /// Joins elements into the raw `BYTES` layout.
  /// - Parameter elements: The elements.
  /// - Returns: The raw content.
  public static func encode<C: Collection>(_ elements: C) -> Data
  where C.Element: Collection, C.Element.Element == UInt8 {
    var total = 0
    for element in elements { total += 4 + element.count }
    var data = Data(capacity: total)
    for element in elements {
      var length = UInt32(element.count).littleEndian
      withUnsafeBytes(of: &length) { data.append(contentsOf: $0) }
      data.append(contentsOf: element)
    }
    return data
  }
}
