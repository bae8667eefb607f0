public import KServeProtocol
public import OffloadClient

#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif

/// Builds request inputs from a model's metadata: data from raw files (little-endian, row major; BYTES
/// one string per line) or generated (random or zero), variable first dimensions set to the batch size,
/// other variable dimensions from explicit shapes. Used by `offload infer` and `offload bench`.
public enum InputFactory {
  /// One input tensor.
  /// - Throws: ``InferenceError`` (invalid argument) naming the input and what to give.
  public static func make(
    _ description: TensorDescription, shape override: [Int64]?, file: String?, batchSize: Int, zero: Bool,
    random: inout SeededGenerator
  ) throws -> InferenceTensor {
    var shape = override ?? description.shape
    if override == nil {
      for (i, dim) in shape.enumerated() where dim < 0 {
        guard i == 0 else {
          throw InferenceError(
            .invalidArgument,
            "input '\(description.name)' has variable dimension \(i) in \(TensorShape.describe(description.shape)); "
              + "give --shape \(description.name)=...")
        }
        shape[i] = Int64(batchSize)
      }
    }
    let count = TensorShape.elementCount(shape) ?? 0
    if let file {
      let contents: Data
      do { contents = try Data(contentsOf: URL(fileURLWithPath: file)) } catch {
        throw InferenceError(
          .invalidArgument, "cannot read --input \(description.name)=\(file): \(error)")
      }
      if description.datatype == .bytes {
        let lines = String(decoding: contents, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        return try InferenceTensor(name: description.name, strings: lines.prefix(count), shape: shape)
      }
      let expected = count * (description.datatype.elementSize ?? 1)
      guard contents.count == expected else {
        throw InferenceError(
          .invalidArgument,
          "--input \(description.name)=\(file) holds \(contents.count) bytes; shape \(TensorShape.describe(shape)) of "
            + "\(description.datatype.rawValue) needs \(expected)")
      }
      return InferenceTensor(name: description.name, datatype: description.datatype, shape: shape, data: contents)
    }
    if description.datatype == .bytes {
      return try InferenceTensor(
        name: description.name, strings: (0..<count).map { _ in zero ? "" : "s\(random.next() % 1000)" }, shape: shape)
    }
    let size = description.datatype.elementSize ?? 1
    var bytes = Data(count: count * size)
    if !zero {
      bytes.withUnsafeMutableBytes { raw in
        switch description.datatype {
        case .fp32:
          for i in 0..<count {
            raw.storeBytes(of: Float.random(in: 0..<1, using: &random), toByteOffset: i * 4, as: Float.self)
          }
        case .fp64:
          for i in 0..<count {
            raw.storeBytes(of: Double.random(in: 0..<1, using: &random), toByteOffset: i * 8, as: Double.self)
          }
        case .fp16, .bf16:
          // Random mantissa bits with a fixed exponent: values in [1, 2) for FP16, [1, 2) for BF16.
          for i in 0..<count {
            let bits: UInt16 =
              description.datatype == .fp16
              ? 0x3C00 | UInt16(random.next() & 0x3FF) : 0x3F80 | UInt16(random.next() & 0x7F)
            raw.storeBytes(of: bits, toByteOffset: i * 2, as: UInt16.self)
          }
        case .bool:
          for i in 0..<count { raw[i] = UInt8(random.next() & 1) }
        default:
          // Small non-negative integers: valid indices and counts for most models.
          for i in 0..<count {
            var value = random.next() % 100
            withUnsafeBytes(of: &value) { for b in 0..<size { raw[i * size + b] = $0[b] } }
          }
        }
      }
    }
    return InferenceTensor(name: description.name, datatype: description.datatype, shape: shape, data: bytes)
  }

}

/// SplitMix64: small, fast, reproducible random numbers for generated inputs.
public struct SeededGenerator: RandomNumberGenerator {
  private var state: UInt64
  /// Creates a generator.
  public init(seed: UInt64) { state = seed }
  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
