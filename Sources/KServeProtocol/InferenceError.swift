/// The one error type of the inference layers: a code that maps to gRPC and HTTP statuses at the edge,
/// and a message that names the object at fault and what to do about it.
public struct InferenceError: Error, Sendable, CustomStringConvertible {
  /// An extensible error code, mapped to a gRPC status code and an HTTP status by the front ends.
  public struct Code: Hashable, Sendable, CustomStringConvertible {
    private enum Wrapped: Hashable, Sendable {
      case invalidArgument, notFound, unavailable, `internal`, unimplemented, resourceExhausted
      case failedPrecondition, alreadyExists, deadlineExceeded, cancelled, unauthenticated
    }
    private let wrapped: Wrapped
    private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

    /// The request is malformed (bad shape, datatype, name ...).
    public static let invalidArgument = Code(.invalidArgument)
    /// The named model, version or object does not exist.
    public static let notFound = Code(.notFound)
    /// The model exists but cannot serve now (not ready, queue full, shutting down).
    public static let unavailable = Code(.unavailable)
    /// A failure inside the server or a backend.
    public static let `internal` = Code(.internal)
    /// The feature is not provided by this server (yet).
    public static let unimplemented = Code(.unimplemented)
    /// A size or capacity limit was exceeded.
    public static let resourceExhausted = Code(.resourceExhausted)
    /// The operation is not allowed in the current state.
    public static let failedPrecondition = Code(.failedPrecondition)
    /// The object already exists.
    public static let alreadyExists = Code(.alreadyExists)
    /// The request's deadline or timeout passed.
    public static let deadlineExceeded = Code(.deadlineExceeded)
    /// The request was cancelled.
    public static let cancelled = Code(.cancelled)
    /// Credentials are missing or wrong.
    public static let unauthenticated = Code(.unauthenticated)

    public var description: String { String(describing: wrapped) }
  }

  /// What kind of failure this is.
  public var code: Code
  /// A sentence naming the object at fault and the fix.
  public var message: String
  /// The underlying error, if any.
  public var cause: (any Error & Sendable)?

  /// Creates an error.
  /// - Parameters:
  ///   - code: The failure kind.
  ///   - message: What is wrong and what to do.
  ///   - cause: The underlying error.
  public init(_ code: Code, _ message: String, cause: (any Error & Sendable)? = nil) {
    self.code = code
    self.message = message
    self.cause = cause
  }

  public var description: String { "\(code): \(message)" }
}
