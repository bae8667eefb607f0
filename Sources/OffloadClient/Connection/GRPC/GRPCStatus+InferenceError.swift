internal import GRPCWire
internal import KServeProtocol

extension InferenceError {
  /// The client-side view of a failed call: the server's status code and message as sent.
  init(_ status: GRPCStatus, endpoint: String) {
    let code: InferenceError.Code =
      switch status.code {
      case .invalidArgument, .outOfRange: .invalidArgument
      case .notFound: .notFound
      case .unavailable: .unavailable
      case .unimplemented: .unimplemented
      case .resourceExhausted: .resourceExhausted
      case .failedPrecondition: .failedPrecondition
      case .alreadyExists: .alreadyExists
      case .deadlineExceeded: .deadlineExceeded
      case .cancelled: .cancelled
      case .unauthenticated, .permissionDenied: .unauthenticated
      default: .internal
      }
    self.init(code, "\(endpoint): \(status.message)", cause: status)
  }
}
