internal import InferenceRuntime
internal import KServeProtocol
internal import NIOSSL

#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif

/// The certificates and key of ``ServerConfiguration/TLS``, read and checked once at start so a wrong path
/// or a key that does not match the certificate is reported before anything listens, and turned into the
/// gRPC listener's and Hummingbird's TLS settings. Both get what was read here: the files are not read
/// again when the ports are bound, so what was checked is what is served.
struct ServerTLSMaterial: Sendable {
  let chain: [NIOSSLCertificate]
  let key: NIOSSLPrivateKey
  let clientAuthorities: [NIOSSLCertificate]?

  /// Reads and checks the PEM files.
  /// - Throws: ``InferenceError`` naming the file and the fix.
  init(_ settings: ServerConfiguration.TLS) throws {
    func read<T>(_ path: String, _ what: String, _ body: ([UInt8]) throws -> T) throws -> T {
      guard let data = FileManager.default.contents(atPath: path) else {
        throw InferenceError(.invalidArgument, "cannot read the TLS \(what) file '\(path)'; check the path")
      }
      let bytes = [UInt8](data)
      do {
        return try body(bytes)
      } catch {
        throw InferenceError(.invalidArgument, "the TLS \(what) file '\(path)' is not usable PEM: \(error)")
      }
    }
    chain = try read(settings.certificateChainPath, "certificate") {
      try NIOSSLCertificate.fromPEMBytes($0)
    }
    guard !chain.isEmpty else {
      throw InferenceError(
        .invalidArgument, "the TLS certificate file '\(settings.certificateChainPath)' holds no certificate")
    }
    key = try read(settings.privateKeyPath, "private key") { try NIOSSLPrivateKey(bytes: $0, format: .pem) }
    guard Self.publicKeyMatches(chain[0], key) else {
      throw InferenceError(
        .invalidArgument,
        "the TLS private key '\(settings.privateKeyPath)' does not belong to the first certificate of '\(settings.certificateChainPath)'"
      )
    }
    if let path = settings.clientCertificateAuthorityPath {
      let authorities = try read(path, "client CA") { try NIOSSLCertificate.fromPEMBytes($0) }
      guard !authorities.isEmpty else {
        throw InferenceError(.invalidArgument, "the TLS client CA file '\(path)' holds no certificate")
      }
      clientAuthorities = authorities
    } else {
      clientAuthorities = nil
    }
  }

  /// Whether the key's public half is the certificate's (a TLS handshake would otherwise fail per client).
  private static func publicKeyMatches(_ certificate: NIOSSLCertificate, _ key: NIOSSLPrivateKey) -> Bool {
    var context = TLSConfiguration.makeServerConfiguration(
      certificateChain: [.certificate(certificate)], privateKey: .privateKey(key))
    context.minimumTLSVersion = .tlsv12
    return (try? NIOSSLContext(configuration: context)) != nil
  }

  /// The gRPC listener's TLS: HTTP/2 only (ALPN `h2`).
  var grpcContext: NIOSSLContext? {
    // Cannot fail: the same material made a context in publicKeyMatches.
    try? NIOSSLContext(configuration: serverConfiguration(applicationProtocol: "h2"))
  }

  /// Hummingbird's TLS: HTTP/1.1.
  var httpConfiguration: TLSConfiguration { serverConfiguration(applicationProtocol: "http/1.1") }

  /// TLS 1.2 or later with this certificate and key; with a client CA, client certificates are required and
  /// checked against it (client host names are not known in advance, so they are not verified).
  private func serverConfiguration(applicationProtocol: String) -> TLSConfiguration {
    var configuration = TLSConfiguration.makeServerConfiguration(
      certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
    configuration.minimumTLSVersion = .tlsv12
    configuration.applicationProtocols = [applicationProtocol]
    if let clientAuthorities {
      configuration.trustRoots = .certificates(clientAuthorities)
      configuration.certificateVerification = .noHostnameVerification
    }
    return configuration
  }
}

extension ServerConfiguration.TLS {
  /// Reads the files as the server will, so a caller can fail before loading models.
  /// - Throws: ``InferenceError`` naming the unusable file.
  public func check() throws {
    _ = try ServerTLSMaterial(self)
  }
}
