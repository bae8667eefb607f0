import CompressNIO
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import InferenceBackendFault
import InferenceRuntime
import KServeProtocol
import Logging
import NIOCore
import OffloadTestSupport
import Testing

@testable import InferenceServerHTTP

/// Every route of the HTTP front end, in process through Hummingbird's router (no sockets): what it answers,
/// how it refuses bad input, and which protocol group guards it.
@Suite(.timeLimit(.minutes(2))) struct HTTPRouterTests {
  static let logger: Logger = {
    var logger = Logger(label: "test")
    logger.logLevel = .critical
    return logger
  }()

  /// A repository with one fault-injection model, `echo` (`OUTPUT0` = `INPUT0`), loaded and served.
  static func withRouter(
    policy: AccessPolicy = .open, maxBodyBytes: Int = 1 << 20,
    _ body: @Sendable (any TestClientProtocol) async throws -> Void
  ) async throws {
    let repository = try TemporaryRepository()
    defer { repository.remove() }
    try repository.addModel("echo", config: FaultInjectionBackend.config(), versions: [1: ""], filename: "model.fault")
    let root = repository.root
    var configuration = RuntimeConfiguration(repositories: [root])
    configuration.allowClientSharedMemory = true
    configuration.modelControl = .explicit(startupModels: ["echo"])
    let runtime = ModelRuntime(
      configuration: configuration, backends: BackendRegistry([FaultInjectionBackend()]), logger: logger)
    try await runtime.loadAll()
    let router = HTTPFrontEnd.router(
      runtime: runtime,
      configuration: HTTPFrontEndConfiguration(
        serverVersion: "9.9", extensions: ["binary_tensor_data"], maxBodyBytes: maxBodyBytes, accessPolicy: policy),
      logger: logger)
    try await Application(router: router).test(.router, body)
    await runtime.shutdown()
  }

  static func json(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

  /// The body as a JSON object (empty when it is not one, which the expectations then show).
  static func object(_ response: TestResponse) -> [String: Any] {
    (try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))) as? [String: Any] ?? [:]
  }

  /// The `error` of a JSON error body.
  static func error(_ response: TestResponse) -> String {
    object(response)["error"] as? String ?? "<no error field: \(String(buffer: response.body))>"
  }

  static let inferBody = """
    {"inputs": [
      {"name": "ACTION", "datatype": "INT32", "shape": [1, 1], "data": [0]},
      {"name": "INPUT0", "datatype": "FP32", "shape": [1, 3], "data": [1.5, 2, 3]}
    ]}
    """

  @Test func healthMetadataConfigAndStatistics() async throws {
    try await Self.withRouter { client in
      try await client.execute(uri: "/v2/health/live", method: .get) { #expect($0.status == .ok) }
      try await client.execute(uri: "/v2/health/ready", method: .get) { #expect($0.status == .ok) }
      try await client.execute(uri: "/v2", method: .get) { response in
        let server = Self.object(response)
        #expect(server["version"] as? String == "9.9")
        #expect(server["extensions"] as? [String] == ["binary_tensor_data"])
      }
      for path in ["/v2/models/echo", "/v2/models/echo/versions/1"] {
        try await client.execute(uri: path, method: .get) { response in
          let metadata = Self.object(response)
          #expect(metadata["name"] as? String == "echo")
          #expect(metadata["versions"] as? [String] == ["1"])
          let inputs = try #require(metadata["inputs"] as? [[String: Any]])
          #expect(Set(inputs.compactMap { $0["name"] as? String }) == ["ACTION", "INPUT0"])
        }
      }
      try await client.execute(uri: "/v2/models/echo/ready", method: .get) { #expect($0.status == .ok) }
      try await client.execute(uri: "/v2/models/ech/ready", method: .get) { response in
        #expect(response.status == .badRequest)
        #expect(Self.error(response).contains("echo"), "the closest model is named")
      }
      try await client.execute(uri: "/v2/models/echo/versions/7/ready", method: .get) {
        #expect($0.status == .badRequest)
      }
      try await client.execute(uri: "/v2/models/echo/config", method: .get) { response in
        let config = Self.object(response)
        #expect(config["max_batch_size"] as? Int == 8, "64-bit integers are numbers, as Triton writes them")
        let groups = try #require(config["instance_group"] as? [[String: Any]])
        #expect(groups.first?["count"] as? Int == 1)
      }
      try await client.execute(uri: "/v2/models/echo/infer", method: .post, body: Self.json(Self.inferBody)) {
        #expect($0.status == .ok)
      }
      for path in ["/v2/models/stats", "/v2/models/echo/stats"] {
        try await client.execute(uri: path, method: .get) { response in
          let models = try #require(Self.object(response)["model_stats"] as? [[String: Any]])
          let echo = try #require(models.first { $0["name"] as? String == "echo" })
          #expect(echo["inference_count"] as? Int == 1)
          let success = try #require((echo["inference_stats"] as? [String: Any])?["success"] as? [String: Any])
          #expect(success["count"] as? Int == 1)
          #expect((echo["batch_stats"] as? [[String: Any]])?.first?["batch_size"] as? Int == 1)
        }
      }
    }
  }

  @Test func inferenceAnswersAndRefusesBadBodies() async throws {
    try await Self.withRouter(maxBodyBytes: 4096) { client in
      try await client.execute(uri: "/v2/models/echo/infer", method: .post, body: Self.json(Self.inferBody)) {
        response in
        #expect(response.status == .ok)
        let outputs = try #require(Self.object(response)["outputs"] as? [[String: Any]])
        #expect(outputs.first?["data"] as? [Double] == [1.5, 2, 3])
      }
      try await client.execute(uri: "/v2/models/ehco/infer", method: .post, body: Self.json(Self.inferBody)) {
        response in
        #expect(response.status == .notFound || response.status == .badRequest)
        #expect(Self.error(response).contains("echo"))
      }
      try await client.execute(uri: "/v2/models/echo/infer", method: .post, body: Self.json("{\"inputs\": 3}")) {
        #expect($0.status == .badRequest)
      }
      try await client.execute(
        uri: "/v2/models/echo/infer", method: .post, body: ByteBuffer(repeating: UInt8(ascii: " "), count: 5000)
      ) { response in
        #expect(response.status == .contentTooLarge)
        #expect(Self.error(response).contains("--http-max-body-size"))
      }
      try await client.execute(
        uri: "/v2/models/echo/infer", method: .post, headers: [.contentEncoding: "br"], body: Self.json(Self.inferBody)
      ) { response in
        #expect(response.status == .badRequest)
        #expect(Self.error(response).contains("Content-Encoding 'br'"))
      }
      var plain = ByteBuffer(string: Self.inferBody)
      let gzipped = try plain.compress(with: .gzip())
      try await client.execute(
        uri: "/v2/models/echo/infer", method: .post, headers: [.contentEncoding: "gzip"], body: gzipped
      ) { #expect($0.status == .ok) }
      try await client.execute(
        uri: "/v2/models/echo/infer", method: .post, headers: [.contentEncoding: "gzip"], body: Self.json("not gzip")
      ) { response in
        #expect(response.status == .badRequest)
        #expect(Self.error(response).contains("gzip"))
      }
      try await client.execute(
        uri: "/v2/models/echo/infer", method: .post, headers: [HTTPRoutes.inferenceHeaderLength: "-3"],
        body: Self.json(Self.inferBody)
      ) { #expect($0.status == .badRequest) }
    }
  }

  @Test(
    arguments: [
      ("gzip, deflate", "gzip"), ("deflate", "deflate"), ("gzip;q=0.00, deflate", "deflate"),
      ("gzip;q=0, deflate;q=0.0", nil), ("*", "gzip"), ("*;q=0.5, gzip;q=0", "deflate"), ("identity", nil),
    ] as [(String, String?)])
  func answersAreCompressedAsTheClientAccepts(accept: String, expected: String?) async throws {
    try await Self.withRouter { client in
      try await client.execute(
        uri: "/v2/models/echo/infer", method: .post, headers: [.acceptEncoding: accept], body: Self.json(Self.inferBody)
      ) { response in
        #expect(response.status == .ok)
        #expect(response.headers[.contentEncoding] == expected, "Accept-Encoding: \(accept)")
      }
    }
  }

  @Test func repositoryIndexLoadAndUnload() async throws {
    try await Self.withRouter { client in
      try await client.execute(uri: "/v2/repository/index", method: .post) { response in
        let entries = try #require(
          try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [[String: Any]])
        #expect(entries.contains { $0["name"] as? String == "echo" && $0["state"] as? String == "READY" })
      }
      try await client.execute(
        uri: "/v2/repository/index", method: .post, body: Self.json(#"{"ready": "yes"}"#)
      ) { response in
        #expect(response.status == .badRequest)
        #expect(Self.error(response).contains("'ready' must be true or false"))
      }
      try await client.execute(uri: "/v2/repository/index", method: .post, body: Self.json("[1]")) { response in
        #expect(response.status == .badRequest)
        #expect(Self.error(response).contains("must be a JSON object"))
      }
      try await client.execute(uri: "/v2/repository/models/echo/unload", method: .post) { #expect($0.status == .ok) }
      try await client.execute(uri: "/v2/models/echo/ready", method: .get) { #expect($0.status == .badRequest) }
      try await client.execute(
        uri: "/v2/repository/models/echo/load", method: .post, body: Self.json(#"{"parameters": {"config": 5}}"#)
      ) { response in
        #expect(response.status == .badRequest)
        #expect(Self.error(response).contains("must be a JSON string"))
      }
      try await client.execute(
        uri: "/v2/repository/models/echo/load", method: .post,
        body: Self.json(#"{"parameters": {"config": "{\"max_batch_size\": 4, \"nonsense\": 1}"}}"#)
      ) { response in
        #expect(response.status == .badRequest)
        #expect(Self.error(response).contains("not a valid model configuration"))
      }
      try await client.execute(uri: "/v2/repository/models/echo/load", method: .post) { #expect($0.status == .ok) }
      try await client.execute(uri: "/v2/models/echo/ready", method: .get) { #expect($0.status == .ok) }
    }
  }

  @Test func sharedMemoryAndSettings() async throws {
    try await Self.withRouter { client in
      try await client.execute(uri: "/v2/systemsharedmemory/status", method: .get) { response in
        #expect(response.status == .ok)
        #expect(String(buffer: response.body) == "[]")
      }
      for (body, fragment) in [
        (#"{"key": "", "byte_size": 4}"#, "needs a 'key'"), (#"{"key": "/k", "byte_size": -1}"#, "byte_size"),
        (#"{"key": "/k"}"#, "'byte_size'"), (#"{"key": 3, "byte_size": 4}"#, "'key' must be a string"),
      ] {
        try await client.execute(
          uri: "/v2/systemsharedmemory/region/r/register", method: .post, body: Self.json(body)
        ) { response in
          #expect(response.status == .badRequest, "\(body)")
          #expect(Self.error(response).contains(fragment), "\(body)")
        }
      }
      try await client.execute(uri: "/v2/cudasharedmemory/status", method: .get) { response in
        #expect(response.status == .notImplemented)
        #expect(Self.error(response).contains("system shared memory"))
      }
      try await client.execute(uri: "/v2/systemsharedmemory/unregister", method: .post) { #expect($0.status == .ok) }
      try await client.execute(uri: "/v2/logging", method: .get) { response in
        #expect(Self.object(response)["log_verbose_level"] as? Int == 0)
      }
      try await client.execute(uri: "/v2/logging", method: .post, body: Self.json("{}")) { #expect($0.status == .ok) }
      try await client.execute(uri: "/v2/logging", method: .post, body: Self.json(#"{"log_info": false}"#)) {
        response in
        #expect(response.status == .ok)
        #expect(Self.object(response)["log_info"] as? Bool == false)
      }
      try await client.execute(uri: "/v2/logging", method: .get) { response in
        #expect(Self.object(response)["log_info"] as? Bool == false, "the change holds")
      }
      for (body, fragment) in [
        (#"{"log_info": "no"}"#, "'log_info' must be true or false"), (#"{"log_colour": true}"#, "unknown log setting"),
        (#"{"log_verbose_level": -1}"#, "log_verbose_level"),
      ] {
        try await client.execute(uri: "/v2/logging", method: .post, body: Self.json(body)) { response in
          #expect(response.status == .badRequest, "\(body)")
          #expect(Self.error(response).contains(fragment), "\(body): \(Self.error(response))")
        }
      }
      for path in ["/v2/trace/setting", "/v2/models/echo/trace/setting"] {
        try await client.execute(uri: path, method: .get) { response in
          #expect(Self.object(response)["trace_level"] as? [String] == ["OFF"])
        }
        try await client.execute(uri: path, method: .post, body: Self.json(#"{"trace_rate": "1"}"#)) {
          #expect($0.status == .notImplemented)
        }
      }
    }
  }

  @Test func otherMethodsGet405WithAllow() async throws {
    try await Self.withRouter { client in
      try await client.execute(uri: "/v2/health/live", method: .put) { response in
        #expect(response.status == .methodNotAllowed)
        #expect(response.headers[.allow] == "GET")
        #expect(Self.error(response).contains("use GET"))
      }
      try await client.execute(uri: "/v2/models/echo/infer", method: .get) { response in
        #expect(response.status == .methodNotAllowed)
        #expect(response.headers[.allow] == "POST")
      }
    }
  }

  /// Each route with the group that must guard it: restricting one group at a time, exactly that group's
  /// routes answer 401 without the credential (and with it, something else).
  static let routes: [(HTTPRequest.Method, String, ProtocolGroup)] = [
    (.get, "/v2", .metadata), (.get, "/v2/health/live", .health), (.get, "/v2/health/ready", .health),
    (.get, "/v2/models/echo", .metadata), (.get, "/v2/models/echo/versions/1", .metadata),
    (.get, "/v2/models/echo/ready", .health), (.get, "/v2/models/echo/versions/1/ready", .health),
    (.get, "/v2/models/echo/config", .modelConfig), (.get, "/v2/models/echo/versions/1/config", .modelConfig),
    (.get, "/v2/models/stats", .statistics), (.get, "/v2/models/echo/stats", .statistics),
    (.get, "/v2/models/echo/versions/1/stats", .statistics), (.post, "/v2/models/echo/infer", .inference),
    (.post, "/v2/models/echo/versions/1/infer", .inference), (.post, "/v2/repository/index", .modelRepository),
    (.post, "/v2/repository/models/none/load", .modelRepository),
    (.post, "/v2/repository/models/none/unload", .modelRepository),
    (.get, "/v2/systemsharedmemory/status", .sharedMemory),
    (.post, "/v2/systemsharedmemory/region/r/register", .sharedMemory),
    (.post, "/v2/systemsharedmemory/unregister", .sharedMemory), (.get, "/v2/cudasharedmemory/status", .sharedMemory),
    (.get, "/v2/logging", .logging), (.get, "/v2/trace/setting", .trace),
    (.get, "/v2/models/echo/trace/setting", .trace),
    // A model named like a route keyword is a model: its metadata.
    (.get, "/v2/models/infer", .metadata),
  ]

  @Test(arguments: ProtocolGroup.allCases) func everyRouteIsGuardedByItsOwnGroup(_ group: ProtocolGroup) async throws {
    let policy = try AccessPolicy(rules: [AccessPolicy.Rule(groups: [group], header: "x-key", value: "s3cret")])
    try await Self.withRouter(policy: policy) { client in
      for (method, path, owner) in Self.routes {
        let body = path.hasSuffix("/infer") ? Self.json(Self.inferBody) : nil
        try await client.execute(uri: path, method: method, body: body) { response in
          #expect((response.status == .unauthorized) == (owner == group), "\(method) \(path) restricting \(group)")
          if response.status == .unauthorized {
            #expect(Self.error(response).contains("x-key"))
            #expect(!Self.error(response).contains("s3cret"))
          }
        }
        try await client.execute(uri: path, method: method, headers: [HTTPField.Name("x-key")!: "s3cret"], body: body) {
          #expect($0.status != .unauthorized, "\(method) \(path) with the credential")
        }
      }
    }
  }
}
