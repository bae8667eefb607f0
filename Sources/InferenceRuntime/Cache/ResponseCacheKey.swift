public import KServeProtocol

#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif

/// What makes two requests the same for the response cache, as Triton defines it: the model version
/// (one load of it: a reloaded version never gets answers computed by the one it replaced), and every
/// input's name, datatype, shape and bytes, plus the outputs asked for. Compared exactly (the bytes are
/// kept, not only a hash), so a collision can never return another request's answer.
public struct ResponseCacheKey: Hashable, Sendable {
  /// The load of the model version this key belongs to.
  public let owner: UInt64
  /// The request, serialized.
  let material: Data
  private let digest: Int

  /// The key of a validated request (inputs in model order, outputs as the request names them).
  public init(owner: UInt64, inputs: [InferenceTensor], outputs: [String]) {
    var material = Data()
    material.reserveCapacity(inputs.reduce(64) { $0 + $1.data.count + $1.name.utf8.count + 8 * $1.shape.count + 32 })
    func append<T: FixedWidthInteger>(_ value: T) {
      withUnsafeBytes(of: value.littleEndian) { material.append(contentsOf: $0) }
    }
    func append(_ text: String) {
      append(UInt32(text.utf8.count))
      material.append(contentsOf: text.utf8)
    }
    append(UInt32(inputs.count))
    for input in inputs {
      append(input.name)
      append(input.datatype.rawValue)
      append(UInt32(input.shape.count))
      for dimension in input.shape { append(dimension) }
      append(UInt64(input.data.count))
      material.append(input.data)
    }
    append(UInt32(outputs.count))
    for output in outputs { append(output) }
    self.owner = owner
    self.material = material
    var hasher = Hasher()
    hasher.combine(owner)
    hasher.combine(material)
    self.digest = hasher.finalize()
  }

  /// Bytes the key holds.
  var byteCount: Int { material.count }

  public static func == (lhs: Self, rhs: Self) -> Bool {
    lhs.digest == rhs.digest && lhs.owner == rhs.owner && lhs.material == rhs.material
  }

  public func hash(into hasher: inout Hasher) { hasher.combine(digest) }
}
