public import GRPCCore
public import KServeProtocol

extension InferenceError: RPCErrorConvertible {
  /// The gRPC status for this error, as Triton uses them.
  public var rpcErrorCode: RPCError.Code {
    switch code {
    case .invalidArgument: return .invalidArgument
    case .notFound: return .notFound
    case .unavailable: return .unavailable
    case .unimplemented: return .unimplemented
    case .resourceExhausted: return .resourceExhausted
    case .failedPrecondition: return .failedPrecondition
    case .alreadyExists: return .alreadyExists
    case .deadlineExceeded: return .deadlineExceeded
    case .cancelled: return .cancelled
    case .unauthenticated: return .unauthenticated
    default: return .internalError
    }
  }

  /// The status message.
  public var rpcErrorMessage: String { message }
}
