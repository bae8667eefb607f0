/// The protocol groups that access control restricts, with Triton's names (as in
/// `--grpc-restricted-protocol` / `--http-restricted-api`). Every gRPC method and HTTP route belongs to
/// exactly one group: HTTP routes by where the HTTP front end registers them (`HTTPRoutes+<Group>.swift`).
public enum ProtocolGroup: String, Sendable, CaseIterable, Hashable {
  /// Liveness and readiness of the server and of models (also grpc.health.v1).
  case health
  /// Server and model metadata.
  case metadata
  /// Inference requests.
  case inference
  /// System and CUDA shared-memory registration.
  case sharedMemory = "shared-memory"
  /// Model configurations.
  case modelConfig = "model-config"
  /// Repository index, model load and unload.
  case modelRepository = "model-repository"
  /// Model statistics.
  case statistics
  /// Trace settings.
  case trace
  /// Log settings.
  case logging

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
