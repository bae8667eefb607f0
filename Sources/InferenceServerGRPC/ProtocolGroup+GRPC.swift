public import InferenceRuntime

/// Which protocol group each gRPC method belongs to: gRPC's names stay in the gRPC front end.
extension ProtocolGroup {
  /// The group of a `inference.GRPCInferenceService` or `grpc.health.v1.Health` method, `nil` for a method
  /// of another service (which the server does not serve).
  /// - Parameters:
  ///   - service: Fully qualified service name.
  ///   - method: Method name.
  public static func grpc(service: String, method: String) -> ProtocolGroup? {
    if service == "grpc.health.v1.Health" { return .health }
    guard service == "inference.GRPCInferenceService" else { return nil }
    switch method {
    case "ServerLive", "ServerReady", "ModelReady": return .health
    case "ServerMetadata", "ModelMetadata": return .metadata
    case "ModelInfer", "ModelStreamInfer": return .inference
    case "ModelConfig": return .modelConfig
    case "ModelStatistics": return .statistics
    case "RepositoryIndex", "RepositoryModelLoad", "RepositoryModelUnload": return .modelRepository
    case "TraceSetting": return .trace
    case "LogSettings": return .logging
    default:
      return method.hasPrefix("SystemSharedMemory") || method.hasPrefix("CudaSharedMemory") ? .sharedMemory : nil
    }
  }
}
