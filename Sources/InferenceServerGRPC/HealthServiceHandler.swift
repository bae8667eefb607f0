internal import GRPCWire
public import InferenceRuntime
public import KServeGRPC

/// The standard `grpc.health.v1.Health` service: the empty service name and
/// `inference.GRPCInferenceService` are SERVING while the runtime is ready.
public struct HealthServiceHandler: Sendable {
  static let knownServices: Set<String> = ["", "inference.GRPCInferenceService"]
  let runtime: ModelRuntime
  let watchInterval: Duration

  /// Creates the handler.
  /// - Parameters:
  ///   - runtime: The runtime whose readiness is reported.
  ///   - watchInterval: How often `Watch` re-checks readiness.
  public init(runtime: ModelRuntime, watchInterval: Duration = .seconds(1)) {
    self.runtime = runtime
    self.watchInterval = watchInterval
  }

  public func check(
    request: Grpc_Health_V1_HealthCheckRequest, context: GRPCCallContext
  ) async throws
    -> Grpc_Health_V1_HealthCheckResponse
  {
    guard Self.knownServices.contains(request.service) else {
      throw GRPCStatus(
        .notFound, "unknown service '\(request.service)'; ask for '' or 'inference.GRPCInferenceService'")
    }
    return status()
  }

  /// Sends the status now and again whenever it changes, until the client goes away or the server drains
  /// (NOT_SERVING is sent first, so a watcher learns it before the stream ends).
  public func watch(
    request: Grpc_Health_V1_HealthCheckRequest,
    response: GRPCResponseWriter,
    context: GRPCCallContext
  ) async throws {
    guard Self.knownServices.contains(request.service) else {
      var unknown = Grpc_Health_V1_HealthCheckResponse()
      unknown.status = .serviceUnknown
      try await response.write(unknown)
      return
    }
    var last = status()
    try await response.write(last)
    while !Task.isCancelled && !runtime.isDraining {
      try await Task.sleep(for: watchInterval)
      let current = status()
      if current.status != last.status {
        try await response.write(current)
        last = current
      }
    }
  }

  private func status() -> Grpc_Health_V1_HealthCheckResponse {
    var response = Grpc_Health_V1_HealthCheckResponse()
    response.status = runtime.isReady ? .serving : .notServing
    return response
  }
}
