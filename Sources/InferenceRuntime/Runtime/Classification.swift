public import KServeProtocol
internal import OffloadMeasurement
internal import TritonModelConfig

#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif

/// Triton's classification extension. An output requested with the parameter `classification` = N (N > 0)
/// is answered, instead of its values, with its N largest entries per batch row as a `BYTES` tensor of
/// strings `value:index` or `value:index:label`, highest value first; shape `[batch, min(N, entries)]` for
/// a model with a batch dimension, `[min(N, entries)]` otherwise. Values print as C++'s `std::to_string`
/// does (six decimals for floating point), as Triton's answers do; ties keep index order. Labels come from
/// the output's `label_filename` (one label per line, the line number is the index) in the model directory.
public enum Classification {
  /// The output parameter that asks for classification.
  public static let parameter = "classification"

  /// Output datatypes that can be classified (Triton's: integers, FP32 and FP64).
  static let supported: Set<DataType> = [
    .uint8, .uint16, .uint32, .uint64, .int8, .int16, .int32, .int64, .fp32, .fp64,
  ]

  /// The classification counts a request asks for, by output name, checked before the model runs.
  /// - Parameters:
  ///   - outputs: The requested outputs and their parameters.
  ///   - specs: The outputs the model will produce (with their datatypes).
  ///   - model: e.g. `model 'x' version 1`, for errors.
  /// - Throws: ``InferenceError`` (invalidArgument) for a count that is not a non-negative integer, an
  ///   output whose type cannot be classified, or classification into shared memory.
  static func requestedCounts(
    _ outputs: [RequestedOutput], specs: [OutputSpec], model: String
  ) throws -> [String: Int] {
    var counts: [String: Int] = [:]
    for output in outputs {
      guard let value = output.parameters[parameter] else { continue }
      guard let count = value.int64Value, count >= 0 else {
        throw InferenceError(
          .invalidArgument,
          "\(model): output '\(output.name)' has classification \(value); give the number of top classes "
            + "as a non-negative integer (0: the raw output)")
      }
      guard count > 0 else { continue }
      if let type = specs.first(where: { $0.name == output.name })?.datatype, !supported.contains(type) {
        throw InferenceError(
          .invalidArgument,
          "\(model): class results are not available for output '\(output.name)' of type \(type.rawValue); "
            + "classification needs an integer, FP32 or FP64 output; ask for the raw output instead")
      }
      if output.parameters["shared_memory_region"] != nil {
        throw InferenceError(
          .invalidArgument,
          "\(model): output '\(output.name)' asks for classification into shared memory; the class strings "
            + "have no fixed size: ask for one or the other")
      }
      counts[output.name] = Int(min(count, Int64(Int32.max)))
    }
    return counts
  }

  /// Replaces each output named in `counts` by its top entries.
  /// - Parameters:
  ///   - outputs: The outputs of one request.
  ///   - counts: Top-N per output name (from ``requestedCounts(_:specs:model:)``).
  ///   - batched: Whether the model has a batch dimension (`max_batch_size` > 0).
  ///   - labels: Labels per output name.
  static func apply(
    _ outputs: inout [InferenceTensor], counts: [String: Int], batched: Bool, labels: [String: [String]]
  ) throws {
    guard !counts.isEmpty else { return }
    for index in outputs.indices {
      guard let count = counts[outputs[index].name] else { continue }
      outputs[index] = try topClasses(
        outputs[index], count: count, batched: batched, labels: labels[outputs[index].name])
    }
  }

  /// One tensor's top `count` entries per batch row (the whole tensor when `batched` is false).
  public static func topClasses(
    _ tensor: InferenceTensor, count: Int, batched: Bool, labels: [String]?
  ) throws -> InferenceTensor {
    let rows = batched && !tensor.shape.isEmpty ? max(Int(tensor.shape[0]), 0) : 1
    let perRow = Int(TensorShape.elementCount(batched ? Array(tensor.shape.dropFirst()) : tensor.shape) ?? 0)
    let kept = min(count, perRow)
    let top = TopEntries(tensor: tensor, rows: rows, perRow: perRow, kept: kept, labels: labels)
    guard let strings = try tensor.datatype.visitNumeric(top) else {
      throw InferenceError(
        .invalidArgument,
        "class results are not available for output '\(tensor.name)' of type \(tensor.datatype.rawValue)")
    }
    let shape: [Int64] = batched ? [Int64(rows), Int64(kept)] : [Int64(kept)]
    return try InferenceTensor(name: tensor.name, strings: strings, shape: shape, parameters: tensor.parameters)
  }

  /// Reads the `label_filename` of every output that names one, from the model directory.
  /// - Throws: ``InferenceError`` (invalidArgument) for a name that leaves the directory or a file that
  ///   cannot be read: the version fails to load, as Triton's does.
  static func labels(_ config: Inference_ModelConfig, modelDirectory: URL) throws -> [String: [String]] {
    var labels: [String: [String]] = [:]
    for output in config.output where !output.labelFilename.isEmpty {
      let name = output.labelFilename
      guard ModelConfigCompleter.isPlainFileName(name) else {
        throw InferenceError(
          .invalidArgument,
          "output '\(output.name)': label_filename '\(name)' must be a file name in the model directory")
      }
      let file = modelDirectory.appendingPathComponent(name)
      guard let data = FileManager.default.contents(atPath: file.path) else {
        throw InferenceError(
          .invalidArgument,
          "output '\(output.name)': cannot read its label file \(file.path); add it or remove label_filename")
      }
      // "\r\n" is one Character in Swift: split on it as on "\n" (label files written on Windows).
      var lines = String(decoding: data, as: UTF8.self)
        .split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        .map(String.init)
      if lines.last == "" { lines.removeLast() }
      labels[output.name] = lines
    }
    return labels
  }
}

/// The top entries of each row of a numeric tensor as Triton's `value:index[:label]` strings.
private struct TopEntries: NumericElementVisitor {
  typealias Failure = any Error
  let tensor: InferenceTensor
  let rows: Int
  let perRow: Int
  let kept: Int
  let labels: [String]?

  func integer<T: TensorElement & FixedWidthInteger>(_ type: T.Type) throws -> [String] {
    try entries(type, above: { $0 > $1 }, text: { String($0) })
  }

  func floatingPoint<T: TensorElement & BinaryFloatingPoint>(_ type: T.Type) throws -> [String] {
    // NaN ranks below every number (and equal to another NaN).
    try entries(
      type, above: { x, y in y.isNaN ? !x.isNaN : (!x.isNaN && x > y) },
      text: { String(cFormat: "%f", Double($0)) })
  }

  /// `above(x, y)`: x ranks before y (a strict order in the element's own type: 64-bit integers keep their
  /// full precision).
  private func entries<T: TensorElement>(_: T.Type, above: (T, T) -> Bool, text: (T) -> String) throws -> [String] {
    var strings: [String] = []
    strings.reserveCapacity(rows * kept)
    try tensor.withValues(as: T.self) { values in
      for row in 0..<rows {
        let start = row * perRow
        guard start + perRow <= values.count else { break }
        // Highest first; equal values keep index order.
        let order = (0..<perRow).sorted { a, b in
          let (x, y) = (values[start + a], values[start + b])
          if above(x, y) { return true }
          if above(y, x) { return false }
          return a < b
        }
        for entry in order.prefix(kept) {
          var text = text(values[start + entry]) + ":\(entry)"
          if let labels, entry < labels.count { text += ":" + labels[entry] }
          strings.append(text)
        }
      }
    }
    return strings
  }
}
