public import InferenceRuntime
public import KServeProtocol
internal import Logging
internal import OffloadMeasurement
internal import Synchronization
internal import TritonModelConfig

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// A test backend that fails, hangs or slows down on demand, for fault-injection, overload and soak tests.
/// It ships in the server but is registered only when asked for (`offload serve --enable-test-backends`,
/// `ServerConfiguration.enableTestBackends`); without that a `backend: "fault"` model fails to load with a
/// message that names the flag (``BackendRegistry/disabledBackendHint(for:)``). See docs/reliability.md.
///
/// **Model.** `config.pbtxt` says `backend: "fault"`; the version directory holds `model.fault`. The
/// signature is fixed:
///
/// | tensor | datatype | shape (with batch) | meaning |
/// |---|---|---|---|
/// | input `ACTION` | INT32 | `[-1, 1]` | what the execution does (below) |
/// | input `INPUT0` | FP32 | `[-1, -1]` | payload |
/// | output `OUTPUT0` | FP32 | `[-1, -1]` | `INPUT0`, byte for byte |
///
/// The first dimension is the batch dimension, so `max_batch_size > 0` and `dynamic_batching` work (the
/// config completer defaults `max_batch_size` to 4 when the config does not set it).
///
/// **Actions.** One execution does the largest `ACTION` value among its rows (with dynamic batching, one
/// request asking to fail fails the whole batch it rides in, as a real backend failure would):
/// `0` echo; `1` fail with INTERNAL `fault backend: execution failed on demand`; `2` hang for `hang_ms`
/// (ended early by ``releaseHangs()`` or an `ACTION` 3 execution on any model of this backend); `3` end
/// every hang in progress, then echo. Other values are INVALID_ARGUMENT.
///
/// **Parameters** (`parameters { key: "delay_us" value { string_value: "2000" } }`):
/// `delay_us` (default 0): every execution first sleeps this long, which makes a model of known
/// capacity (instances / delay) for overload tests; `hang_ms` (default 10000): how long `ACTION` 2 hangs;
/// `fail_load` (`true`/`false`): every instance fails to load with an error naming the cause.
///
/// **Model file directives** (whitespace-separated words, `#` starts a comment; an empty file is fine):
/// `fail_signature` makes reading the signature fail (the config completer reads it before any instance
/// loads, so it is the only way to fail that step); `fail_load` does what the parameter does.
public final class FaultInjectionBackend: InferenceBackend, Sendable {
  /// The `backend:` name.
  public static let backendName = "fault"
  /// The model file name.
  public static let modelFilename = "model.fault"
  /// The flag of `offload serve` that registers this backend.
  public static let enablingFlag = "--enable-test-backends"
  /// A fault model's `config.pbtxt`: `backend: "fault"`, the batch size and instance count, the
  /// `parameters` (e.g. `delay_us`, `hang_ms`), then `extra` as written (e.g. a `dynamic_batching` block).
  public static func config(
    maxBatchSize: Int = 8, instances: Int = 1, parameters: [String: String] = [:], extra: String = ""
  ) -> String {
    var text = """
      backend: "fault"
      max_batch_size: \(maxBatchSize)
      instance_group [ { count: \(instances), kind: KIND_CPU } ]

      """
    for (key, value) in parameters.sorted(by: { $0.key < $1.key }) {
      text += "parameters { key: \"\(key)\" value: { string_value: \"\(value)\" } }\n"
    }
    return text + extra
  }

  /// This backend as an unregistered one, for servers that run without ``enablingFlag``: models that ask
  /// for it are told what it is and how to enable it.
  public static let unregistered = BackendRegistry.Unregistered(
    name: backendName, modelFilename: modelFilename,
    howToEnable: "is the fault-injection test backend, registered only when the server runs with \(enablingFlag) "
      + "(for fault, overload and soak tests, not for production)")
  /// Name of the input that selects the action.
  public static let actionInput = "ACTION"
  /// Name of the payload input.
  public static let payloadInput = "INPUT0"
  /// Name of the output (the echoed payload).
  public static let payloadOutput = "OUTPUT0"

  /// The fixed signature of every fault model.
  public static let signature = ModelSignature(
    inputs: [
      .init(name: actionInput, datatype: .int32, engineTypeName: "int32", shape: [-1, 1]),
      .init(name: payloadInput, datatype: .fp32, engineTypeName: "float32", shape: [-1, -1]),
    ],
    outputs: [.init(name: payloadOutput, datatype: .fp32, engineTypeName: "float32", shape: [-1, -1])])

  public let name = FaultInjectionBackend.backendName
  public let platforms = ["fault"]
  public let defaultModelFilename = FaultInjectionBackend.modelFilename
  let gate = FaultInjectionHangGate()

  /// Creates the backend. Each backend has its own set of hangs that ``releaseHangs()`` ends.
  public init() {}

  /// A one-row request for a fault model: `ACTION` = `action`, `INPUT0` = `values` (tests, load generators).
  public static func request(
    model: String, action: Int32, values: [Float] = [1, 2, 3], id: String = ""
  ) -> InferenceRequest {
    InferenceRequest(
      modelName: model, id: id,
      inputs: [
        InferenceTensor(
          name: actionInput, datatype: .int32, shape: [1, 1],
          data: withUnsafeBytes(of: action.littleEndian) { Data($0) }),
        InferenceTensor(
          name: payloadInput, datatype: .fp32, shape: [1, Int64(values.count)],
          data: values.withUnsafeBytes { Data($0) }),
      ])
  }

  /// Executions of this backend's instances that are hanging now (`ACTION` 2), for tests that must know a
  /// hang has begun before they go on.
  public var hangingExecutions: Int { gate.hanging }

  /// Ends every hang in progress at once (they return their echo); later hangs are not affected.
  public func releaseHangs() { gate.releaseAll() }

  public func signature(of modelFile: URL) throws -> ModelSignature {
    let directives = try FaultInjectionSettings.Directives(contentsOf: modelFile)
    if directives.failSignature {
      throw InferenceError(
        .invalidArgument,
        "fault backend: reading the signature of \(modelFile.path) failed on demand (directive fail_signature)")
    }
    return Self.signature
  }

  public func loadInstance(_ context: InstanceLoadContext) throws -> any ModelInstance {
    let model = context.config.name
    let settings = try FaultInjectionSettings(
      config: context.config, directives: FaultInjectionSettings.Directives(contentsOf: context.modelFile))
    if settings.failLoad {
      throw InferenceError(
        .internal,
        "fault backend: loading instance \(context.instanceIndex) of model '\(model)' version \(context.version) "
          + "failed on demand (fail_load)")
    }
    if context.instanceIndex == 0 {
      context.logger.warning(
        "fault-injection test backend in use; not for production",
        metadata: ["delay_us": "\(settings.delay.clampedNanoseconds / 1_000)", "hang_ms": "\(settings.hangMillis)"])
    }
    return FaultInjectionInstance(model: model, settings: settings, gate: gate)
  }
}

/// The hangs of one ``FaultInjectionBackend``: a hang sleeps in short slices until its time is up or a
/// release happened after it began. Polling every few milliseconds keeps it free of locks held across a
/// sleep; a test backend can afford the wake-ups.
final class FaultInjectionHangGate: Sendable {
  private let releases = Atomic<UInt64>(0)
  private let current = Atomic<Int>(0)
  private static let slice = 0.005

  /// Hangs in progress.
  var hanging: Int { current.load(ordering: .acquiring) }

  /// Blocks the calling thread for `duration`, or until ``releaseAll()``.
  func hang(for duration: Duration) {
    let generation = releases.load(ordering: .acquiring)
    let deadline = ContinuousClock.now + duration
    current.add(1, ordering: .acquiringAndReleasing)
    defer { current.subtract(1, ordering: .acquiringAndReleasing) }
    while ContinuousClock.now < deadline, releases.load(ordering: .acquiring) == generation {
      blockThread(seconds: min(Self.slice, max(0, (deadline - ContinuousClock.now).inSeconds)))
    }
  }

  /// Ends every hang in progress.
  func releaseAll() {
    releases.add(1, ordering: .acquiringAndReleasing)
  }
}
