import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import InferenceServer
import KServeGRPC
import Testing

/// gRPC response compression follows `--grpc-infer-response-compression-level` (Triton's flag), not the
/// client's `grpc-accept-encoding`, which grpcio and gRPC C++ send on every call.
@Suite(.timeLimit(.minutes(5))) struct ResponseCompressionTests {
  /// Sends a gzip-compressed add_sub request from a client that accepts gzip and deflate (as grpcio does)
  /// and returns the response's `grpc-encoding` (nil when the response is not compressed) and its OUTPUT0.
  static func call(port: Int) async throws -> (encoding: String?, sum: [Float]) {
    try await withGRPCClient(
      transport: try .http2NIOPosix(
        target: .ipv4(address: "127.0.0.1", port: port), transportSecurity: .plaintext,
        config: .defaults { $0.compression.enabledAlgorithms = .all })
    ) { client in
      var options = CallOptions.defaults
      options.compression = .gzip
      return try await TestServer.KServeClient(wrapping: client).modelInfer(Requests.addSub(rows: 4), options: options)
      { response in
        let message = try response.message
        let encoding = Array(response.metadata[stringValues: "grpc-encoding"]).first
        return (encoding, Requests.decodeFloats(message.rawOutputContents[0]))
      }
    }
  }

  static let expectedSum = (0..<64).map { Float($0) * 3 }

  @Test func responsesAreUncompressedByDefaultAndCompressedRequestsAccepted() async throws {
    try await TestServer.serving { _, port, _ in
      for _ in 0..<3 {
        let (encoding, sum) = try await Self.call(port: port)
        #expect(encoding == nil || encoding == "identity", "response compressed with \(encoding ?? "")")
        #expect(sum == Self.expectedSum)
      }
    }
  }

  @Test func compressionLevelCompressesResponsesForClientsThatAcceptIt() async throws {
    try await TestServer.serving(configure: { $0.grpc.responseCompression = .high }) { _, port, _ in
      let (encoding, sum) = try await Self.call(port: port)
      #expect(encoding == "gzip" || encoding == "deflate", "response encoding \(encoding ?? "none")")
      #expect(sum == Self.expectedSum)
    }
  }

  @Test func levelsParseAsTriton() {
    #expect(ServerConfiguration.GRPCResponseCompression.allCases.map(\.rawValue) == ["none", "low", "medium", "high"])
    #expect(!ServerConfiguration.GRPCResponseCompression.none.compressesResponses)
    #expect(ServerConfiguration.GRPCResponseCompression.low.compressesResponses)
  }
}
