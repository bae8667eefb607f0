internal import KServeProtocol
internal import NIOSSL

extension ConnectionOptions.TLS {
  /// NIOSSL's client configuration for these settings (trust roots, client certificate, verification), the
  /// same for the gRPC and the HTTP/REST transports.
  /// - Throws: `InferenceError` (invalid argument) when a PEM file cannot be read.
  func clientConfiguration(for endpoint: ServerEndpoint) throws -> TLSConfiguration {
    var configuration = TLSConfiguration.makeClientConfiguration()
    do {
      if let ca = trustedCertificateAuthorities {
        configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(ca))
      }
      if let chain = clientCertificateChain, let key = clientPrivateKey {
        configuration.certificateChain = try NIOSSLCertificate.fromPEMFile(chain).map { .certificate($0) }
        configuration.privateKey = .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
      }
    } catch {
      throw InferenceError(.invalidArgument, "cannot read the TLS files for \(endpoint): \(error)")
    }
    if !verifyServer { configuration.certificateVerification = .none }
    return configuration
  }
}
