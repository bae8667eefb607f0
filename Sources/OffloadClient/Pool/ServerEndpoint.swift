internal import KServeProtocol

#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif

/// One server's gRPC address.
public struct ServerEndpoint: Hashable, Sendable, CustomStringConvertible, Comparable {
  /// Host name or IP address.
  public var host: String
  /// gRPC port.
  public var port: Int

  /// Creates an endpoint.
  public init(host: String, port: Int) {
    self.host = host
    self.port = port
  }

  /// Parses `host:port`, `[v6addr]:port`, or a bare host (port 8001, Triton's gRPC default).
  /// - Throws: `InferenceError` (invalid argument) naming the bad text and the expected form.
  public init(parsing text: some StringProtocol) throws {
    let text = String(text).trimmingWhitespace()
    var host = Substring(text)
    var port = 8001
    if text.hasPrefix("[") {
      guard let close = text.firstIndex(of: "]") else {
        throw InferenceError(.invalidArgument, "server address '\(text)': missing ']'; write [::1]:8001")
      }
      host = text[text.index(after: text.startIndex)..<close]
      let rest = text[text.index(after: close)...]
      if rest.hasPrefix(":") {
        guard let p = Int(rest.dropFirst()), (1...65535).contains(p) else {
          throw InferenceError(.invalidArgument, "server address '\(text)': port must be 1...65535")
        }
        port = p
      }
    } else if let colon = text.lastIndex(of: ":") {
      host = text[..<colon]
      guard let p = Int(text[text.index(after: colon)...]), (1...65535).contains(p) else {
        throw InferenceError(
          .invalidArgument, "server address '\(text)': port must be 1...65535; write host:port, e.g. localhost:8001")
      }
      port = p
    }
    guard !host.isEmpty else {
      throw InferenceError(.invalidArgument, "server address '\(text)' has no host; write host:port")
    }
    self.init(host: String(host), port: port)
  }

  public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

  public static func < (a: Self, b: Self) -> Bool { (a.host, a.port) < (b.host, b.port) }
}
