public import HTTPTypes
public import Hummingbird
public import KServeProtocol
internal import NIOCore

#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif

/// Errors leave every route the same way: the status says whose fault it is, the body is
/// `{"error": message}`, as Triton answers.
extension InferenceError: HTTPResponseError {
  /// The HTTP status of this error's code.
  public var status: HTTPResponse.Status {
    switch code {
    case .invalidArgument, .failedPrecondition, .alreadyExists: .badRequest
    case .notFound: .notFound
    case .resourceExhausted: .contentTooLarge
    case .unavailable: .serviceUnavailable
    case .unimplemented: .notImplemented
    case .deadlineExceeded: .gatewayTimeout
    case .unauthenticated: .unauthorized
    default: .internalServerError
    }
  }

  /// `{"error": message}` with ``status``.
  public func response(from request: Request, context: some RequestContext) throws -> Response {
    httpResponse
  }

  /// The answer, built without a request (middleware and fixed answers).
  var httpResponse: Response {
    let data = (try? JSONEncoder().encode(ErrorBody(error: message))) ?? Data(#"{"error":"internal error"}"#.utf8)
    return Response(
      status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
  }
}
