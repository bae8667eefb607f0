public import GRPCWire
public import KServeProtocol

extension GRPCStatus {
  /// The status of a runtime error, with the codes Triton uses for the same failures.
  public init(_ error: InferenceError) {
    let code: Code
    switch error.code {
    case .invalidArgument: code = .invalidArgument
    case .notFound: code = .notFound
    case .unavailable: code = .unavailable
    case .unimplemented: code = .unimplemented
    case .resourceExhausted: code = .resourceExhausted
    case .failedPrecondition: code = .failedPrecondition
    case .alreadyExists: code = .alreadyExists
    case .deadlineExceeded: code = .deadlineExceeded
    case .cancelled: code = .cancelled
    case .unauthenticated: code = .unauthenticated
    default: code = .internal
    }
    self.init(code, error.message)
  }

  /// The status of anything a handler threw: statuses and runtime errors keep their code, cancellation is
  /// CANCELLED, anything else INTERNAL with its description.
  public init(describing error: any Error) {
    switch error {
    case let status as GRPCStatus: self = status
    case let failure as InferenceError: self.init(failure)
    case is CancellationError: self.init(.cancelled, "the call was cancelled")
    default: self.init(.internal, "internal error: \(error)")
    }
  }
}
