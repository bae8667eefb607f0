import Foundation
import InferenceServer
import KServeGRPC
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The HTTP/REST front end in-process: limits and the switch; the protocol itself is covered by the
/// tritonclient.http interop suite (Tests/Interop).
@Suite(.serialized, .timeLimit(.minutes(1))) struct HTTPEndToEndTests {
  static func post(_ url: URL, _ body: Data, headers: [String: String] = [:]) async throws -> (Int, String) {
    var request = URLRequest(url: url)
    request.httpMethod = "POST"
    request.httpBody = body
    for (key, value) in headers { request.setValue(value, forHTTPHeaderField: key) }
    let (data, response) = try await URLSession.shared.data(for: request)
    return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
  }

  static func addSubBody() -> Data {
    let values = (0..<16).map { "\($0)" }.joined(separator: ",")
    return Data(
      """
      {"inputs":[{"name":"INPUT0","shape":[1,16],"datatype":"FP32","data":[\(values)]},
      {"name":"INPUT1","shape":[1,16],"datatype":"FP32","data":[\(values)]}]}
      """.utf8)
  }

  @Test func oversizedBodyGets413AndTheServerKeepsServing() async throws {
    try await TestServer.with(configure: { $0.httpMaxBodyBytes = 4096 }) { _, _, _, server in
      let port = try #require(await server.httpPort())
      let url = URL(string: "http://127.0.0.1:\(port)/v2/models/add_sub/infer")!
      let (status, body) = try await Self.post(url, Data(repeating: 0x20, count: 10_000))
      #expect(status == 413)
      #expect(body.contains("limit of 4096 bytes"), "\(body)")
      let (ok, answer) = try await Self.post(url, Self.addSubBody())
      #expect(ok == 200, "\(answer)")
      #expect(answer.contains("\"OUTPUT0\""))
    }
  }

  @Test func binaryOutputsFollowTheJSONHeader() async throws {
    try await TestServer.with { _, _, _, server in
      let port = try #require(await server.httpPort())
      let url = URL(string: "http://127.0.0.1:\(port)/v2/models/identity_fp32/infer")!
      let values: [Float] = [1.5, -2, 3.25]
      let header = Data(
        #"{"inputs":[{"name":"INPUT0","shape":[1,3],"datatype":"FP32","parameters":{"binary_data_size":12}}],"outputs":[{"name":"OUTPUT0","parameters":{"binary_data":true}}]}"#
          .utf8)
      var request = URLRequest(url: url)
      request.httpMethod = "POST"
      request.httpBody = header + values.withUnsafeBytes { Data($0) }
      request.setValue("\(header.count)", forHTTPHeaderField: "Inference-Header-Content-Length")
      let (data, response) = try await URLSession.shared.data(for: request)
      let http = try #require(response as? HTTPURLResponse)
      #expect(http.statusCode == 200)
      let length = try #require(Int(http.value(forHTTPHeaderField: "Inference-Header-Content-Length") ?? ""))
      let json = try #require(try JSONSerialization.jsonObject(with: data.prefix(length)) as? [String: Any])
      let output = try #require((json["outputs"] as? [[String: Any]])?.first)
      #expect((output["parameters"] as? [String: Any])?["binary_data_size"] as? Int == 12)
      let tail = data.dropFirst(length)
      #expect(tail.count == 12)
      #expect(tail.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) } == values)
    }
  }

  @Test func httpCanBeSwitchedOff() async throws {
    try await TestServer.with(configure: { $0.httpEnabled = false }) { kserve, _, _, server in
      #expect(await server.httpPort() == nil)
      // gRPC still serves.
      let live = try await kserve.serverLive(.init()).live
      #expect(live)
    }
  }
}
