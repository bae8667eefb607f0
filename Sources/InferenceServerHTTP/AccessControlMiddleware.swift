internal import HTTPTypes
public import Hummingbird
public import InferenceRuntime
internal import KServeProtocol

/// Guards the routes of one restricted protocol group (installed on that group's routes only, so a route's
/// group is where it is registered, never re-derived from the path): a request without the right header
/// value gets 401 with a JSON error naming the header (never the expected value) and a `WWW-Authenticate`
/// challenge when the header is `authorization`.
public struct AccessControlMiddleware<Context: RequestContext>: RouterMiddleware {
  private let group: ProtocolGroup
  private let policy: AccessPolicy

  /// Creates the middleware for the routes of `group`.
  public init(group: ProtocolGroup, policy: AccessPolicy) {
    self.group = group
    self.policy = policy
  }

  public func handle(
    _ request: Request, context: Context, next: (Request, Context) async throws -> Response
  ) async throws -> Response {
    let decision = policy.decision(for: group) { name in
      guard let field = HTTPField.Name(name) else { return [] }
      return request.headers[values: field]
    }
    switch decision {
    case .allow:
      return try await next(request, context)
    case .deny(let message):
      var response = InferenceError(.unauthenticated, message).httpResponse
      if policy.rules.contains(where: { $0.header == "authorization" && $0.groups.contains(group) }) {
        response.headers[.wwwAuthenticate] = "Bearer"
      }
      return response
    }
  }
}
