// Built only with the HTTPClientTransport trait (on by default; Package.swift): AsyncHTTPClient links all of
// Foundation into the binary, which the wheel's and the image's trimmed server build leaves out.
#if HTTPClientTransport
internal import AsyncHTTPClient
#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif

public import KServeGRPC
public import KServeProtocol
internal import NIOCore
internal import NIOFoundationCompat
internal import NIOHTTP1
internal import NIOSSL
internal import OffloadMeasurement
internal import SwiftProtobuf
internal import Synchronization

/// A connection to one KServe v2 HTTP/REST server (Offload or Triton) using Triton's binary tensor data
/// extension for inference: inputs and outputs travel as raw bytes after a JSON header, so no tensor is
/// printed as JSON text. Built on AsyncHTTPClient (connection pooling, keep-alive, TLS).
public final class HTTPInferenceConnection: Sendable {
  /// The server.
  public let endpoint: ServerEndpoint
  /// Connection settings (TLS; compression is not used over HTTP yet).
  public let options: ConnectionOptions
  private let client: HTTPClient
  private let base: String

  /// Creates a connection; nothing is dialled until the first call.
  /// - Throws: `InferenceError` when the TLS files are unusable.
  public init(to endpoint: ServerEndpoint, options: ConnectionOptions = .defaults) throws {
    self.endpoint = endpoint
    self.options = options
    var configuration = HTTPClient.Configuration()
    configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 64)
    if let tls = options.tls { configuration.tlsConfiguration = try tls.clientConfiguration(for: endpoint) }
    self.client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    let scheme = options.tls == nil ? "http" : "https"
    self.base = "\(scheme)://\(endpoint.description)"
  }

  /// Nothing to maintain between calls (AsyncHTTPClient pools connections); returns after ``close()``.
  public func run() async throws {
    await closed.wait()
  }

  private let closed = OneShotSignal()

  /// Shuts the HTTP client down (requests still in flight fail) and ends ``run()``. Call it once the
  /// connection is no longer needed.
  public func close() {
    guard closed.fire() else { return }
    // Completes on a Dispatch queue; nothing waits for it (requests in flight fail on their own).
    client.shutdown { _ in }
  }

  // MARK: Calls

  private struct Reply {
    var status: Int
    var headers: HTTPHeaders
    var body: ByteBuffer
  }

  private func call(
    _ method: HTTPMethod, _ path: String, body: ByteBuffer? = nil, headers: [(String, String)] = [],
    timeout: Duration?
  ) async throws -> Reply {
    var request = HTTPClientRequest(url: base + path)
    request.method = method
    for (name, value) in options.headers { request.headers.replaceOrAdd(name: name, value: value) }
    for (name, value) in headers { request.headers.add(name: name, value: value) }
    if let body { request.body = .bytes(body) }
    let amount = TimeAmount.nanoseconds(timeout.map { Int64(clamping: $0.clampedNanoseconds) } ?? 3_600_000_000_000)
    do {
      let response = try await client.execute(request, timeout: amount)
      let bytes = try await response.body.collect(upTo: options.maxMessageBytes)
      return Reply(status: Int(response.status.code), headers: response.headers, body: bytes)
    } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
      throw InferenceError(
        .deadlineExceeded, "\(endpoint): no answer within \(timeout.map { "\($0)" } ?? "the timeout")")
    } catch let error as InferenceError {
      throw error
    } catch {
      throw InferenceError(.unavailable, "\(endpoint): \(error)", cause: error)
    }
  }

  private func check(_ reply: Reply) throws {
    guard reply.status >= 300 else { return }
    let message =
      (try? JSONValue.parse(Data(buffer: reply.body)))?["error"]?.stringValue ?? String(buffer: reply.body)
    let code: InferenceError.Code =
      switch reply.status {
      case 400: .invalidArgument
      case 401, 403: .unauthenticated
      case 404: .notFound
      case 413: .resourceExhausted
      case 429, 503: .unavailable
      case 501: .unimplemented
      case 504: .deadlineExceeded
      default: .internal
      }
    throw InferenceError(code, "\(endpoint): \(message.isEmpty ? "HTTP \(reply.status)" : message)")
  }

  private func json(_ reply: Reply) throws -> JSONValue {
    try check(reply)
    guard let object = try? JSONValue.parse(Data(buffer: reply.body)), object.objectValue != nil else {
      throw InferenceError(.internal, "\(endpoint): the answer is not a JSON object")
    }
    return object
  }

  private static func modelPath(_ name: String, _ version: String) -> String {
    let escaped = pathSegment(name)
    return version.isEmpty ? "/v2/models/\(escaped)" : "/v2/models/\(escaped)/versions/\(pathSegment(version))"
  }

  /// `text` as one URL path segment (RFC 3986 `pchar`): unreserved characters, sub-delimiters, `:` and `@`
  /// stay, every other UTF-8 byte (`/`, `?`, `#`, `%`, space, non-ASCII) is percent-encoded.
  static func pathSegment(_ text: String) -> String {
    var out = ""
    for byte in text.utf8 {
      switch byte {
      case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
        UInt8(ascii: "0")...UInt8(ascii: "9"):
        out.unicodeScalars.append(Unicode.Scalar(byte))
      case _ where "-._~!$&'()*+,;=:@".utf8.contains(byte):
        out.unicodeScalars.append(Unicode.Scalar(byte))
      default:
        let hex = String(byte, radix: 16, uppercase: true)
        out += "%" + (hex.count == 1 ? "0" + hex : hex)
      }
    }
    return out
  }

  /// `GET /v2/health/live`.
  public func serverLive(timeout: Duration? = nil) async throws -> Bool {
    try await call(.GET, "/v2/health/live", timeout: timeout).status == 200
  }

  /// `GET /v2/health/ready`.
  public func serverReady(timeout: Duration? = nil) async throws -> Bool {
    try await call(.GET, "/v2/health/ready", timeout: timeout).status == 200
  }

  /// `GET /v2/models/{m}[/versions/{v}]/ready`.
  public func modelReady(_ name: String, version: String = "", timeout: Duration? = nil) async throws -> Bool {
    try await call(.GET, Self.modelPath(name, version) + "/ready", timeout: timeout).status == 200
  }

  /// `POST /v2/repository/index` with `ready: true`.
  public func readyModels(timeout: Duration? = nil) async throws -> Set<String> {
    let reply = try await call(
      .POST, "/v2/repository/index", body: ByteBuffer(string: #"{"ready":true}"#), timeout: timeout)
    try check(reply)
    guard let entries = (try? JSONValue.parse(Data(buffer: reply.body)))?.arrayValue else {
      throw InferenceError(.internal, "\(endpoint): the repository index is not a JSON array")
    }
    return Set(
      entries.filter { $0["state"]?.stringValue.map { $0 == "READY" } ?? true }.compactMap { $0["name"]?.stringValue })
  }

  /// `GET /v2/models/{m}[/versions/{v}]`.
  public func signature(
    of model: String, version: String = "", timeout: Duration? = nil
  ) async throws
    -> ModelSignature
  {
    let object = try json(try await call(.GET, Self.modelPath(model, version), timeout: timeout))
    func tensors(_ key: String) throws -> [TensorDescription] {
      try (object[key]?.arrayValue ?? []).map { t in
        guard let name = t["name"]?.stringValue,
          let type = t["datatype"]?.stringValue.flatMap(DataType.init(rawValue:)),
          let shape = t["shape"]?.int64Array
        else { throw InferenceError(.internal, "\(endpoint): malformed tensor metadata for '\(model)'") }
        return TensorDescription(name: name, datatype: type, shape: shape)
      }
    }
    return ModelSignature(inputs: try tensors("inputs"), outputs: try tensors("outputs"))
  }

  /// `GET /v2/models/{m}[/versions/{v}]/stats` (or `/v2/models/stats`), as the gRPC messages.
  public func statistics(
    _ model: String = "", version: String = "", timeout: Duration? = nil
  ) async throws
    -> [Inference_ModelStatistics]
  {
    let path = model.isEmpty ? "/v2/models/stats" : Self.modelPath(model, version) + "/stats"
    let reply = try await call(.GET, path, timeout: timeout)
    try check(reply)
    var options = JSONDecodingOptions()
    options.ignoreUnknownFields = true
    do {
      return try Inference_ModelStatisticsResponse(jsonUTF8Data: Data(buffer: reply.body), options: options).modelStats
    } catch {
      throw InferenceError(.internal, "\(endpoint): cannot read the statistics: \(error)")
    }
  }

  /// `POST …/infer` with binary inputs and outputs.
  public func infer(_ request: InferenceRequest, timeout: Duration? = nil) async throws -> InferenceResponse {
    var header: [String: JSONValue] = [
      "inputs": .array(
        request.inputs.map { input in
          var parameters = Self.jsonParameters(input.parameters)
          parameters["binary_data_size"] = .int(Int64(input.data.count))
          return .object([
            "name": .string(input.name), "datatype": .string(input.datatype.rawValue),
            "shape": .array(input.shape.map { .int($0) }), "parameters": .object(parameters),
          ])
        })
    ]
    if !request.id.isEmpty { header["id"] = .string(request.id) }
    var parameters = Self.jsonParameters(request.parameters)
    parameters["binary_data_output"] = .bool(true)
    header["parameters"] = .object(parameters)
    if !request.outputs.isEmpty {
      header["outputs"] = .array(
        request.outputs.map { output in
          var p = Self.jsonParameters(output.parameters)
          p["binary_data"] = .bool(true)
          return .object(["name": .string(output.name), "parameters": .object(p)])
        })
    }
    let json = try JSONValue.object(header).encoded()
    var body = ByteBuffer()
    body.reserveCapacity(json.count + request.inputs.reduce(0) { $0 + $1.data.count })
    body.writeBytes(json)
    for input in request.inputs { body.writeBytes(input.data) }
    let reply = try await call(
      .POST, Self.modelPath(request.modelName, request.modelVersion) + "/infer", body: body,
      headers: [("Inference-Header-Content-Length", "\(json.count)"), ("Content-Type", "application/octet-stream")],
      timeout: timeout)
    try check(reply)
    let data = Data(buffer: reply.body)
    let headerLength = reply.headers.first(name: "Inference-Header-Content-Length").flatMap(Int.init) ?? data.count
    guard headerLength <= data.count,
      let object = try? JSONValue.parse(data.prefix(headerLength)), object.objectValue != nil
    else {
      throw InferenceError(.internal, "\(endpoint): the inference answer is not valid")
    }
    var offset = headerLength
    var outputs: [InferenceTensor] = []
    for output in object["outputs"]?.arrayValue ?? [] {
      guard let name = output["name"]?.stringValue,
        let type = output["datatype"]?.stringValue.flatMap(DataType.init(rawValue:)),
        let shape = output["shape"]?.int64Array
      else { throw InferenceError(.internal, "\(endpoint): malformed output in the inference answer") }
      guard let size = output["parameters"]?["binary_data_size"]?.int64Value.flatMap({ Int(exactly: $0) }) else {
        throw InferenceError(
          .unimplemented, "\(endpoint): output '\(name)' came as JSON data; this client reads binary outputs only")
      }
      guard size >= 0, offset + size <= data.count else {
        throw InferenceError(.internal, "\(endpoint): output '\(name)' is cut short")
      }
      outputs.append(
        InferenceTensor(name: name, datatype: type, shape: shape, data: data.subdata(in: offset..<offset + size)))
      offset += size
    }
    let responseParameters = object["parameters"]?.objectValue?.compactMapValues(\.parameter) ?? [:]
    return InferenceResponse(
      modelName: object["model_name"]?.stringValue ?? request.modelName,
      modelVersion: object["model_version"]?.stringValue ?? "", id: object["id"]?.stringValue ?? request.id,
      outputs: outputs, parameters: responseParameters)
  }

  static func jsonParameters(_ parameters: [String: InferenceParameter]) -> [String: JSONValue] {
    parameters.mapValues(JSONValue.init)
  }
}

extension HTTPInferenceConnection: InferenceTransport {}
#endif
