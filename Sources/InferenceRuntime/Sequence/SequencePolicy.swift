public import KServeProtocol
public import TritonModelConfig

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// A stateful model's `sequence_batching` block, read and checked: the machine's configuration, the control
/// tensors fed to the model and the implicit state kept between a sequence's requests.
public struct SequencePolicy: Sendable {
  /// A control tensor the server feeds (`control_input`): one element per request.
  public struct Control: Sendable, Equatable {
    /// What it signals.
    public enum Kind: Sendable, Equatable {
      case start, end, ready, correlationID
    }

    /// The model input's name.
    public var input: String
    /// What it signals.
    public var kind: Kind
    /// Its element type.
    public var datatype: DataType
    /// The element for false and for true (little-endian bytes); empty for the correlation id.
    public var falseTrue: [Data]
  }

  /// An implicit state (`state`): the model's output `output` of one request is its input `input` at the next
  /// request of the same sequence; clients never send or see it.
  public struct State: Sendable, Equatable {
    /// The model input that receives it.
    public var input: String
    /// The model output that updates it.
    public var output: String
    /// Element type.
    public var datatype: DataType
    /// Shape without the batch dimension.
    public var dims: [Int64]
    /// Its value when a sequence starts (`initial_state`; zeros when not given).
    public var initial: Data
  }

  /// What the machine needs.
  public var machine: SequenceBatcherStateMachine.Configuration
  /// Control tensors.
  public var controls: [Control]
  /// Implicit states.
  public var states: [State]
  /// Whether requests carry a batch dimension (`max_batch_size` > 0).
  public var batched: Bool

  /// Triton's default `max_sequence_idle_microseconds`.
  public static let defaultIdleMicroseconds: UInt64 = 1_000_000

  /// The inputs and outputs the server feeds or consumes itself (not the client's), by config.
  /// - Parameter config: A model configuration.
  public static func serverTensors(of config: Inference_ModelConfig) -> (inputs: Set<String>, outputs: Set<String>) {
    guard case .sequenceBatching(let block)? = config.schedulingChoice else { return ([], []) }
    return (
      Set(block.controlInput.map(\.name) + block.state.map(\.inputName)), Set(block.state.map(\.outputName))
    )
  }

  /// Reads a config's `sequence_batching` block; `nil` when it has none.
  /// - Parameters:
  ///   - config: The completed configuration.
  ///   - instanceCount: Instances of the version.
  ///   - maxBacklog: New sequences that may wait for a slot (the server's queue bound).
  ///   - modelDirectory: Where `initial_state { data_file }` files are (`<model>/initial_state/`).
  /// - Throws: ``InferenceError`` (invalidArgument) naming the field to fix.
  public init?(
    config: Inference_ModelConfig, instanceCount: Int, maxBacklog: Int, modelDirectory: URL? = nil
  ) throws(InferenceError) {
    guard case .sequenceBatching(let block)? = config.schedulingChoice else { return nil }
    let model = "model '\(config.name)'"
    func fail(_ message: String) -> InferenceError {
      InferenceError(.invalidArgument, "\(model): sequence_batching \(message)")
    }
    let strategy: SequenceBatcherStateMachine.Strategy
    var delay: UInt64 = 0
    var preferred: [Int] = []
    let maxBatch = max(Int(config.maxBatchSize), 1)
    switch block.strategyChoice {
    case .oldest(let oldest)?:
      guard oldest.maxCandidateSequences >= 0 else { throw fail("max_candidate_sequences must be >= 0") }
      strategy = .oldest(
        candidates: oldest.maxCandidateSequences > 0
          ? Int(oldest.maxCandidateSequences) : maxBatch * max(instanceCount, 1))
      delay = oldest.maxQueueDelayMicroseconds
      for size in oldest.preferredBatchSize where size < 1 || size > maxBatch {
        throw fail("oldest preferred_batch_size \(size) is outside 1...\(maxBatch) (max_batch_size)")
      }
      preferred = oldest.preferredBatchSize.map(Int.init)
    case .direct(let direct)?:
      strategy = .direct
      delay = direct.maxQueueDelayMicroseconds
    case nil:
      strategy = .direct
    }
    let idle = block.maxSequenceIdleMicroseconds == 0 ? Self.defaultIdleMicroseconds : block.maxSequenceIdleMicroseconds
    let (idleNanos, idleOverflow) = idle.multipliedReportingOverflow(by: 1_000)
    let (delayNanos, delayOverflow) = delay.multipliedReportingOverflow(by: 1_000)
    machine = .init(
      strategy: strategy, instanceCount: instanceCount, maxBatchSize: maxBatch,
      idleNanos: idleOverflow ? .max : idleNanos, maxQueueDelayNanos: delayOverflow ? .max : delayNanos,
      maxBacklog: maxBacklog, preferredBatchSizes: preferred)
    batched = config.maxBatchSize > 0

    var controls: [Control] = []
    for input in block.controlInput {
      guard !input.name.isEmpty else { throw fail("control_input has no name") }
      guard input.control.count == 1 else {
        throw fail(
          "control_input '\(input.name)' has \(input.control.count) controls; give it exactly one (START, END, READY "
            + "or CORRID)")
      }
      controls.append(try Self.control(input.name, input.control[0], fail))
    }
    var states: [State] = []
    for state in block.state {
      guard !state.inputName.isEmpty, !state.outputName.isEmpty else {
        throw fail("state needs input_name and output_name")
      }
      guard let datatype = DataType(config: state.dataType), datatype != .bytes else {
        throw fail("state '\(state.inputName)' needs a fixed-size data_type (not TYPE_STRING)")
      }
      guard !state.dims.contains(where: { $0 < 0 }), let elements = TensorShape.elementCount(state.dims),
        let bytes = datatype.elementSize.map({ $0 * elements })
      else {
        throw fail("state '\(state.inputName)' needs fixed dims (no -1): \(TensorShape.describe(state.dims))")
      }
      var initial = Data(count: bytes)
      if let first = state.initialState.first {
        switch first.stateData {
        case .dataFile(let file)?:
          guard let directory = modelDirectory, ModelConfigCompleter.isPlainFileName(file) else {
            throw fail("state '\(state.inputName)' initial_state data_file '\(file)' must be a file name")
          }
          let url = directory.appendingPathComponent("initial_state").appendingPathComponent(file)
          guard let contents = try? Data(contentsOf: url), contents.count == bytes else {
            throw fail(
              "state '\(state.inputName)' initial_state data_file \(url.path) must exist and hold exactly \(bytes) "
                + "bytes")
          }
          initial = contents
        case .zeroData?, nil:
          break
        }
      }
      states.append(
        State(
          input: state.inputName, output: state.outputName, datatype: datatype, dims: state.dims, initial: initial))
    }
    self.controls = controls
    self.states = states
  }

  private static func control(
    _ name: String, _ control: Inference_ModelSequenceBatching.Control, _ fail: (String) -> InferenceError
  ) throws(InferenceError) -> Control {
    let kind: Control.Kind
    switch control.kind {
    case .controlSequenceStart: kind = .start
    case .controlSequenceEnd: kind = .end
    case .controlSequenceReady: kind = .ready
    case .controlSequenceCorrid: kind = .correlationID
    case .UNRECOGNIZED(let value): throw fail("control_input '\(name)' has unknown kind \(value)")
    }
    if kind == .correlationID {
      guard let datatype = DataType(config: control.dataType),
        [.uint64, .int64, .uint32, .int32, .bytes].contains(datatype)
      else {
        throw fail(
          "control_input '\(name)' (CORRID) needs data_type TYPE_UINT64, TYPE_INT64, TYPE_UINT32, TYPE_INT32 or TYPE_STRING"
        )
      }
      return Control(input: name, kind: kind, datatype: datatype, falseTrue: [])
    }
    func bytes<T: BitwiseCopyable>(_ values: [T]) -> [Data] {
      values.map { value in withUnsafeBytes(of: value) { Data($0) } }
    }
    let lists: [(DataType, [Data], Int)] = [
      (.int32, bytes(control.int32FalseTrue), control.int32FalseTrue.count),
      (.fp32, bytes(control.fp32FalseTrue), control.fp32FalseTrue.count),
      (.bool, bytes(control.boolFalseTrue), control.boolFalseTrue.count),
    ].filter { $0.2 > 0 }
    guard lists.count == 1, lists[0].2 == 2 else {
      throw fail(
        "control_input '\(name)' needs exactly one of int32_false_true, fp32_false_true, bool_false_true with two "
          + "values [false, true]")
    }
    return Control(input: name, kind: kind, datatype: lists[0].0, falseTrue: lists[0].1)
  }
}
