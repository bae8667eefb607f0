internal import KServeProtocol
internal import NIOPosix

#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// Where the pool finds its servers: fixed addresses, DNS names that resolve to several addresses
/// (re-resolved on every health round, so replicas that come and go are followed), or both.
///
/// Textual form, used by `--servers`, `OFFLOAD_SERVERS` and server files: entries separated by commas,
/// whitespace or new lines; `#` starts a comment; `dns:NAME:PORT` (or `dns:///NAME:PORT`) marks a name to
/// resolve into every address it has; anything else is `host:port`.
public struct ServerDiscovery: Sendable, Equatable, CustomStringConvertible {
  /// One entry.
  public enum Entry: Sendable, Equatable, CustomStringConvertible {
    /// One server.
    case address(ServerEndpoint)
    /// Every address the name resolves to, on `port`.
    case dns(name: String, port: Int)

    public var description: String {
      switch self {
      case .address(let endpoint): endpoint.description
      case .dns(let name, let port): "dns:\(name):\(port)"
      }
    }
  }

  /// The entries.
  public var entries: [Entry]

  /// The environment variable read by ``fromEnvironment(_:)``.
  public static let environmentVariable = "OFFLOAD_SERVERS"

  /// Creates a discovery from entries.
  public init(_ entries: [Entry]) { self.entries = entries }

  /// Fixed servers.
  public static func servers(_ endpoints: [ServerEndpoint]) -> Self { Self(endpoints.map { .address($0) }) }

  /// Parses the textual form.
  /// - Throws: `InferenceError` naming the bad entry.
  public init(parsing text: String) throws {
    var entries: [Entry] = []
    for line in text.split(whereSeparator: \.isNewline) {
      let content = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
      for token in content.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\t" }) where !token.isEmpty {
        if token.hasPrefix("dns:") {
          var rest = token.dropFirst(4)
          while rest.hasPrefix("/") { rest = rest.dropFirst() }
          let endpoint = try ServerEndpoint(parsing: rest)
          entries.append(.dns(name: endpoint.host, port: endpoint.port))
        } else {
          entries.append(.address(try ServerEndpoint(parsing: token)))
        }
      }
    }
    guard !entries.isEmpty else {
      throw InferenceError(.invalidArgument, "no servers given; list host:port entries, e.g. 'node1:8001,node2:8001'")
    }
    self.entries = entries
  }

  /// Reads ``environmentVariable`` (`OFFLOAD_SERVERS`), or returns `nil` when it is unset or empty.
  public static func fromEnvironment(_ name: String = environmentVariable) throws -> Self? {
    guard let text = ProcessInfo.processInfo.environment[name], !text.isEmpty else { return nil }
    return try Self(parsing: text)
  }

  /// Reads a server file (the textual form, one or more entries per line).
  /// - Throws: `InferenceError` when the file cannot be read or holds a bad entry.
  public static func fromFile(_ path: String) throws -> Self {
    let text: String
    do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
      throw InferenceError(.invalidArgument, "cannot read server file '\(path)': \(error)")
    }
    return try Self(parsing: text)
  }

  public var description: String { entries.map(\.description).joined(separator: ",") }

  /// The current set of endpoints: fixed ones as given, DNS names resolved now. A name that does not
  /// resolve contributes nothing this round (the pool logs it and tries again on the next round).
  /// - Returns: Endpoints and, per failed name, why it failed.
  public func resolve() async -> (endpoints: [ServerEndpoint], failures: [String: String]) {
    var endpoints: [ServerEndpoint] = []
    var failures: [String: String] = [:]
    for entry in entries {
      switch entry {
      case .address(let endpoint):
        endpoints.append(endpoint)
      case .dns(let name, let port):
        do {
          let addresses = try await NIOThreadPool.singleton.runIfActive { try Self.lookUp(name) }
          endpoints.append(contentsOf: addresses.map { ServerEndpoint(host: $0, port: port) })
        } catch {
          failures[name] = "\(error)"
        }
      }
    }
    var seen = Set<ServerEndpoint>()
    return (endpoints.filter { seen.insert($0).inserted }, failures)
  }

  /// Every address (IPv4 and IPv6) a name resolves to, in resolver order, without duplicates.
  static func lookUp(_ name: String) throws -> [String] {
    var hints = addrinfo()
    hints.ai_family = AF_UNSPEC
    #if canImport(Glibc)
    hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
    #else
    hints.ai_socktype = SOCK_STREAM
    #endif
    var result: UnsafeMutablePointer<addrinfo>?
    let status = getaddrinfo(name, nil, &hints, &result)
    guard status == 0, let first = result else {
      throw InferenceError(.unavailable, "cannot resolve '\(name)': \(String(cString: gai_strerror(status)))")
    }
    defer { freeaddrinfo(first) }
    var addresses: [String] = []
    var node: UnsafeMutablePointer<addrinfo>? = first
    while let current = node {
      var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
      if getnameinfo(
        current.pointee.ai_addr, current.pointee.ai_addrlen, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST)
        == 0
      {
        let address = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if !addresses.contains(address) { addresses.append(address) }
      }
      node = current.pointee.ai_next
    }
    return addresses
  }
}
