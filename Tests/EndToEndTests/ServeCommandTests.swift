import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The `offload serve` executable: starts, prints the load summary, serves, and exits 0 on SIGTERM.
@Suite(.serialized, .timeLimit(.minutes(5))) struct ServeCommandTests {
  static let binary = TestServer.root.appendingPathComponent(".build/debug/offload")

  @Test func sigtermDrainsAndExitsZero() async throws {
    try #require(FileManager.default.isExecutableFile(atPath: Self.binary.path), "build first: swift build")
    let process = Process()
    process.executableURL = Self.binary
    process.arguments = [
      "serve", "--model-repository", TestServer.exampleModels.path, "--host", "127.0.0.1", "--grpc-port", "0",
      "--metrics-port", "0", "--http-port", "0", "--log-level", "debug",
    ]
    let pipe = Pipe()
    process.standardError = pipe
    process.standardOutput = pipe
    let (lines, sink) = AsyncStream.makeStream(of: String.self)
    pipe.fileHandleForReading.readabilityHandler = { handle in
      let data = handle.availableData
      if data.isEmpty { sink.finish() } else { sink.yield(String(decoding: data, as: UTF8.self)) }
    }
    let exited = AsyncStream.makeStream(of: Int32.self)
    process.terminationHandler = { exited.continuation.yield($0.terminationStatus) }
    try process.run()
    var output = ""
    for await chunk in lines {
      output += chunk
      if output.contains("serving grpc=127.0.0.1:") { break }
    }
    #expect(output.contains("| ghost_mlp"))
    #expect(output.contains("READY"))
    // One HTTP connection open at the stop (Hummingbird logged errors when its listener was cancelled).
    if let port = output.firstMatch(of: /http=127\.0\.0\.1:(\d+)/).map({ String($0.1) }) {
      _ = try? await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/v2/health/ready")!)
    }
    process.terminate()  // SIGTERM
    var status: Int32 = -1
    for await code in exited.stream {
      status = code
      break
    }
    for await chunk in lines { output += chunk }  // the rest, to the pipe's end
    pipe.fileHandleForReading.readabilityHandler = nil
    #expect(status == 0, "\(output)")
    // A graceful stop logs no error, even at debug level (operators alert on ERROR).
    #expect(!output.contains(" ERROR "), "\(output.split(separator: "\n").filter { $0.contains(" ERROR ") })")
    #expect(output.contains("stopped"))
  }

  @Test func missingRepositoryExitsWithAClearMessage() async throws {
    let (status, output) = try await TritonClientInteropTests.run(
      [
        Self.binary.path, "serve", "--model-repository", "/nonexistent/models", "--grpc-port", "0", "--metrics-port",
        "0",
      ],
      environment: [:])
    #expect(status != 0)
    #expect(output.contains("does not exist"))
  }

  @Test func unusableSecurityFlagsStopTheStartWithTheFix() async throws {
    let cases: [([String], String)] = [
      (["--tls-cert", "/nonexistent/cert.pem", "--tls-key", "/nonexistent/key.pem"], "/nonexistent/cert.pem"),
      (["--tls-cert", "/nonexistent/cert.pem"], "--tls-cert and --tls-key go together"),
      (["--tls-client-ca", "/nonexistent/ca.pem"], "needs --tls-cert"),
      (["--restricted-protocol", "repo:key=value"], "valid groups: health"),
      (["--restricted-protocol", "inference:key=value", "--grpc-restricted-protocol", "inference:k=v"], "twice"),
      (["--grpc-max-concurrent-streams", "0"], "--grpc-max-concurrent-streams must be 1 to 1000000"),
    ]
    for (flags, message) in cases {
      let (status, output) = try await TritonClientInteropTests.run(
        [
          Self.binary.path, "serve", "--model-repository", TestServer.exampleModels.path, "--host", "127.0.0.1",
          "--grpc-port", "0", "--http-port", "0", "--metrics-port", "0",
        ] + flags,
        environment: [:])
      #expect(status != 0, "\(flags)")
      #expect(output.contains(message), "\(flags): \(output.suffix(400))")
    }
  }
}
