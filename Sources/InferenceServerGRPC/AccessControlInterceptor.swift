public import GRPCCore
public import InferenceRuntime

/// Enforces an ``AccessPolicy`` on every RPC before its handler runs: a request to a restricted protocol
/// group without the right metadata value ends with UNAUTHENTICATED, naming the header but never the
/// expected value. Requests to open groups pass untouched.
public struct AccessControlInterceptor: ServerInterceptor {
  private let policy: AccessPolicy

  /// Creates the interceptor.
  /// - Parameter policy: The restrictions.
  public init(policy: AccessPolicy) {
    self.policy = policy
  }

  public func intercept<Input: Sendable, Output: Sendable>(
    request: StreamingServerRequest<Input>,
    context: ServerContext,
    next: @Sendable (StreamingServerRequest<Input>, ServerContext) async throws -> StreamingServerResponse<Output>
  ) async throws -> StreamingServerResponse<Output> {
    let group = ProtocolGroup.grpc(
      service: context.descriptor.service.fullyQualifiedService, method: context.descriptor.method)
    switch policy.decision(for: group, header: { name in request.metadata[stringValues: name].map { String($0) } }) {
    case .allow:
      return try await next(request, context)
    case .deny(let message):
      return StreamingServerResponse(error: RPCError(code: .unauthenticated, message: message))
    }
  }
}
