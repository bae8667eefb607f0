import Crypto
import Foundation
import SwiftASN1
import X509

/// A certificate authority made at test time, and server/client certificates it signs, written as PEM files
/// into a temporary directory (nothing secret is committed to the repository).
struct TestCertificates {
  let directory: URL
  let caCertificate: URL
  let serverCertificate: URL
  let serverKey: URL
  let clientCertificate: URL
  let clientKey: URL

  /// Makes a CA named `name` with one server certificate for 127.0.0.1/localhost and one client certificate.
  init(name: String = "Offload Test CA") throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
      "offload-certs-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    self.directory = directory
    let now = Date()
    let caKey = P256.Signing.PrivateKey()
    let caName = try DistinguishedName { CommonName(name) }
    let ca = try Certificate(
      version: .v3, serialNumber: .init(), publicKey: .init(caKey.publicKey),
      notValidBefore: now - 3600, notValidAfter: now + 86400, issuer: caName, subject: caName,
      signatureAlgorithm: .ecdsaWithSHA256,
      extensions: try Certificate.Extensions {
        Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
        KeyUsage(keyCertSign: true)
      },
      issuerPrivateKey: .init(caKey))

    func leaf(_ commonName: String, usage: ExtendedKeyUsage.Usage) throws -> (Certificate, P256.Signing.PrivateKey) {
      let key = P256.Signing.PrivateKey()
      let certificate = try Certificate(
        version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey),
        notValidBefore: now - 3600, notValidAfter: now + 86400, issuer: caName,
        subject: try DistinguishedName { CommonName(commonName) }, signatureAlgorithm: .ecdsaWithSHA256,
        extensions: try Certificate.Extensions {
          Critical(BasicConstraints.notCertificateAuthority)
          KeyUsage(digitalSignature: true)
          try ExtendedKeyUsage([usage])
          SubjectAlternativeNames([.dnsName("localhost"), .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1]))])
        },
        issuerPrivateKey: .init(caKey))
      return (certificate, key)
    }
    let (server, serverKey) = try leaf("offload-server", usage: .serverAuth)
    let (client, clientKey) = try leaf("offload-client", usage: .clientAuth)

    func write(_ text: String, _ name: String) throws -> URL {
      let url = directory.appendingPathComponent(name)
      try text.write(to: url, atomically: true, encoding: .utf8)
      return url
    }
    caCertificate = try write(try ca.serializeAsPEM().pemString, "ca.pem")
    serverCertificate = try write(try server.serializeAsPEM().pemString, "server.pem")
    self.serverKey = try write(serverKey.pemRepresentation, "server-key.pem")
    clientCertificate = try write(try client.serializeAsPEM().pemString, "client.pem")
    self.clientKey = try write(clientKey.pemRepresentation, "client-key.pem")
  }

  func remove() { try? FileManager.default.removeItem(at: directory) }
}
