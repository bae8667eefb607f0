internal import Foundation
internal import GRPCCore
internal import GRPCNIOTransportHTTP2
public import KServeGRPC
public import KServeProtocol
public import TritonModelConfig

/// A connection to one KServe v2 / Triton gRPC server (Offload or Triton), with a typed async call for
/// every RPC of `inference.GRPCInferenceService`.
///
/// Call ``run()`` (it maintains the connection and returns after ``close()``), or use
/// ``withConnection(to:options:_:)``. Every call takes an optional timeout; a call that outlives it fails
/// with `deadlineExceeded`. Failures are ``InferenceError``s carrying the server's status and message.
public final class InferenceConnection: Sendable {
  /// The server.
  public let endpoint: ServerEndpoint
  /// How it connects.
  public let options: ConnectionOptions
  private let client: GRPCClient<HTTP2ClientTransport.Posix>
  private let service: Inference_GRPCInferenceService.Client<HTTP2ClientTransport.Posix>

  /// Creates a connection; nothing is dialled until ``run()`` runs and a call is made.
  /// - Throws: ``InferenceError`` when the TLS files are unusable.
  public init(to endpoint: ServerEndpoint, options: ConnectionOptions = .defaults) throws {
    self.endpoint = endpoint
    self.options = options
    let security: HTTP2ClientTransport.Posix.TransportSecurity
    if let tls = options.tls {
      security = .tls(
        .defaults { config in
          if let ca = tls.trustedCertificateAuthorities {
            config.trustRoots = .certificates([.file(path: ca, format: .pem)])
          }
          if let chain = tls.clientCertificateChain, let key = tls.clientPrivateKey {
            config.certificateChain = [.file(path: chain, format: .pem)]
            config.privateKey = .file(path: key, format: .pem)
          }
          if !tls.verifyServer { config.serverCertificateVerification = .noVerification }
        })
    } else {
      security = .plaintext
    }
    // IP literals get IP targets: a DNS target would make grpc-swift send the address as the TLS server name
    // (SNI), which TLS forbids and NIOSSL refuses; with an IP target the certificate's IP entries are checked.
    let target: any ResolvableTarget =
      if endpoint.host.contains(":") {
        .ipv6(address: endpoint.host, port: endpoint.port)
      } else if Self.isIPv4Literal(endpoint.host) {
        .ipv4(address: endpoint.host, port: endpoint.port)
      } else {
        .dns(host: endpoint.host, port: endpoint.port)
      }
    let transport: HTTP2ClientTransport.Posix
    do {
      transport = try HTTP2ClientTransport.Posix(
        target: target, transportSecurity: security,
        config: .defaults { config in
          config.compression.algorithm = Self.algorithm(options.compression)
          config.compression.enabledAlgorithms = .all
          config.http2.targetWindowSize = 16 << 20
          config.http2.maxFrameSize = 1 << 20
          config.connection.flushCoalescing = options.flushCoalescingDelay.map {
            .init(maxFlushDelay: $0, maxBytes: 64 << 10)
          }
          config.backoff.initial = .milliseconds(50)
          config.backoff.max = .seconds(2)
          if let name = options.tls?.serverHostname { config.http2.authority = name }
        })
    } catch {
      throw InferenceError(.invalidArgument, "cannot set up a connection to \(endpoint): \(error)")
    }
    self.client = GRPCClient(
      transport: transport,
      interceptors: options.headers.isEmpty ? [] : [HeaderInjectingInterceptor(headers: options.headers)])
    self.service = Inference_GRPCInferenceService.Client(wrapping: client)
  }

  /// Maintains the connection until ``close()``.
  public func run() async throws { try await client.runConnections() }

  /// Finishes in-flight calls and ends ``run()``.
  public func close() { client.beginGracefulShutdown() }

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

  static func algorithm(_ compression: ConnectionOptions.Compression) -> CompressionAlgorithm {
    switch compression {
    case .none: .none
    case .gzip: .gzip
    case .deflate: .deflate
    }
  }

  private func callOptions(_ timeout: Duration?) -> CallOptions {
    var call = CallOptions.defaults
    call.timeout = timeout
    call.maxRequestMessageBytes = options.maxMessageBytes
    call.maxResponseMessageBytes = options.maxMessageBytes
    if options.compression != .none { call.compression = Self.algorithm(options.compression) }
    return call
  }

  private func mapped<R>(_ body: (CallOptions) async throws -> R, timeout: Duration?) async throws -> R {
    do {
      return try await body(callOptions(timeout))
    } catch let error as RPCError {
      throw InferenceError(error, endpoint: endpoint.description)
    }
  }

  // MARK: Health and metadata

  /// `ServerLive`.
  public func serverLive(timeout: Duration? = nil) async throws -> Bool {
    try await mapped({ try await service.serverLive(.init(), options: $0).live }, timeout: timeout)
  }

  /// `ServerReady`.
  public func serverReady(timeout: Duration? = nil) async throws -> Bool {
    try await mapped({ try await service.serverReady(.init(), options: $0).ready }, timeout: timeout)
  }

  /// `ModelReady` (version "" means the server's choice).
  public func modelReady(_ name: String, version: String = "", timeout: Duration? = nil) async throws -> Bool {
    var request = Inference_ModelReadyRequest()
    request.name = name
    request.version = version
    return try await mapped({ try await service.modelReady(request, options: $0).ready }, timeout: timeout)
  }

  /// `ServerMetadata`.
  public func serverMetadata(timeout: Duration? = nil) async throws -> Inference_ServerMetadataResponse {
    try await mapped({ try await service.serverMetadata(.init(), options: $0) }, timeout: timeout)
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
    return try await mapped({ try await service.modelMetadata(request, options: $0) }, timeout: timeout)
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
    return try await mapped({ try await service.modelConfig(request, options: $0).config }, timeout: timeout)
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
    return try await mapped({ try await service.modelStatistics(request, options: $0).modelStats }, timeout: timeout)
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
    return try await mapped({ try await service.repositoryIndex(request, options: $0).models }, timeout: timeout)
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
    _ = try await mapped({ try await service.repositoryModelLoad(request, options: $0) }, timeout: timeout)
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
    _ = try await mapped({ try await service.repositoryModelUnload(request, options: $0) }, timeout: timeout)
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
    return try await mapped({ try await service.systemSharedMemoryStatus(request, options: $0) }, timeout: timeout)
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
    _ = try await mapped({ try await service.systemSharedMemoryRegister(request, options: $0) }, timeout: timeout)
  }

  /// `SystemSharedMemoryUnregister` (empty name: every region).
  public func unregisterSystemSharedMemory(_ name: String = "", timeout: Duration? = nil) async throws {
    var request = Inference_SystemSharedMemoryUnregisterRequest()
    request.name = name
    _ = try await mapped({ try await service.systemSharedMemoryUnregister(request, options: $0) }, timeout: timeout)
  }

  /// `CudaSharedMemoryStatus` (empty name: every region).
  public func cudaSharedMemoryStatus(
    _ name: String = "", timeout: Duration? = nil
  ) async throws
    -> Inference_CudaSharedMemoryStatusResponse
  {
    var request = Inference_CudaSharedMemoryStatusRequest()
    request.name = name
    return try await mapped({ try await service.cudaSharedMemoryStatus(request, options: $0) }, timeout: timeout)
  }

  /// `CudaSharedMemoryRegister`.
  public func registerCudaSharedMemory(
    _ request: Inference_CudaSharedMemoryRegisterRequest, timeout: Duration? = nil
  ) async throws {
    _ = try await mapped({ try await service.cudaSharedMemoryRegister(request, options: $0) }, timeout: timeout)
  }

  /// `CudaSharedMemoryUnregister` (empty name: every region).
  public func unregisterCudaSharedMemory(_ name: String = "", timeout: Duration? = nil) async throws {
    var request = Inference_CudaSharedMemoryUnregisterRequest()
    request.name = name
    _ = try await mapped({ try await service.cudaSharedMemoryUnregister(request, options: $0) }, timeout: timeout)
  }

  /// `TraceSetting`: reads (empty request) or updates trace settings.
  public func traceSetting(
    _ request: Inference_TraceSettingRequest = .init(), timeout: Duration? = nil
  )
    async throws -> Inference_TraceSettingResponse
  {
    try await mapped({ try await service.traceSetting(request, options: $0) }, timeout: timeout)
  }

  /// `LogSettings`: reads (empty request) or updates log settings.
  public func logSettings(
    _ request: Inference_LogSettingsRequest = .init(), timeout: Duration? = nil
  )
    async throws -> Inference_LogSettingsResponse
  {
    try await mapped({ try await service.logSettings(request, options: $0) }, timeout: timeout)
  }

  // MARK: Inference

  /// `ModelInfer`.
  /// - Throws: ``InferenceError`` with the server's status, or `deadlineExceeded` after `timeout`.
  public func infer(_ request: InferenceRequest, timeout: Duration? = nil) async throws -> InferenceResponse {
    let message = request.proto
    let reply = try await mapped({ try await service.modelInfer(message, options: $0) }, timeout: timeout)
    return try InferenceResponse(reply)
  }

  /// `ModelStreamInfer`: sends `requests` on one stream and hands each answer (or per-request error) to
  /// `handle` in arrival order.
  public func streamInfer(
    _ requests: [InferenceRequest], timeout: Duration? = nil,
    handle: @escaping @Sendable (Result<InferenceResponse, InferenceError>) async -> Void
  ) async throws {
    let messages = requests.map(\.proto)
    let name = endpoint.description
    try await mapped(
      { options in
        try await service.modelStreamInfer(
          request: StreamingClientRequest { writer in try await writer.write(contentsOf: messages) },
          options: options
        ) { response in
          for try await message in response.messages {
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
        }
      }, timeout: timeout)
  }
}
