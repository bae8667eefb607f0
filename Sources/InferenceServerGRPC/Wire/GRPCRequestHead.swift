public import GRPCWire
public import NIOHPACK

/// A call's request headers, checked: what the connection needs to run it, or why it is refused.
/// Pure; the connection handler answers a refusal before any handler runs.
public struct GRPCRequestHead: Sendable {
  /// The request path, `/package.Service/Method`.
  public var path: String
  /// `grpc-timeout` in nanoseconds, if sent.
  public var timeoutNanos: Int64?
  /// The encoding of compressed request messages (`nil`: identity).
  public var requestEncoding: GRPCCompression?
  /// The first encoding the client accepts for responses (used only where response compression is on).
  public var acceptedResponseEncoding: GRPCCompression?

  /// Why headers are refused.
  public enum Refusal: Error, Sendable, Equatable {
    /// Not a gRPC request: answered with this HTTP status and no gRPC status (415 for a wrong content-type,
    /// as PROTOCOL-HTTP2 says).
    case http(status: String)
    /// A gRPC call that cannot run: answered with this status.
    case status(GRPCStatus)
  }

  /// Checks request headers.
  /// - Throws: ``Refusal``.
  public init(_ headers: HPACKHeaders) throws(Refusal) {
    guard let contentType = headers.first(name: "content-type"), Self.isGRPCContentType(contentType) else {
      throw .http(status: "415")
    }
    guard headers.first(name: ":method") == "POST" else {
      throw .status(GRPCStatus(.invalidArgument, "gRPC calls use the HTTP method POST"))
    }
    guard let path = headers.first(name: ":path"), path.hasPrefix("/") else {
      throw .status(GRPCStatus(.unimplemented, "the request has no :path naming a method (/package.Service/Method)"))
    }
    self.path = path
    if let timeout = headers.first(name: "grpc-timeout") {
      guard let nanos = GRPCTimeout.nanoseconds(timeout) else {
        throw .status(
          GRPCStatus(
            .invalidArgument,
            "grpc-timeout '\(timeout)' is not 1-8 digits followed by a unit (H, M, S, m, u or n)"))
      }
      timeoutNanos = nanos
    } else {
      timeoutNanos = nil
    }
    let encodings = headers[canonicalForm: "grpc-encoding"]
    switch encodings.count {
    case 0:
      requestEncoding = nil
    case 1 where encodings[0].lowercased() == "identity":
      requestEncoding = nil
    case 1:
      guard let encoding = GRPCCompression(rawValue: encodings[0].lowercased()) else {
        throw .status(
          GRPCStatus(
            .unimplemented,
            "grpc-encoding '\(encodings[0])' is not supported; this server reads \(GRPCCompression.acceptEncodingValue)"
          ))
      }
      requestEncoding = encoding
    default:
      throw .status(GRPCStatus(.internal, "grpc-encoding must have one value; the request has \(encodings.count)"))
    }
    acceptedResponseEncoding = GRPCCompression.preferred(in: headers[canonicalForm: "grpc-accept-encoding"])
  }

  /// `application/grpc`, optionally followed by `+proto` or another suffix, or by parameters.
  static func isGRPCContentType(_ value: String) -> Bool {
    let lowered = value.lowercased()
    guard lowered.hasPrefix("application/grpc") else { return false }
    let rest = lowered.dropFirst("application/grpc".count)
    return rest.isEmpty || rest.hasPrefix("+") || rest.hasPrefix(";")
  }
}
