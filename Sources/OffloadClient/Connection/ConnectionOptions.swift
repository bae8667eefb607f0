/// How a client connects to each server.
public struct ConnectionOptions: Sendable, Equatable {
  /// Message compression for requests (responses are accepted in any of these).
  public enum Compression: String, Sendable, CaseIterable {
    /// No compression (the default: tensors of floats rarely compress well, and it costs CPU).
    case none
    /// gzip.
    case gzip
    /// deflate.
    case deflate
  }

  /// TLS settings; `nil` connects in plaintext.
  public struct TLS: Sendable, Equatable {
    /// PEM file of the certificate authorities trusted to sign the server's certificate; `nil` trusts
    /// the system's roots.
    public var trustedCertificateAuthorities: String?
    /// PEM certificate chain presented to the server (mutual TLS).
    public var clientCertificateChain: String?
    /// PEM private key of that certificate.
    public var clientPrivateKey: String?
    /// Host name the server certificate must carry, when it differs from the address dialled.
    public var serverHostname: String?
    /// Verify the server's certificate (only disable for local experiments).
    public var verifyServer: Bool

    /// Creates TLS settings.
    public init(
      trustedCertificateAuthorities: String? = nil, clientCertificateChain: String? = nil,
      clientPrivateKey: String? = nil, serverHostname: String? = nil, verifyServer: Bool = true
    ) {
      self.trustedCertificateAuthorities = trustedCertificateAuthorities
      self.clientCertificateChain = clientCertificateChain
      self.clientPrivateKey = clientPrivateKey
      self.serverHostname = serverHostname
      self.verifyServer = verifyServer
    }
  }

  /// gRPC or HTTP/REST.
  public var transportProtocol: TransportProtocol
  /// Request compression (gRPC).
  public var compression: Compression
  /// TLS, or `nil` for plaintext.
  public var tls: TLS?
  /// Largest message sent or received (requests of a full 16 MiB tensor batch fit easily).
  public var maxMessageBytes: Int
  /// Hold writes back by up to this much to batch them into fewer system calls (gRPC only); `nil` (the
  /// default) flushes once per event-loop turn: the calls started in the same turn already share a write,
  /// and a lone latency-bound request is not delayed.
  public var flushCoalescingDelay: Duration?
  /// Headers (gRPC metadata) sent with every request: the credential of a server with restricted
  /// protocols, e.g. `["authorization": "Bearer <token>"]` or `["admin-key": "<secret>"]`. Names are
  /// sent lower-case.
  public var headers: [String: String]

  /// Creates options.
  public init(
    transportProtocol: TransportProtocol = .grpc, compression: Compression = .none, tls: TLS? = nil,
    maxMessageBytes: Int = 512 << 20, flushCoalescingDelay: Duration? = nil, headers: [String: String] = [:]
  ) {
    self.transportProtocol = transportProtocol
    self.compression = compression
    self.tls = tls
    self.maxMessageBytes = maxMessageBytes
    self.flushCoalescingDelay = flushCoalescingDelay
    self.headers = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { _, last in last })
  }

  /// Plaintext, uncompressed.
  public static let defaults = ConnectionOptions()
}
