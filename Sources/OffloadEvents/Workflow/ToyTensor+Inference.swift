public import KServeProtocol

extension ToyTensor {
  /// The tensor as a request input.
  public func inferenceTensor() throws -> InferenceTensor {
    let shape = self.shape.map(Int64.init)
    switch data {
    case .fp32(let values): return try InferenceTensor(name: name, values: values, shape: shape)
    case .int64(let values): return try InferenceTensor(name: name, values: values, shape: shape)
    case .bool(let values): return try InferenceTensor(name: name, values: values, shape: shape)
    }
  }

  /// The rows `range` of the first dimension (for models whose batch is limited).
  func rows(_ range: Range<Int>) -> ToyTensor {
    let perRow = shape.dropFirst().reduce(1, *)
    let elements = (range.lowerBound * perRow)..<(range.upperBound * perRow)
    var sliced = shape
    sliced[0] = range.count
    switch data {
    case .fp32(let values): return ToyTensor(name: name, shape: sliced, data: .fp32(Array(values[elements])))
    case .int64(let values): return ToyTensor(name: name, shape: sliced, data: .int64(Array(values[elements])))
    case .bool(let values): return ToyTensor(name: name, shape: sliced, data: .bool(Array(values[elements])))
    }
  }
}
