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
  /// Why headers are refused.
  public enum Refusal: Error, Sendable, Equatable {
    /// Not a gRPC request: answered with this HTTP status and no gRPC status (415 for a wrong content-type,
    /// as PROTOCOL-HTTP2 says).
    case http(status: String)
    /// A gRPC call that cannot run: answered with this status.
    case status(GRPCStatus)
  }

  /// Checks request headers, in one pass over them (HTTP/2 field names are lower-case; swift-nio-http2 refuses
  /// others before they get here).
  /// - Throws: ``Refusal``.
  public init(_ headers: HPACKHeaders) throws(Refusal) {
    var contentType: String?
    var method: String?
    var path: String?
    var timeout: String?
    var encodings: [Substring] = []
    for (name, value, _) in headers {
      switch name {
      case ":path": path = value
      case ":method": method = value
      case "content-type": contentType = value
      case "grpc-timeout": timeout = value
      case "grpc-encoding":
        encodings += value.split(separator: ",").map { $0.trimmingSpaces() }
      default: break
      }
    }
    guard let contentType, Self.isGRPCContentType(contentType) else { throw .http(status: "415") }
    guard method == "POST" else {
      throw .status(GRPCStatus(.invalidArgument, "gRPC calls use the HTTP method POST"))
    }
    guard let path, path.hasPrefix("/") else {
      throw .status(GRPCStatus(.unimplemented, "the request has no :path naming a method (/package.Service/Method)"))
    }
    self.path = path
    if let timeout {
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
  }

  /// The first encoding of `grpc-accept-encoding` that this server writes (read only where response
  /// compression is on: most calls never need it).
  public static func acceptedResponseEncoding(in headers: HPACKHeaders) -> GRPCCompression? {
    GRPCCompression.preferred(in: headers[canonicalForm: "grpc-accept-encoding"])
  }

  /// `application/grpc`, optionally followed by `+proto` or another suffix, or by parameters.
  static func isGRPCContentType(_ value: String) -> Bool {
    if value == "application/grpc" { return true }  // what nearly every client sends
    let lowered = value.lowercased()
    guard lowered.hasPrefix("application/grpc") else { return false }
    let rest = lowered.dropFirst("application/grpc".count)
    return rest.isEmpty || rest.hasPrefix("+") || rest.hasPrefix(";")
  }
}

extension Substring {
  fileprivate func trimmingSpaces() -> Substring {
    var result = self
    while result.first == " " || result.first == "\t" { result = result.dropFirst() }
    while result.last == " " || result.last == "\t" { result = result.dropLast() }
    return result
  }
}
