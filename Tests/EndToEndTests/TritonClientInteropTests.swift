import Foundation
import InferenceRuntime
import InferenceServer
import Testing

/// Runs the real Python Triton client (`tritonclient[grpc]` in the project's .venv, made by
/// dev/python-env.sh) against a live server: Tests/Interop/test_tritonclient_grpc.py.
@Suite(.serialized, .timeLimit(.minutes(10))) struct TritonClientInteropTests {
  static let python = TestServer.root.appendingPathComponent(".venv/bin/python")
  /// What the interop suite (Tests/Interop) must report: every case counted, so a test that silently stops
  /// running (a skip, a collection error, a deleted file) fails here. Update both when tests are added.
  static let expectedPassed = 470
  /// The skips, each with its reason (`-rs` prints them): the six TLS tests (run by the test below, against a
  /// TLS server) and two bfloat16 shared-memory cases tritonclient's numpy helpers cannot express.
  static let expectedSkipped = 8

  /// The count before `word` in pytest's summary line ("446 passed, 8 skipped in 13.37s"), 0 when absent.
  static func count(_ word: String, in output: String) -> Int {
    guard let summary = output.split(separator: "\n").last(where: { $0.contains(" passed") || $0.contains(" failed") })
    else { return 0 }
    let parts = summary.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "=" })
    guard let index = parts.firstIndex(where: { $0 == word }), index > 0 else { return 0 }
    return Int(parts[index - 1]) ?? 0
  }

  @Test func tritonclientGRPCSuitePasses() async throws {
    try #require(
      FileManager.default.isExecutableFile(atPath: Self.python.path),
      "no .venv: run dev/python-env.sh (dev/test.sh does) to install tritonclient and onnxruntime")
    let repositories = [TestServer.exampleModels, TestServer.root.appendingPathComponent("models")]
    let (status, output) = try await TestServer.with(
      repositories: repositories,
      configure: {
        $0.runtime.allowClientSharedMemory = true
        $0.runtime.responseCacheBytes = 1 << 20  // add_sub_cached enables response_cache
      }
    ) { _, _, port, server in
      let metrics = try #require(await server.metricsPort())
      let http = try #require(await server.httpPort())
      return try await Self.run(
        [Self.python.path, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs", "Tests/Interop"],
        environment: [
          "OFFLOAD_GRPC_URL": "127.0.0.1:\(port)", "OFFLOAD_METRICS_URL": "http://127.0.0.1:\(metrics)/metrics",
          "OFFLOAD_HTTP_URL": "127.0.0.1:\(http)",
        ])
    }
    let tail = output.split(separator: "\n").suffix(40).joined(separator: "\n")
    #expect(status == 0, "pytest exited \(status):\n\(tail)")
    #expect(Self.count("passed", in: output) == Self.expectedPassed, "\(tail)")
    #expect(Self.count("skipped", in: output) == Self.expectedSkipped, "\(tail)")
    #expect(Self.count("failed", in: output) == 0 && Self.count("error", in: output) == 0, "\(tail)")
  }

  @Test func tritonclientOverMutualTLSWithACredential() async throws {
    try #require(
      FileManager.default.isExecutableFile(atPath: Self.python.path),
      "no .venv: run dev/python-env.sh (dev/test.sh does) to install tritonclient and onnxruntime")
    let certificates = try TestCertificates()
    defer { certificates.remove() }
    let token = "Bearer interop-\(UUID().uuidString)"
    let policy = try AccessPolicy(rules: [AccessPolicy.parseRule("model-repository:authorization=\(token)")])
    let (status, output) = try await TestServer.serving(configure: { config in
      config.tls = .init(
        certificateChainPath: certificates.serverCertificate.path, privateKeyPath: certificates.serverKey.path,
        clientCertificateAuthorityPath: certificates.caCertificate.path)
      config.grpcAccessPolicy = policy
      config.httpAccessPolicy = policy
    }) { _, grpcPort, httpPort in
      try await Self.run(
        [Self.python.path, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs", "Tests/Interop/test_tls.py"],
        environment: [
          "OFFLOAD_TLS_GRPC_URL": "127.0.0.1:\(grpcPort)", "OFFLOAD_TLS_HTTP_URL": "127.0.0.1:\(httpPort)",
          "OFFLOAD_TLS_CA": certificates.caCertificate.path,
          "OFFLOAD_TLS_CLIENT_CERT": certificates.clientCertificate.path,
          "OFFLOAD_TLS_CLIENT_KEY": certificates.clientKey.path, "OFFLOAD_TLS_HEADER": "authorization",
          "OFFLOAD_TLS_TOKEN": token,
        ])
    }
    let tail = output.split(separator: "\n").suffix(40).joined(separator: "\n")
    #expect(status == 0, "pytest exited \(status):\n\(tail)")
    #expect(output.contains("6 passed"), "\(tail)")
  }

  /// Runs a process without blocking a cooperative thread; returns its status and combined output.
  static func run(_ arguments: [String], environment: [String: String]) async throws -> (Int32, String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: arguments[0])
    process.arguments = Array(arguments.dropFirst())
    process.currentDirectoryURL = TestServer.root
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let output = FileManager.default.temporaryDirectory.appendingPathComponent("interop-\(UUID().uuidString).log")
    _ = FileManager.default.createFile(atPath: output.path, contents: nil)
    let handle = try FileHandle(forWritingTo: output)
    defer {
      try? handle.close()
      try? FileManager.default.removeItem(at: output)
    }
    process.standardOutput = handle
    process.standardError = handle
    process.standardInput = FileHandle.nullDevice
    let status: Int32 = try await withCheckedThrowingContinuation { continuation in
      process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
      do { try process.run() } catch { continuation.resume(throwing: error) }
    }
    return (status, (try? String(contentsOf: output, encoding: .utf8)) ?? "")
  }
}
