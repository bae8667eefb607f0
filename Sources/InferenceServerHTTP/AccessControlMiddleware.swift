internal import Foundation
public import HTTPTypes
public import Hummingbird
public import InferenceRuntime
internal import KServeProtocol

/// Enforces an ``AccessPolicy`` on the KServe v2 routes: a request to a restricted protocol group without
/// the right header value gets 401 with a JSON error naming the header (never the expected value) and a
/// `WWW-Authenticate` challenge when the header is `authorization`.
public struct AccessControlMiddleware<Context: RequestContext>: RouterMiddleware {
  private let policy: AccessPolicy

  /// Creates the middleware.
  /// - Parameter policy: The restrictions.
  public init(policy: AccessPolicy) {
    self.policy = policy
  }

  public func handle(
    _ request: Request, context: Context, next: (Request, Context) async throws -> Response
  ) async throws -> Response {
    let group = ProtocolGroup.http(path: request.uri.path)
    let decision = policy.decision(for: group) { name in
      guard let field = HTTPField.Name(name) else { return [] }
      return request.headers[values: field]
    }
    switch decision {
    case .allow:
      return try await next(request, context)
    case .deny(let message):
      var response = HTTPFrontEnd.errorResponse(InferenceError(.unauthenticated, message))
      if policy.rules.contains(where: { $0.header == "authorization" && group.map($0.groups.contains) == true }) {
        response.headers[.wwwAuthenticate] = "Bearer"
      }
      return response
    }
  }
}
