import Foundation
import InferenceRuntime
import InferenceServer
import KServeGRPC
import KServeProtocol
import OffloadClient
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// TLS, mutual TLS and restricted protocol groups against a live server, with the client library's own
/// TLS and header options; certificates are generated per test.
@Suite(.timeLimit(.minutes(5))) struct SecurityTests {
  static func identityRequest(_ value: Float) throws -> InferenceRequest {
    InferenceRequest(
      modelName: "identity_fp32", inputs: [try InferenceTensor(name: "INPUT0", values: [value], shape: [1, 1])])
  }

  /// One inference over gRPC and one over HTTP with these options; returns the two answers.
  static func inferBoth(grpcPort: Int, httpPort: Int, options: ConnectionOptions, value: Float) async throws -> [Float]
  {
    var answers: [Float] = []
    let grpc = try await InferenceConnection.withConnection(
      to: ServerEndpoint(host: "127.0.0.1", port: grpcPort), options: options
    ) { connection in
      try await connection.infer(try identityRequest(value), timeout: .seconds(10))
    }
    answers += try grpc.outputs[0].values(as: Float.self)
    var httpOptions = options
    httpOptions.transportProtocol = .http
    let http = try HTTPInferenceConnection(to: ServerEndpoint(host: "127.0.0.1", port: httpPort), options: httpOptions)
    defer { http.close() }
    answers += try await http.infer(try identityRequest(value), timeout: .seconds(10)).outputs[0].values(as: Float.self)
    return answers
  }

  @Test func tlsServesBothProtocolsAndRefusesUntrustedOrPlaintextClients() async throws {
    let certificates = try TestCertificates()
    let stranger = try TestCertificates(name: "Some Other CA")
    defer {
      certificates.remove()
      stranger.remove()
    }
    try await TestServer.serving(configure: { config in
      config.tls = .init(
        certificateChainPath: certificates.serverCertificate.path, privateKeyPath: certificates.serverKey.path)
    }) { _, grpcPort, httpPort in
      let trusted = ConnectionOptions(tls: .init(trustedCertificateAuthorities: certificates.caCertificate.path))
      #expect(
        try await Self.inferBoth(grpcPort: grpcPort, httpPort: httpPort, options: trusted, value: 4.5) == [4.5, 4.5])

      // A client that trusts another CA does not talk to this server, on either protocol.
      let untrusting = ConnectionOptions(tls: .init(trustedCertificateAuthorities: stranger.caCertificate.path))
      await #expect(throws: (any Error).self) {
        _ = try await Self.inferBoth(grpcPort: grpcPort, httpPort: httpPort, options: untrusting, value: 1)
      }
      var httpOnly = untrusting
      httpOnly.transportProtocol = .http
      let http = try HTTPInferenceConnection(to: ServerEndpoint(host: "127.0.0.1", port: httpPort), options: httpOnly)
      defer { http.close() }
      await #expect(throws: (any Error).self) { _ = try await http.serverLive(timeout: .seconds(5)) }

      // Plaintext gRPC to the TLS port fails rather than being served in the clear.
      await #expect(throws: (any Error).self) {
        try await InferenceConnection.withConnection(to: ServerEndpoint(host: "127.0.0.1", port: grpcPort)) {
          _ = try await $0.serverLive(timeout: .seconds(3))
        }
      }
    }
  }

  @Test func mutualTLSNeedsAClientCertificateFromTheConfiguredAuthority() async throws {
    let certificates = try TestCertificates()
    let stranger = try TestCertificates(name: "Some Other CA")
    defer {
      certificates.remove()
      stranger.remove()
    }
    try await TestServer.serving(configure: { config in
      config.tls = .init(
        certificateChainPath: certificates.serverCertificate.path, privateKeyPath: certificates.serverKey.path,
        clientCertificateAuthorityPath: certificates.caCertificate.path)
    }) { _, grpcPort, httpPort in
      let ca = certificates.caCertificate.path
      let withCertificate = ConnectionOptions(
        tls: .init(
          trustedCertificateAuthorities: ca, clientCertificateChain: certificates.clientCertificate.path,
          clientPrivateKey: certificates.clientKey.path))
      #expect(
        try await Self.inferBoth(grpcPort: grpcPort, httpPort: httpPort, options: withCertificate, value: 2) == [2, 2])

      for options in [
        ConnectionOptions(tls: .init(trustedCertificateAuthorities: ca)),  // no client certificate
        ConnectionOptions(
          tls: .init(
            trustedCertificateAuthorities: ca, clientCertificateChain: stranger.clientCertificate.path,
            clientPrivateKey: stranger.clientKey.path)),  // signed by a CA the server does not trust
      ] {
        await #expect(throws: (any Error).self) {
          try await InferenceConnection.withConnection(
            to: ServerEndpoint(host: "127.0.0.1", port: grpcPort), options: options
          ) { _ = try await $0.infer(try Self.identityRequest(1), timeout: .seconds(5)) }
        }
        var http = options
        http.transportProtocol = .http
        let connection = try HTTPInferenceConnection(
          to: ServerEndpoint(host: "127.0.0.1", port: httpPort), options: http)
        defer { connection.close() }
        await #expect(throws: (any Error).self) {
          _ = try await connection.infer(try Self.identityRequest(1), timeout: .seconds(5))
        }
      }
    }
  }

  @Test func tlsFilesThatCannotBeUsedAreReportedBeforeServing() throws {
    let certificates = try TestCertificates()
    let other = try TestCertificates()
    defer {
      certificates.remove()
      other.remove()
    }
    let missing = ServerConfiguration.TLS(certificateChainPath: "/nonexistent/cert.pem", privateKeyPath: "/x.pem")
    let error = #expect(throws: InferenceError.self) { try missing.check() }
    #expect(error?.message.contains("/nonexistent/cert.pem") == true)
    // A key that is not the certificate's.
    let mismatched = ServerConfiguration.TLS(
      certificateChainPath: certificates.serverCertificate.path, privateKeyPath: other.serverKey.path)
    let mismatch = #expect(throws: InferenceError.self) { try mismatched.check() }
    #expect(mismatch?.message.contains("does not belong") == true)
    let notPEM = ServerConfiguration.TLS(
      certificateChainPath: certificates.serverKey.path, privateKeyPath: certificates.serverKey.path)
    #expect(throws: InferenceError.self) { try notPEM.check() }
  }

  @Test func restrictedGroupsNeedTheCredentialAndLeakNothing() async throws {
    let secret = "s3cret-\(UUID().uuidString)"
    let policy = try AccessPolicy(rules: [
      AccessPolicy.parseRule("model-repository,shared-memory:authorization=Bearer \(secret)"),
      AccessPolicy.parseRule("statistics:x-stats-key=\(secret)-stats"),
    ])
    try await TestServer.serving(configure: { config in
      config.grpcAccessPolicy = policy
      config.httpAccessPolicy = policy
    }) { _, grpcPort, httpPort in
      let endpoint = ServerEndpoint(host: "127.0.0.1", port: grpcPort)
      // Open groups: no credential needed.
      #expect(try await Self.inferBoth(grpcPort: grpcPort, httpPort: httpPort, options: .defaults, value: 3) == [3, 3])

      for headers in [[:], ["authorization": "Bearer wrong"], ["authorization": "bearer \(secret)"]] {
        try await InferenceConnection.withConnection(to: endpoint, options: .init(headers: headers)) {
          connection async throws -> Void in
          for call in [
            { _ = try await connection.repositoryIndex() },
            { try await connection.unloadModel("add_sub") },
            { _ = try await connection.systemSharedMemoryStatus() },
          ] as [@Sendable () async throws -> Void] {
            let error = await #expect(throws: InferenceError.self) { try await call() }
            #expect(error?.code == .unauthenticated)
            #expect(error?.message.contains("authorization") == true)
            #expect(error?.message.contains(secret) == false)
          }
          #expect(try await connection.modelReady("add_sub"), "the refused unload did not happen")
        }
      }
      try await InferenceConnection.withConnection(
        to: endpoint, options: .init(headers: ["Authorization": "Bearer \(secret)"])
      ) { connection async throws -> Void in
        #expect(try await connection.repositoryIndex().contains { $0.name == "add_sub" })
        // The other rule's group still needs its own header.
        let error = await #expect(throws: InferenceError.self) { _ = try await connection.modelStatistics("add_sub") }
        #expect(error?.code == .unauthenticated)
        #expect(try await connection.infer(try Self.identityRequest(7)).outputs.count == 1)
      }

      // HTTP: 401 with a JSON error and a Bearer challenge; the credential opens the group.
      func post(_ path: String, headers: [String: String]) async throws -> (Int, String, String?) {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(httpPort)\(path)")!)
        request.httpMethod = "POST"
        request.httpBody = Data("{}".utf8)
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = response as! HTTPURLResponse
        return (
          http.statusCode, String(decoding: data, as: UTF8.self), http.value(forHTTPHeaderField: "WWW-Authenticate")
        )
      }
      let (status, body, challenge) = try await post("/v2/repository/index", headers: [:])
      #expect(status == 401)
      #expect(body.contains("model-repository") && !body.contains(secret))
      #expect(challenge == "Bearer")
      #expect(try await post("/v2/repository/index", headers: ["Authorization": "Bearer nope"]).0 == 401)
      #expect(try await post("/v2/repository/index", headers: ["Authorization": "Bearer \(secret)"]).0 == 200)
      #expect(try await post("/v2/systemsharedmemory/region/r/unregister", headers: [:]).0 == 401)
      #expect(try await post("/v2/repository/models/add_sub/unload", headers: [:]).0 == 401)
    }
  }
}
