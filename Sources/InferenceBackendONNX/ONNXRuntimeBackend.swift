public import InferenceRuntime
internal import KServeProtocol
public import Logging
internal import Synchronization
internal import TritonModelConfig

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// Runs ONNX models through ONNX Runtime's C API, loaded with dlopen the first time a model needs it.
/// A missing or broken library fails the ONNX models with a clear reason; the server still starts.
public final class ONNXRuntimeBackend: InferenceBackend, Sendable {
  public let name = "onnxruntime"
  public let platforms = ["onnxruntime_onnx"]
  public let defaultModelFilename = "model.onnx"

  private let libraryPath: String?
  private let sharedIntraOpThreads: Int
  private let logger: Logger
  private let environment = Mutex<Result<ORTEnvironment, InferenceError>?>(nil)

  /// Creates the backend.
  /// - Parameters:
  ///   - libraryPath: `libonnxruntime.so` to load; `nil` searches (see ``ONNXRuntimeLocator``).
  ///   - sharedIntraOpThreads: Threads of the intra-op pool shared by every model that sets no thread
  ///     parameters; `nil` (or 0) uses one per core. ONNX Runtime keeps one environment per process, so the
  ///     first backend to load the library decides.
  ///   - logger: Logger for library loading.
  public init(libraryPath: String?, sharedIntraOpThreads: Int? = nil, logger: Logger) {
    self.libraryPath = libraryPath
    let requested = sharedIntraOpThreads ?? 0
    self.sharedIntraOpThreads = requested > 0 ? requested : max(ProcessInfo.processInfo.activeProcessorCount, 1)
    self.logger = logger
  }

  /// The loaded ONNX Runtime version, loading the library if needed.
  /// - Throws: ``InferenceError`` (unavailable) when the library cannot be loaded.
  public func runtimeVersion() throws -> String { try loadedEnvironment().library.version }

  func loadedEnvironment() throws -> ORTEnvironment {
    try environment.withLock { cached in
      if let cached { return try cached.get() }
      let result: Result<ORTEnvironment, InferenceError>
      do {
        let path = try ONNXRuntimeLocator.resolve(explicit: libraryPath)
        let library = try ORTLibrary.load(path: path)
        let loaded = try ORTEnvironment.shared(library: library, sharedIntraOpThreads: sharedIntraOpThreads)
        result = .success(loaded)
        logger.info(
          "ONNX Runtime loaded",
          metadata: [
            "path": "\(path)", "version": "\(library.version)",
            "shared_intra_op_threads": "\(loaded.sharedIntraOpThreads)",
          ])
      } catch {
        result = .failure(InferenceError(.unavailable, "ONNX Runtime is not available: \(error)"))
      }
      cached = result
      return try result.get()
    }
  }

  public func signature(of modelFile: URL) throws -> ModelSignature {
    let session = try makeSession(modelFile, options: ORTSessionOptions())
    func convert(_ info: ORTTensorInfo) -> ModelSignature.Tensor {
      ModelSignature.Tensor(
        name: info.name, datatype: info.isTensor ? info.elementType.dataType : nil, engineTypeName: info.typeName,
        shape: info.shape)
    }
    return ModelSignature(inputs: session.inputs.map(convert), outputs: session.outputs.map(convert))
  }

  public func loadInstance(_ context: InstanceLoadContext) throws -> any ModelInstance {
    let options = try ONNXSessionSettings.options(from: context.config)
    let instance: ONNXModelInstance
    let threads: String
    if options.sharedThreadPool {
      // Small executions on the calling thread alone, large ones on the shared pool (see ONNXModelInstance).
      var alone = options
      alone.sharedThreadPool = false
      alone.intraOpThreads = 1
      alone.interOpThreads = 1
      instance = ONNXModelInstance(
        session: try makeSession(context.modelFile, options: alone),
        largeSession: try makeSession(context.modelFile, options: options))
      threads = "calling thread; shared pool from \(ONNXModelInstance.largeExecutionElements) input elements"
    } else {
      instance = ONNXModelInstance(session: try makeSession(context.modelFile, options: options))
      threads = "intra-op \(options.intraOpThreads), inter-op \(options.interOpThreads)"
    }
    context.logger.debug(
      "ONNX Runtime session created", metadata: ["instance": "\(context.instanceIndex)", "threads": "\(threads)"])
    return instance
  }

  private func makeSession(_ file: URL, options: ORTSessionOptions) throws -> ORTSession {
    let environment = try loadedEnvironment()
    do {
      return try ORTSession(environment: environment, modelPath: file.path, options: options)
    } catch {
      throw InferenceError(.invalidArgument, "ONNX Runtime cannot load \(file.path): \(error)")
    }
  }
}

extension ORTElementType {
  /// The KServe datatype of this element type, or `nil` when it has none.
  var dataType: DataType? {
    switch self {
    case .float: return .fp32
    case .uint8: return .uint8
    case .int8: return .int8
    case .uint16: return .uint16
    case .int16: return .int16
    case .int32: return .int32
    case .int64: return .int64
    case .string: return .bytes
    case .bool: return .bool
    case .float16: return .fp16
    case .double: return .fp64
    case .uint32: return .uint32
    case .uint64: return .uint64
    case .bfloat16: return .bf16
    default: return nil
    }
  }

  /// The element types that have a KServe datatype: every datatype has exactly one.
  private static let withDataType = allCases.filter { $0.dataType != nil }

  /// The element type of a KServe datatype (the inverse of ``dataType``).
  init(_ dataType: DataType) {
    guard let type = Self.withDataType.first(where: { $0.dataType == dataType }) else {
      preconditionFailure("no ONNX Runtime element type for \(dataType.rawValue)")
    }
    self = type
  }
}
