public import KServeProtocol

/// A stateful request's sequence controls, read from its parameters (`sequence_id`, `sequence_start`,
/// `sequence_end`, as tritonclient sends them over gRPC and HTTP).
public struct SequenceParameters: Sendable, Equatable {
  /// The correlation id.
  public var id: SequenceBatcherStateMachine.SequenceID
  /// `sequence_start`.
  public var start: Bool
  /// `sequence_end`.
  public var end: Bool

  /// Reads the parameters of a request to a stateful model.
  /// - Parameters:
  ///   - parameters: The request's parameters.
  ///   - model: e.g. `model 'x' version 1`, for messages.
  /// - Throws: ``InferenceError`` (invalidArgument) for a missing, zero or empty id, or a flag of the wrong type.
  public init(_ parameters: [String: InferenceParameter], model: String) throws(InferenceError) {
    switch parameters["sequence_id"] {
    case .uint64(let value)? where value != 0: id = .number(value)
    case .int64(let value)? where value > 0: id = .number(UInt64(value))
    case .string(let value)? where !value.isEmpty: id = .string(value)
    case let other:
      throw InferenceError(
        .invalidArgument,
        "\(model) is stateful (sequence_batching): "
          + (other == nil ? "the request has no sequence_id" : "sequence_id \(Self.describe(other!)) is not valid")
          + "; set sequence_id to a non-zero unsigned integer or a non-empty string, the same for every request of "
          + "a sequence")
    }
    start = try Self.flag("sequence_start", parameters, model: model)
    end = try Self.flag("sequence_end", parameters, model: model)
  }

  private static func flag(
    _ name: String, _ parameters: [String: InferenceParameter], model: String
  ) throws(InferenceError) -> Bool {
    switch parameters[name] {
    case nil: return false
    case .bool(let value)?: return value
    case .int64(let value)? where value == 0 || value == 1: return value == 1
    case .uint64(let value)? where value <= 1: return value == 1
    case let other?:
      throw InferenceError(
        .invalidArgument, "\(model): request parameter \(name) is \(describe(other)); it must be true or false")
    }
  }

  private static func describe(_ parameter: InferenceParameter) -> String {
    switch parameter {
    case .bool(let v): return String(v)
    case .int64(let v): return String(v)
    case .uint64(let v): return String(v)
    case .double(let v): return String(v)
    case .string(let v): return "'\(v)'"
    }
  }
}
