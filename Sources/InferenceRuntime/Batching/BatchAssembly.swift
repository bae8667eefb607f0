public import KServeProtocol

#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif

/// Gathers the inputs of several requests into one batch and scatters the outputs back, along the first
/// (batch) dimension. A batch of one request is passed through untouched; otherwise each input is copied
/// once into the batch buffer, and outputs are handed back as slices of the batch's buffers (no copy).
public enum BatchAssembly {
  /// Concatenates each input across requests. All requests have the same inputs, in the same order and
  /// with the same non-batch dimensions (the batcher merges only such requests).
  /// - Parameter requests: Per request, its validated inputs in model order.
  public static func gather(_ requests: [[InferenceTensor]]) -> [InferenceTensor] {
    guard requests.count > 1, let first = requests.first else { return requests.first ?? [] }
    return first.indices.map { index in
      var data = Data(capacity: requests.reduce(0) { $0 + $1[index].data.count })
      var rows: Int64 = 0
      for request in requests {
        data.append(request[index].data)
        rows += request[index].shape.first ?? 1
      }
      var tensor = first[index]
      tensor.shape[0] = rows
      tensor.data = data
      return tensor
    }
  }

  /// Splits each output of a batch into per-request tensors by row counts.
  /// - Parameters:
  ///   - outputs: The batch's outputs (first dimension = total rows).
  ///   - rows: Rows of each request, in batch order.
  /// - Throws: ``InferenceError`` (internal) when an output's first dimension is not the total row count.
  public static func scatter(_ outputs: [InferenceTensor], rows: [Int]) throws -> [[InferenceTensor]] {
    guard rows.count > 1 else { return [outputs] }
    let total = rows.reduce(0, +)
    var result = Array(repeating: [InferenceTensor](), count: rows.count)
    for output in outputs {
      guard output.shape.first == Int64(total), let count = output.elementCount else {
        throw InferenceError(
          .internal,
          "batched output '\(output.name)' has shape \(TensorShape.describe(output.shape)); expected \(total) rows")
      }
      let perRow = total == 0 ? 0 : count / total
      let bounds = try rowBounds(output, elementsPerRow: perRow, rows: rows)
      for (index, range) in bounds.enumerated() {
        var piece = output
        piece.shape[0] = Int64(rows[index])
        piece.data = output.data[range]
        result[index].append(piece)
      }
    }
    return result
  }

  /// Byte ranges of each request's rows within an output buffer.
  private static func rowBounds(
    _ output: InferenceTensor, elementsPerRow: Int, rows: [Int]
  ) throws -> [Range<Data.Index>] {
    var bounds: [Range<Data.Index>] = []
    var start = output.data.startIndex
    if let size = output.datatype.elementSize {
      for r in rows {
        let end = start + r * elementsPerRow * size
        bounds.append(start..<end)
        start = end
      }
      return bounds
    }
    // BYTES: walk the length prefixes, elementsPerRow elements per row.
    var offsets: [Int] = [0]
    var consumed = 0
    try BytesTensorCodec.walk(output.data, expectedCount: output.elementCount ?? 0, tensorName: output.name) {
      element in
      consumed += 4 + element.count
      offsets.append(consumed)
    }
    var element = 0
    for r in rows {
      let from = output.data.startIndex + offsets[element]
      element += r * elementsPerRow
      bounds.append(from..<(output.data.startIndex + offsets[element]))
    }
    return bounds
  }
}
