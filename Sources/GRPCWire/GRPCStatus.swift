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

  /// Reads a `grpc-message` value: `%XX` sequences decoded as UTF-8; a malformed sequence is kept as
  /// it came (the spec asks receivers not to fail a call over its message).
  public static func percentDecode(_ text: some StringProtocol) -> String {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(text.utf8.count)
    let utf8 = Array(text.utf8)
    var index = 0
    func hexValue(_ byte: UInt8) -> UInt8? {
      switch byte {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
      case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
      case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
      default: nil
      }
    }
    while index < utf8.count {
      if utf8[index] == UInt8(ascii: "%"), index + 2 < utf8.count,
        let high = hexValue(utf8[index + 1]), let low = hexValue(utf8[index + 2])
      {
        bytes.append(high << 4 | low)
        index += 3
      } else {
        bytes.append(utf8[index])
        index += 1
      }
    }
    return String(decoding: bytes, as: UTF8.self)
  }

  /// The status a client reads from a response's `grpc-status` and `grpc-message`: an unknown or
  /// unparsable code is UNKNOWN (gRPC's `statuscodes.md`).
  public init(wireCode: some StringProtocol, wireMessage: (some StringProtocol)?) {
    let code = Int(wireCode).flatMap(Code.init(rawValue:)) ?? .unknown
    self.init(code, wireMessage.map { Self.percentDecode($0) } ?? "")
  }

  /// The status of a response that is not gRPC's: the HTTP status mapped as gRPC's
  /// `http-grpc-status-mapping.md` says.
  public init(httpStatus: Int) {
    let code: Code =
      switch httpStatus {
      case 400: .internal
      case 401: .unauthenticated
      case 403: .permissionDenied
      case 404: .unimplemented
      case 429, 502, 503, 504: .unavailable
      default: .unknown
      }
    self.init(code, "the server answered HTTP status \(httpStatus) instead of a gRPC response; is this a gRPC port?")
  }
}
