internal import KServeGRPC

/// The methods this server answers: all 20 of `inference.GRPCInferenceService` and `grpc.health.v1.Health`,
/// as a ``GRPCMethodTable`` for ``GRPCConnectionHandler``.
public enum KServeGRPCService {
  /// The service name of Triton's protocol.
  public static let inferenceService = "inference.GRPCInferenceService"
  /// The standard health service.
  public static let healthService = "grpc.health.v1.Health"

  /// The table of both services.
  public static func methods(handler h: GRPCInferenceServiceHandler, health: HealthServiceHandler) -> GRPCMethodTable {
    var table = GRPCMethodTable()
    func add(_ method: String, _ handler: GRPCMethodHandler) {
      table.register(service: inferenceService, method: method, handler)
    }
    add("ServerLive", GRPCMethodTable.unary(h.serverLive))
    add("ServerReady", GRPCMethodTable.unary(h.serverReady))
    add("ModelReady", GRPCMethodTable.unary(h.modelReady))
    add("ServerMetadata", GRPCMethodTable.unary(h.serverMetadata))
    add("ModelMetadata", GRPCMethodTable.unary(h.modelMetadata))
    add("ModelConfig", GRPCMethodTable.unary(h.modelConfig))
    add("ModelInfer", GRPCMethodTable.unary(h.modelInfer))
    add("ModelStreamInfer", GRPCMethodTable.messageByMessage(h.modelStreamInfer))
    add("ModelStatistics", GRPCMethodTable.unary(h.modelStatistics))
    add("RepositoryIndex", GRPCMethodTable.unary(h.repositoryIndex))
    add("RepositoryModelLoad", GRPCMethodTable.unary(h.repositoryModelLoad))
    add("RepositoryModelUnload", GRPCMethodTable.unary(h.repositoryModelUnload))
    add("SystemSharedMemoryStatus", GRPCMethodTable.unary(h.systemSharedMemoryStatus))
    add("SystemSharedMemoryRegister", GRPCMethodTable.unary(h.systemSharedMemoryRegister))
    add("SystemSharedMemoryUnregister", GRPCMethodTable.unary(h.systemSharedMemoryUnregister))
    add("CudaSharedMemoryStatus", GRPCMethodTable.unary(h.cudaSharedMemoryStatus))
    add("CudaSharedMemoryRegister", GRPCMethodTable.unary(h.cudaSharedMemoryRegister))
    add("CudaSharedMemoryUnregister", GRPCMethodTable.unary(h.cudaSharedMemoryUnregister))
    add("TraceSetting", GRPCMethodTable.unary(h.traceSetting))
    add("LogSettings", GRPCMethodTable.unary(h.logSettings))
    table.register(service: healthService, method: "Check", GRPCMethodTable.unary(health.check))
    table.register(
      service: healthService, method: "Watch",
      GRPCMethodTable.serverStreaming { request, context, writer in
        try await health.watch(request: request, response: writer, context: context)
      })
    return table
  }
}
