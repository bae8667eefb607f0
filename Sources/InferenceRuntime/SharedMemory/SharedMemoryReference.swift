public import KServeProtocol

/// The `shared_memory_region`, `shared_memory_offset` and `shared_memory_byte_size` parameters of an
/// input or requested output, as Triton's system shared-memory extension defines them.
public struct SharedMemoryReference: Sendable, Equatable {
  /// Parameter names on the wire.
  public enum Key {
    /// Region name.
    public static let region = "shared_memory_region"
    /// Offset inside the region.
    public static let offset = "shared_memory_offset"
    /// Byte count.
    public static let byteSize = "shared_memory_byte_size"
  }

  /// Region name.
  public var region: String
  /// Offset inside the region (0 when absent).
  public var offset: Int
  /// Bytes to read or the space available to write.
  public var byteSize: Int

  /// Reads the reference from a tensor's parameters.
  /// - Parameters:
  ///   - parameters: The parameters.
  ///   - what: How to name the tensor in errors (`input 'x'`).
  /// - Returns: `nil` when the tensor does not use shared memory.
  /// - Throws: ``InferenceError`` (invalidArgument) for a missing or malformed byte size or offset.
  public static func parse(_ parameters: [String: InferenceParameter], what: String) throws -> Self? {
    guard let regionValue = parameters[Key.region] else { return nil }
    guard case .string(let region) = regionValue, !region.isEmpty else {
      throw InferenceError(.invalidArgument, "\(what): '\(Key.region)' must be a non-empty string")
    }
    func integer(_ key: String) throws -> Int? {
      guard let value = parameters[key] else { return nil }
      guard let number = value.int64Value, number >= 0, let int = Int(exactly: number) else {
        throw InferenceError(.invalidArgument, "\(what): '\(key)' must be a non-negative integer")
      }
      return int
    }
    guard let byteSize = try integer(Key.byteSize) else {
      throw InferenceError(
        .invalidArgument, "\(what): uses shared memory region '\(region)' but has no '\(Key.byteSize)'")
    }
    return Self(region: region, offset: try integer(Key.offset) ?? 0, byteSize: byteSize)
  }

  /// Whether parameters name a shared-memory region.
  public static func isPresent(in parameters: [String: InferenceParameter]) -> Bool {
    parameters[Key.region] != nil
  }
}
