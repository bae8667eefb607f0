import Foundation
import OffloadClient
import Synchronization

/// A real `offload serve` process on 127.0.0.1 (port 0 or a given one), for tests that kill servers.
final class ServerProcess: Sendable {
  static let binary = TestServer.root.appendingPathComponent(".build/debug/offload")

  let process: Process
  let port: Int
  private let output: Locked<String>

  var endpoint: ServerEndpoint { ServerEndpoint(host: "127.0.0.1", port: port) }

  private init(process: Process, port: Int, output: Locked<String>) {
    self.process = process
    self.port = port
    self.output = output
  }

  /// Starts a server over the example models and waits until it serves.
  static func start(port: Int = 0, repositories: [URL] = [TestServer.exampleModels]) async throws -> ServerProcess {
    guard FileManager.default.isExecutableFile(atPath: binary.path) else {
      throw ServerProcessError.message("build first: swift build (missing \(binary.path))")
    }
    let process = Process()
    process.executableURL = binary
    process.arguments =
      ["serve", "--host", "127.0.0.1", "--grpc-port", "\(port)", "--metrics-port", "0", "--http-port", "0"]
      + repositories.flatMap { ["--model-repository", $0.path] }
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    let output = Locked("")
    let (lines, sink) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    pipe.fileHandleForReading.readabilityHandler = { handle in
      let data = handle.availableData
      if data.isEmpty {
        handle.readabilityHandler = nil
        sink.finish()
      } else {
        output.withLock { $0 += String(decoding: data, as: UTF8.self) }
        sink.yield()
      }
    }
    try process.run()
    let marker = "serving grpc=127.0.0.1:"
    for await _ in lines {
      let text = output.withLock { $0 }
      if let range = text.range(of: marker) {
        let digits = text[range.upperBound...].prefix { $0.isNumber }
        if let bound = Int(digits), text[range.upperBound...].dropFirst(digits.count).first != nil {
          return ServerProcess(process: process, port: bound, output: output)
        }
      }
    }
    let text = output.withLock { $0 }
    throw ServerProcessError.message("offload serve exited before serving:\n\(text)")
  }

  /// SIGKILL: the server dies without draining, as a crashed node would.
  func kill() {
    if process.isRunning {
      Foundation.kill(process.processIdentifier, SIGKILL)
      process.waitUntilExit()
    }
  }

  /// What the process printed so far.
  var log: String { output.withLock { $0 } }
}

enum ServerProcessError: Error, CustomStringConvertible {
  case message(String)
  var description: String {
    switch self {
    case .message(let m): m
    }
  }
}
