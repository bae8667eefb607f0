// A model input cut from a toy event, ready to be sent.

/// The elements of a tensor, in row-major order.
public enum ToyTensorData: Sendable, Equatable {
  case fp32([Float])
  case int64([Int64])
  case bool([Bool])

  /// The datatype of the elements.
  public var datatype: ToyTensorDatatype {
    switch self {
    case .fp32: .fp32
    case .int64: .int64
    case .bool: .bool
    }
  }

  /// Number of elements.
  public var count: Int {
    switch self {
    case .fp32(let values): values.count
    case .int64(let values): values.count
    case .bool(let values): values.count
    }
  }
}

/// One input tensor of a zoo model for one event: name, full shape (batch dimension
/// included where the model has one) and row-major elements.
public struct ToyTensor: Sendable, Equatable {
  public var name: String
  public var shape: [Int]
  public var data: ToyTensorData

  /// Traps when the shape's element count differs from the data's.
  public init(name: String, shape: [Int], data: ToyTensorData) {
    precondition(shape.reduce(1, *) == data.count, "shape \(shape) does not match \(data.count) elements")
    self.name = name
    self.shape = shape
    self.data = data
  }

  /// The datatype of the elements.
  public var datatype: ToyTensorDatatype { data.datatype }
}
