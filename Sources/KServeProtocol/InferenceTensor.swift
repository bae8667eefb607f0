#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// A tensor travelling in a request or response.
///
/// `data` always holds the tensor in Triton's raw wire layout: little-endian elements, row major;
/// for `BYTES` each element is a 4-byte little-endian length followed by its bytes. Keeping one layout
/// for every path lets the runtime hand the buffer to a backend without copying it.
public struct InferenceTensor: Sendable {
  /// Tensor name as declared by the model.
  public var name: String
  /// Element type.
  public var datatype: DataType
  /// Full shape, including the batch dimension where the model has one.
  public var shape: [Int64]
  /// Raw bytes in the wire layout described above.
  public var data: Data
  /// Per-tensor parameters.
  public var parameters: [String: InferenceParameter]

  /// Creates a tensor.
  /// - Parameters:
  ///   - name: Tensor name.
  ///   - datatype: Element type.
  ///   - shape: Shape including any batch dimension.
  ///   - data: Raw bytes in the wire layout.
  ///   - parameters: Per-tensor parameters.
  public init(
    name: String,
    datatype: DataType,
    shape: [Int64],
    data: Data,
    parameters: [String: InferenceParameter] = [:]
  ) {
    self.name = name
    self.datatype = datatype
    self.shape = shape
    self.data = data
    self.parameters = parameters
  }

  /// Number of elements the shape describes, or `nil` if a dimension is negative or the product overflows.
  public var elementCount: Int? { TensorShape.elementCount(shape) }
}

/// Shape arithmetic shared by every layer.
public enum TensorShape {
  /// The product of the dimensions, or `nil` if one is negative or the product overflows `Int`.
  /// - Parameter shape: Dimensions.
  public static func elementCount(_ shape: [Int64]) -> Int? {
    var count = 1
    for dim in shape {
      guard dim >= 0, let d = Int(exactly: dim) else { return nil }
      let (product, overflow) = count.multipliedReportingOverflow(by: d)
      if overflow { return nil }
      count = product
    }
    return count
  }

  /// Renders a shape as Triton prints it: `[1,17]`.
  public static func describe(_ shape: [Int64]) -> String {
    "[" + shape.map(String.init).joined(separator: ",") + "]"
  }
}
