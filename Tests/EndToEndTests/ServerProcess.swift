import Foundation
import OffloadClient
import Synchronization

/// A real `offload serve` process on 127.0.0.1 (port 0 or a given one), for tests that kill servers.
final class ServerProcess: Sendable {
  static let binary = TestServer.root.appendingPathComponent(".build/debug/offload")

  let process: Process
  let port: Int
  /// The HTTP/REST port, when the server logged one.
  let httpPort: Int?
  private let output: Locked<String>

  var endpoint: ServerEndpoint { ServerEndpoint(host: "127.0.0.1", port: port) }

  private init(process: Process, port: Int, httpPort: Int?, output: Locked<String>) {
    self.process = process
    self.port = port
    self.httpPort = httpPort
    self.output = output
  }

  /// Starts a server over the example models and waits until it serves.
  /// - Parameters:
  ///   - port: gRPC port (0: a free one).
  ///   - repositories: Model repositories.
  ///   - arguments: Further `offload serve` flags.
  static func start(
    port: Int = 0, repositories: [URL] = [TestServer.exampleModels], arguments: [String] = []
  ) async throws -> ServerProcess {
    guard FileManager.default.isExecutableFile(atPath: binary.path) else {
      throw ServerProcessError.message("build first: swift build (missing \(binary.path))")
    }
    let process = Process()
    process.executableURL = binary
    process.arguments =
      ["serve", "--host", "127.0.0.1", "--grpc-port", "\(port)", "--metrics-port", "0", "--http-port", "0"]
      + repositories.flatMap { ["--model-repository", $0.path] } + arguments
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
        // The whole line has arrived; its metadata is sorted: grpc=…, then http=… (or http=off).
        if let bound = Int(digits), let end = text[range.upperBound...].firstIndex(of: "\n") {
          let line = text[range.upperBound..<end]
          let http = line.range(of: " http=127.0.0.1:").flatMap { found in
            Int(line[found.upperBound...].prefix { $0.isNumber })
          }
          return ServerProcess(process: process, port: bound, httpPort: http, output: output)
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

  /// The server's resident memory from /proc/PID/status (Linux): now (`VmRSS`) and its peak so far
  /// (`VmHWM`), in bytes; `nil` where /proc is not available.
  var residentMemory: (current: Int, peak: Int)? {
    guard let status = Self.readWhole("/proc/\(process.processIdentifier)/status") else { return nil }
    func kibibytes(_ key: String) -> Int? {
      guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(key + ":") }) else { return nil }
      return line.split(whereSeparator: \.isWhitespace).dropFirst().first.flatMap { Int($0) }
    }
    guard let current = kibibytes("VmRSS"), let peak = kibibytes("VmHWM") else { return nil }
    return (current * 1024, peak * 1024)
  }

  /// Reads a file to its end with read(2): /proc files report size 0, which size-based readers trust.
  private static func readWhole(_ path: String) -> String? {
    let descriptor = open(path, O_RDONLY)
    guard descriptor >= 0 else { return nil }
    defer { close(descriptor) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
      let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
      guard count > 0 else { break }
      bytes += buffer[0..<count]
    }
    return String(decoding: bytes, as: UTF8.self)
  }

  /// SIGTERM and wait: a graceful shutdown (drain, then exit).
  func stop() {
    if process.isRunning {
      process.terminate()
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
