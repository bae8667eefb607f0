public import NIOCore

/// Splits a stream's DATA bytes into gRPC messages: each is a 1-byte compressed flag, a 4-byte big-endian
/// length and that many bytes (PROTOCOL-HTTP2, "Length-Prefixed-Message"). A pure value, fed by the
/// connection handler and tested without sockets.
///
/// A prefix is judged as soon as its five bytes are there: a length above the limit is refused before any
/// of the message is buffered, so a peer cannot make the server hold more than `maxMessageBytes` per stream.
public struct GRPCMessageDeframer: Sendable {
  /// One message as it travelled.
  public struct Message: Sendable, Equatable {
    /// Whether the sender compressed it with the stream's `grpc-encoding`.
    public var compressed: Bool
    /// Its bytes.
    public var bytes: ByteBuffer
  }

  private var buffer: ByteBuffer?
  private let maxMessageBytes: Int
  private let role: GRPCRole

  /// Creates a deframer.
  /// - Parameters:
  ///   - maxMessageBytes: The largest message accepted (after the prefix, as sent).
  ///   - role: Which side reads (it names the messages and the setting in errors).
  public init(maxMessageBytes: Int, role: GRPCRole = .server) {
    self.maxMessageBytes = maxMessageBytes
    self.role = role
  }

  /// Whether bytes of an unfinished message are held (a stream that ends now was truncated).
  public var hasPartialMessage: Bool { (buffer?.readableBytes ?? 0) > 0 }

  /// Adds DATA bytes.
  public mutating func append(_ bytes: ByteBuffer) {
    if buffer == nil || buffer!.readableBytes == 0 {
      buffer = bytes
    } else {
      var incoming = bytes
      buffer!.writeBuffer(&incoming)
    }
  }

  /// The next complete message, `nil` when more bytes are needed.
  /// - Throws: ``GRPCStatus`` RESOURCE_EXHAUSTED for a length above the limit, INTERNAL for a flag that is
  ///   neither 0 nor 1. The stream must end with that status; the deframer is not usable afterwards.
  public mutating func next() throws -> Message? {
    guard var current = buffer, current.readableBytes >= 5 else { return nil }
    let start = current.readerIndex
    guard let flag = current.getInteger(at: start, as: UInt8.self),
      let length = current.getInteger(at: start + 1, endianness: .big, as: UInt32.self)
    else { return nil }
    guard flag <= 1 else {
      throw GRPCStatus(
        .internal, "the gRPC message prefix has compression flag \(flag); only 0 and 1 exist (a broken client or proxy)"
      )
    }
    guard Int(length) <= maxMessageBytes else {
      throw GRPCStatus(
        .resourceExhausted,
        "the \(role.incoming) message is \(length) bytes, above \(role.limitOwner) limit of \(maxMessageBytes) bytes; "
          + role.limitHint)
    }
    guard current.readableBytes >= 5 + Int(length) else { return nil }
    current.moveReaderIndex(forwardBy: 5)
    let payload = current.readSlice(length: Int(length))!
    buffer = current.readableBytes == 0 ? nil : current
    return Message(compressed: flag == 1, bytes: payload)
  }
}

/// Which side of a call a wire piece works for; errors name the other side's messages and this side's limit.
public enum GRPCRole: Sendable {
  /// A server reading requests.
  case server
  /// A client reading responses.
  case client

  /// What arrives: "request" or "response".
  public var incoming: String { self == .server ? "request" : "response" }
  var limitOwner: String { self == .server ? "this server's" : "this client's" }
  var limitHint: String {
    self == .server
      ? "split the batch or raise --max-request-size" : "ask for fewer rows or raise the client's maxMessageBytes"
  }
}
