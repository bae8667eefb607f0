public import KServeProtocol

/// A gRPC status: the `grpc-status` code and `grpc-message` text that end every call (gRPC's PROTOCOL-HTTP2).
public struct GRPCStatus: Error, Sendable, Equatable {
  /// The status codes of gRPC's `statuscodes.md`, with their wire numbers.
  public enum Code: Int, Sendable, Equatable {
    case ok = 0
    case cancelled = 1
    case unknown = 2
    case invalidArgument = 3
    case deadlineExceeded = 4
    case notFound = 5
    case alreadyExists = 6
    case permissionDenied = 7
    case resourceExhausted = 8
    case failedPrecondition = 9
    case aborted = 10
    case outOfRange = 11
    case unimplemented = 12
    case `internal` = 13
    case unavailable = 14
    case dataLoss = 15
    case unauthenticated = 16
  }

  /// The code.
  public var code: Code
  /// The message (plain text; ``encodedMessage`` is what travels).
  public var message: String

  /// Creates a status.
  public init(_ code: Code, _ message: String) {
    self.code = code
    self.message = message
  }

  /// A success.
  public static let ok = GRPCStatus(.ok, "")

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

  /// `grpc-message` as sent: percent-encoded UTF-8, every byte outside printable ASCII and '%' itself as
  /// `%XX` (PROTOCOL-HTTP2, "Status-Message").
  public var encodedMessage: String {
    Self.percentEncode(message)
  }

  static func percentEncode(_ text: String) -> String {
    let hex: [UInt8] = Array("0123456789ABCDEF".utf8)
    var bytes: [UInt8] = []
    bytes.reserveCapacity(text.utf8.count)
    for byte in text.utf8 {
      if byte >= 0x20 && byte <= 0x7E && byte != UInt8(ascii: "%") {
        bytes.append(byte)
      } else {
        bytes.append(UInt8(ascii: "%"))
        bytes.append(hex[Int(byte >> 4)])
        bytes.append(hex[Int(byte & 0x0F)])
      }
    }
    return String(decoding: bytes, as: UTF8.self)
  }
}
