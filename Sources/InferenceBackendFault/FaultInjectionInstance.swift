internal import InferenceRuntime
internal import KServeProtocol
internal import OffloadMeasurement

#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif

/// One instance of a ``FaultInjectionBackend`` model: sleeps `delay_us`, then does what the request's
/// `ACTION` says (echo, fail, hang, release hangs).
final class FaultInjectionInstance: ModelInstance, Sendable {
  /// What one execution does.
  enum Action: Int32, Sendable {
    case echo = 0
    case fail = 1
    case hang = 2
    case releaseHangs = 3
  }

  let model: String
  let settings: FaultInjectionSettings
  let gate: FaultInjectionHangGate

  init(model: String, settings: FaultInjectionSettings, gate: FaultInjectionHangGate) {
    self.model = model
    self.settings = settings
    self.gate = gate
  }

  func execute(inputs: [InferenceTensor], outputs: [OutputSpec]) throws -> ExecutionResult {
    let start = ContinuousClock.now
    guard let actions = inputs.first(where: { $0.name == FaultInjectionBackend.actionInput }),
      let payload = inputs.first(where: { $0.name == FaultInjectionBackend.payloadInput })
    else {
      throw InferenceError(
        .internal,
        "fault backend: model '\(model)' was run without its \(FaultInjectionBackend.actionInput) "
          + "and \(FaultInjectionBackend.payloadInput) inputs")
    }
    let action = try Self.action(of: actions, model: model)
    if settings.delay > .zero { blockThread(seconds: settings.delay.inSeconds) }
    switch action {
    case .echo: break
    case .fail:
      throw InferenceError(.internal, "fault backend: execution failed on demand (model '\(model)', ACTION=1)")
    case .hang: gate.hang(for: settings.hang)
    case .releaseHangs: gate.releaseAll()
    }
    let tensors = outputs.map { spec in
      InferenceTensor(name: spec.name, datatype: spec.datatype, shape: payload.shape, data: payload.data)
    }
    let elapsed = (ContinuousClock.now - start).clampedNanoseconds
    return ExecutionResult(
      outputs: tensors, timings: ComputeTimings(inputNanos: 0, inferNanos: elapsed, outputNanos: 0))
  }

  /// The largest action among the rows of the `ACTION` tensor (INT32, little-endian).
  /// - Throws: ``InferenceError`` (invalidArgument) for a value that names no action.
  static func action(of tensor: InferenceTensor, model: String) throws -> Action {
    let values = tensor.data.withUnsafeBytes { raw in
      (0..<(raw.count / 4)).map { Int32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self)) }
    }
    let largest = values.max() ?? 0
    guard let action = Action(rawValue: largest), values.allSatisfy({ $0 >= 0 }) else {
      throw InferenceError(
        .invalidArgument,
        "fault backend: model '\(model)' got ACTION \(values.first { Action(rawValue: $0) == nil } ?? largest); "
          + "use 0 (echo), 1 (fail), 2 (hang) or 3 (release hangs)")
    }
    return action
  }
}
