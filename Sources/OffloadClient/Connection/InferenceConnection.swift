internal import GRPCWire
public import KServeGRPC
public import KServeProtocol
internal import NIOCore
internal import NIOSSL
internal import SwiftProtobuf
public import TritonModelConfig

#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif

/// A connection to one KServe v2 / Triton gRPC server (Offload or Triton), with a typed async call for
/// every RPC of `inference.GRPCInferenceService`.
///
/// Call ``run()`` (it returns after ``close()``), or use ``withConnection(to:options:isolation:_:)``. Every
/// call takes an optional timeout; a call that outlives it fails with `deadlineExceeded`. Failures are
/// `InferenceError`s carrying the server's status and message.
///
/// The calls travel on gRPC's wire protocol written directly on swift-nio-http2 (`GRPCClientConnection`):
/// a call costs its HTTP/2 frames and one hop onto the connection's event loop (docs/design.md says why this
/// replaced grpc-swift's client, with the measurement).
public final class InferenceConnection: Sendable {
  /// The server.
  public let endpoint: ServerEndpoint
  /// How it connects.
  public let options: ConnectionOptions
  private let connection: GRPCClientConnection

  /// Creates a connection; nothing is dialled until a call is made.
  /// - Throws: `InferenceError` when the TLS files are unusable.
  public init(to endpoint: ServerEndpoint, options: ConnectionOptions = .defaults) throws {
    self.endpoint = endpoint
    self.options = options
    var context: NIOSSLContext?
    // IP literals are not sent as the TLS server name (TLS forbids it); the certificate's IP entries are
    // checked against the address instead.
    let isIP = endpoint.host.contains(":") || Self.isIPv4Literal(endpoint.host)
    var serverHostname = isIP ? nil : endpoint.host
    if let tls = options.tls {
      var configuration = try tls.clientConfiguration(for: endpoint)
      configuration.applicationProtocols = ["h2"]
      do {
        context = try NIOSSLContext(configuration: configuration)
      } catch {
        throw InferenceError(.invalidArgument, "cannot set up TLS for \(endpoint): \(error)")
      }
      if let name = tls.serverHostname { serverHostname = name }
    }
    let authority =
      options.tls?.serverHostname
      ?? (endpoint.host.contains(":") ? "[\(endpoint.host)]:\(endpoint.port)" : "\(endpoint.host):\(endpoint.port)")
    let settings = GRPCClientSettings(
      authority: authority, scheme: options.tls == nil ? "http" : "https",
      compression: Self.encoding(options.compression), maxMessageBytes: options.maxMessageBytes,
      metadata: options.headers.sorted { $0.key < $1.key }.filter { !$0.key.hasPrefix(":") }.map { ($0.key, $0.value) },
      flushDelay: options.flushCoalescingDelay.map { .nanoseconds(GRPCClientConnection.nanoseconds($0)) })
    self.connection = GRPCClientConnection(
      host: endpoint.host, port: endpoint.port, settings: settings, tls: context, serverHostname: serverHostname)
  }

  /// Returns after ``close()``, once the calls in flight are answered.
  public func run() async throws { await connection.run() }

  /// Finishes in-flight calls and ends ``run()``.
  public func close() { connection.close() }

  /// How many times frames arrived from the server so far (see ``InferenceTransport/serverReads``).
  public var serverReads: UInt64 { connection.serverReads.value }

  /// Opens a connection, runs `body` with it, and closes it.
  public static func withConnection<R: Sendable>(
    to endpoint: ServerEndpoint, options: ConnectionOptions = .defaults,
    isolation: isolated (any Actor)? = #isolation, _ body: (InferenceConnection) async throws -> R
  ) async throws -> R {
    let connection = try InferenceConnection(to: endpoint, options: options)
    return try await withThrowingTaskGroup(of: Void.self) { group in
      group.addTask { try await connection.run() }
      defer { connection.close() }
      return try await body(connection)
    }
  }

  static func isIPv4Literal(_ host: String) -> Bool {
    let parts = host.split(separator: ".", omittingEmptySubsequences: false)
    return parts.count == 4 && parts.allSatisfy { $0.count <= 3 && UInt8($0) != nil }
  }

  static func encoding(_ compression: ConnectionOptions.Compression) -> GRPCCompression? {
    switch compression {
    case .none: nil
    case .gzip: .gzip
    case .deflate: .deflate
    }
  }

  private static let service = "/inference.GRPCInferenceService/"

  /// Encodes a request, checked against the message limit.
  private func encode(_ message: some SwiftProtobuf.Message) throws -> ByteBuffer {
    let bytes: ByteBuffer
    do {
      bytes = try GRPCMessageCodec.encode(message)
    } catch {
      throw InferenceError(.invalidArgument, "\(endpoint): cannot encode the request: \(error)")
    }
    guard bytes.readableBytes <= options.maxMessageBytes else {
      throw InferenceError(
        .resourceExhausted,
        "\(endpoint): the request message is \(bytes.readableBytes) bytes, above this client's limit of "
          + "\(options.maxMessageBytes) bytes (ConnectionOptions.maxMessageBytes); send fewer rows per request")
    }
    return bytes
  }

  /// A unary call of `inference.GRPCInferenceService`.
  private func call<Response: SwiftProtobuf.Message>(
    _ method: String, _ request: some SwiftProtobuf.Message, timeout: Duration?
  ) async throws -> Response {
    let bytes = try encode(request)
    do {
      let reply = try await connection.unary(Self.service + method, request: bytes, timeout: timeout)
      return try GRPCMessageCodec.decode(Response.self, from: reply, role: .client)
    } catch let status as GRPCStatus {
      throw InferenceError(status, endpoint: endpoint.description)
    }
  }

  // MARK: Health and metadata

  /// `ServerLive`.
  public func serverLive(timeout: Duration? = nil) async throws -> Bool {
    try await (call("ServerLive", Inference_ServerLiveRequest(), timeout: timeout) as Inference_ServerLiveResponse).live
  }

  /// `ServerReady`.
  public func serverReady(timeout: Duration? = nil) async throws -> Bool {
    try await (call("ServerReady", Inference_ServerReadyRequest(), timeout: timeout) as Inference_ServerReadyResponse)
      .ready
  }

  /// `ModelReady` (version "" means the server's choice).
  public func modelReady(_ name: String, version: String = "", timeout: Duration? = nil) async throws -> Bool {
    var request = Inference_ModelReadyRequest()
    request.name = name
    request.version = version
    return try await (call("ModelReady", request, timeout: timeout) as Inference_ModelReadyResponse).ready
  }

  /// `ServerMetadata`.
  public func serverMetadata(timeout: Duration? = nil) async throws -> Inference_ServerMetadataResponse {
    try await call("ServerMetadata", Inference_ServerMetadataRequest(), timeout: timeout)
      as Inference_ServerMetadataResponse
  }

  /// `ModelMetadata`.
  public func modelMetadata(
    _ name: String, version: String = "", timeout: Duration? = nil
  ) async throws
    -> Inference_ModelMetadataResponse
  {
    var request = Inference_ModelMetadataRequest()
    request.name = name
    request.version = version
    return try await call("ModelMetadata", request, timeout: timeout) as Inference_ModelMetadataResponse
  }

  /// `ModelConfig`.
  public func modelConfig(
    _ name: String, version: String = "", timeout: Duration? = nil
  ) async throws
    -> Inference_ModelConfig
  {
    var request = Inference_ModelConfigRequest()
    request.name = name
    request.version = version
    return try await (call("ModelConfig", request, timeout: timeout) as Inference_ModelConfigResponse).config
  }

  /// `ModelStatistics` (empty name: every model).
  public func modelStatistics(
    _ name: String = "", version: String = "", timeout: Duration? = nil
  ) async throws
    -> [Inference_ModelStatistics]
  {
    var request = Inference_ModelStatisticsRequest()
    request.name = name
    request.version = version
    return try await (call("ModelStatistics", request, timeout: timeout) as Inference_ModelStatisticsResponse)
      .modelStats
  }

  // MARK: Repository

  /// `RepositoryIndex`.
  public func repositoryIndex(
    readyOnly: Bool = false, timeout: Duration? = nil
  ) async throws
    -> [Inference_RepositoryIndexResponse.ModelIndex]
  {
    var request = Inference_RepositoryIndexRequest()
    request.ready = readyOnly
    return try await (call("RepositoryIndex", request, timeout: timeout) as Inference_RepositoryIndexResponse).models
  }

  /// `RepositoryModelLoad`, optionally with a JSON config override.
  public func loadModel(_ name: String, configJSON: String? = nil, timeout: Duration? = nil) async throws {
    var request = Inference_RepositoryModelLoadRequest()
    request.modelName = name
    if let configJSON {
      var parameter = Inference_ModelRepositoryParameter()
      parameter.stringParam = configJSON
      request.parameters["config"] = parameter
    }
    _ = try await call("RepositoryModelLoad", request, timeout: timeout) as Inference_RepositoryModelLoadResponse
  }

  /// `RepositoryModelUnload`.
  public func unloadModel(_ name: String, unloadDependents: Bool = false, timeout: Duration? = nil) async throws {
    var request = Inference_RepositoryModelUnloadRequest()
    request.modelName = name
    if unloadDependents {
      var parameter = Inference_ModelRepositoryParameter()
      parameter.boolParam = true
      request.parameters["unload_dependents"] = parameter
    }
    _ = try await call("RepositoryModelUnload", request, timeout: timeout) as Inference_RepositoryModelUnloadResponse
  }

  // MARK: Shared memory, trace and log settings

  /// `SystemSharedMemoryStatus` (empty name: every region).
  public func systemSharedMemoryStatus(
    _ name: String = "", timeout: Duration? = nil
  ) async throws
    -> Inference_SystemSharedMemoryStatusResponse
  {
    var request = Inference_SystemSharedMemoryStatusRequest()
    request.name = name
    return try await call("SystemSharedMemoryStatus", request, timeout: timeout)
      as Inference_SystemSharedMemoryStatusResponse
  }

  /// `SystemSharedMemoryRegister`.
  public func registerSystemSharedMemory(
    _ name: String, key: String, offset: UInt64 = 0, byteSize: UInt64, timeout: Duration? = nil
  ) async throws {
    var request = Inference_SystemSharedMemoryRegisterRequest()
    request.name = name
    request.key = key
    request.offset = offset
    request.byteSize = byteSize
    _ =
      try await call("SystemSharedMemoryRegister", request, timeout: timeout)
      as Inference_SystemSharedMemoryRegisterResponse
  }

  /// `SystemSharedMemoryUnregister` (empty name: every region).
  public func unregisterSystemSharedMemory(_ name: String = "", timeout: Duration? = nil) async throws {
    var request = Inference_SystemSharedMemoryUnregisterRequest()
    request.name = name
    _ =
      try await call("SystemSharedMemoryUnregister", request, timeout: timeout)
      as Inference_SystemSharedMemoryUnregisterResponse
  }

  /// `CudaSharedMemoryStatus` (empty name: every region).
  public func cudaSharedMemoryStatus(
    _ name: String = "", timeout: Duration? = nil
  ) async throws
    -> Inference_CudaSharedMemoryStatusResponse
  {
    var request = Inference_CudaSharedMemoryStatusRequest()
    request.name = name
    return try await call("CudaSharedMemoryStatus", request, timeout: timeout)
      as Inference_CudaSharedMemoryStatusResponse
  }

  /// `CudaSharedMemoryRegister`.
  public func registerCudaSharedMemory(
    _ request: Inference_CudaSharedMemoryRegisterRequest, timeout: Duration? = nil
  ) async throws {
    _ =
      try await call("CudaSharedMemoryRegister", request, timeout: timeout)
      as Inference_CudaSharedMemoryRegisterResponse
  }

  /// `CudaSharedMemoryUnregister` (empty name: every region).
  public func unregisterCudaSharedMemory(_ name: String = "", timeout: Duration? = nil) async throws {
    var request = Inference_CudaSharedMemoryUnregisterRequest()
    request.name = name
    _ =
      try await call("CudaSharedMemoryUnregister", request, timeout: timeout)
      as Inference_CudaSharedMemoryUnregisterResponse
  }

  /// `TraceSetting`: reads (empty request) or updates trace settings.
  public func traceSetting(
    _ request: Inference_TraceSettingRequest = .init(), timeout: Duration? = nil
  )
    async throws -> Inference_TraceSettingResponse
  {
    try await call("TraceSetting", request, timeout: timeout) as Inference_TraceSettingResponse
  }

  /// `LogSettings`: reads (empty request) or updates log settings.
  public func logSettings(
    _ request: Inference_LogSettingsRequest = .init(), timeout: Duration? = nil
  )
    async throws -> Inference_LogSettingsResponse
  {
    try await call("LogSettings", request, timeout: timeout) as Inference_LogSettingsResponse
  }

  // MARK: Inference

  /// `ModelInfer`.
  /// - Throws: `InferenceError` with the server's status, or `deadlineExceeded` after `timeout`.
  public func infer(_ request: InferenceRequest, timeout: Duration? = nil) async throws -> InferenceResponse {
    let message = request.proto
    let reply = try await call("ModelInfer", message, timeout: timeout) as Inference_ModelInferResponse
    return try InferenceResponse(reply)
  }

  /// `ModelStreamInfer`: sends `requests` on one stream and hands each answer (or per-request error) to
  /// `handle` in arrival order.
  public func streamInfer(
    _ requests: [InferenceRequest], timeout: Duration? = nil,
    handle: @escaping @Sendable (Result<InferenceResponse, InferenceError>) async -> Void
  ) async throws {
    let messages = try requests.map { try encode($0.proto) }
    let name = endpoint.description
    do {
      try await connection.stream(Self.service + "ModelStreamInfer", requests: messages, timeout: timeout) { bytes in
        let message = try GRPCMessageCodec.decode(Inference_ModelStreamInferResponse.self, from: bytes, role: .client)
        if !message.errorMessage.isEmpty {
          await handle(.failure(InferenceError(.internal, "\(name): \(message.errorMessage)")))
        } else {
          do { await handle(.success(try InferenceResponse(message.inferResponse))) } catch let error
            as InferenceError
          {
            await handle(.failure(error))
          }
        }
      }
    } catch let status as GRPCStatus {
      throw InferenceError(status, endpoint: name)
    }
  }
}
