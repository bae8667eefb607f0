internal import GRPCCore

/// Adds fixed metadata (``ConnectionOptions/headers``: credentials for restricted protocols) to every RPC.
struct HeaderInjectingInterceptor: ClientInterceptor {
  let headers: [String: String]

  func intercept<Input: Sendable, Output: Sendable>(
    request: StreamingClientRequest<Input>,
    context: ClientContext,
    next: (StreamingClientRequest<Input>, ClientContext) async throws -> StreamingClientResponse<Output>
  ) async throws -> StreamingClientResponse<Output> {
    var request = request
    for (name, value) in headers { request.metadata.replaceOrAddString(value, forKey: name) }
    return try await next(request, context)
  }
}
