/// The protocol groups that access control restricts, with Triton's names (as in
/// `--grpc-restricted-protocol` / `--http-restricted-api`). Every gRPC method and HTTP route belongs to
/// exactly one group: HTTP routes by where the HTTP front end registers them (`HTTPRoutes+<Group>.swift`),
/// gRPC methods by the gRPC front end's table (`ProtocolGroup+GRPC.swift`).
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
}
