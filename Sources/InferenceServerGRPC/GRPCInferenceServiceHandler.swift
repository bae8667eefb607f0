public import InferenceRuntime
public import KServeGRPC
internal import KServeProtocol
public import Logging

/// `inference.GRPCInferenceService` over a ``ModelRuntime``: translates wire messages to runtime calls
/// and runtime errors to gRPC statuses. Knows no transport: ``KServeGRPCService`` puts its methods in a
/// ``GRPCMethodTable`` that a connection serves.
public struct GRPCInferenceServiceHandler: Sendable {
  let runtime: ModelRuntime
  let configuration: GRPCFrontEndConfiguration
  let logger: Logger
  /// The log settings LogSettings reads and changes.
  let logSettingsStore: LogSettingsStore

  /// Creates the handler.
  /// - Parameters:
  ///   - runtime: The runtime that serves the models.
  ///   - configuration: Server identity and stream limits.
  ///   - logger: Request logger.
  public init(runtime: ModelRuntime, configuration: GRPCFrontEndConfiguration, logger: Logger) {
    self.runtime = runtime
    self.configuration = configuration
    self.logger = logger
    self.logSettingsStore = configuration.logSettings ?? LogSettingsStore(LogSettings(level: logger.logLevel))
  }

  public func serverLive(
    request: Inference_ServerLiveRequest, context: GRPCCallContext
  ) async throws
    -> Inference_ServerLiveResponse
  {
    var response = Inference_ServerLiveResponse()
    response.live = runtime.isLive
    return response
  }

  public func serverReady(
    request: Inference_ServerReadyRequest, context: GRPCCallContext
  ) async throws
    -> Inference_ServerReadyResponse
  {
    var response = Inference_ServerReadyResponse()
    response.ready = runtime.isReady
    return response
  }

  public func modelReady(
    request: Inference_ModelReadyRequest, context: GRPCCallContext
  ) async throws
    -> Inference_ModelReadyResponse
  {
    var response = Inference_ModelReadyResponse()
    response.ready = runtime.isModelReady(name: request.name, version: request.version)
    return response
  }

  public func serverMetadata(
    request: Inference_ServerMetadataRequest, context: GRPCCallContext
  ) async throws
    -> Inference_ServerMetadataResponse
  {
    var response = Inference_ServerMetadataResponse()
    response.name = configuration.serverName
    response.version = configuration.serverVersion
    response.extensions = configuration.extensions
    return response
  }

  public func modelMetadata(
    request: Inference_ModelMetadataRequest, context: GRPCCallContext
  ) async throws
    -> Inference_ModelMetadataResponse
  {
    let metadata = try runtime.metadata(name: request.name, version: request.version)
    var response = Inference_ModelMetadataResponse()
    response.name = metadata.name
    response.versions = metadata.versions
    response.platform = metadata.platform
    response.inputs = metadata.inputs.map(Self.tensorMetadata)
    response.outputs = metadata.outputs.map(Self.tensorMetadata)
    return response
  }

  private static func tensorMetadata(_ tensor: ModelMetadata.Tensor) -> Inference_ModelMetadataResponse.TensorMetadata {
    var t = Inference_ModelMetadataResponse.TensorMetadata()
    t.name = tensor.name
    t.datatype = tensor.datatype.rawValue
    t.shape = tensor.shape
    return t
  }

  public func modelConfig(
    request: Inference_ModelConfigRequest, context: GRPCCallContext
  ) async throws
    -> Inference_ModelConfigResponse
  {
    var response = Inference_ModelConfigResponse()
    response.config = try runtime.config(name: request.name, version: request.version)
    return response
  }
}
