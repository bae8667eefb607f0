public import KServeGRPC
public import KServeProtocol

/// What the pool and ``InferenceClient`` need from a connection to one server, over gRPC
/// (``InferenceConnection``) or HTTP/REST (``HTTPInferenceConnection``).
public protocol InferenceTransport: Sendable {
  /// The server.
  var endpoint: ServerEndpoint { get }
  /// Maintains the connection until ``close()``.
  func run() async throws
  /// Ends ``run()``; calls in flight finish.
  func close()
  /// `ServerLive`.
  func serverLive(timeout: Duration?) async throws -> Bool
  /// `ServerReady`.
  func serverReady(timeout: Duration?) async throws -> Bool
  /// `ModelReady`.
  func modelReady(_ name: String, version: String, timeout: Duration?) async throws -> Bool
  /// Names of the models with a READY version (from the repository index).
  func readyModels(timeout: Duration?) async throws -> Set<String>
  /// A model's inputs and outputs.
  func signature(of model: String, version: String, timeout: Duration?) async throws -> ModelSignature
  /// One model's (or every model's, for an empty name) statistics as Triton reports them.
  func statistics(_ model: String, version: String, timeout: Duration?) async throws -> [Inference_ModelStatistics]
  /// `ModelInfer`.
  func infer(_ request: InferenceRequest, timeout: Duration?) async throws -> InferenceResponse
  /// A count that grows whenever the server sends something on this transport (any answer, on any call):
  /// a health check that timed out while it grew met a busy server, one whose stream limit or queue held
  /// the check behind other calls, not a dead one. Transports that cannot tell return 0.
  var serverReads: UInt64 { get }
}

extension InferenceTransport {
  public var serverReads: UInt64 { 0 }
}

/// The protocol a client speaks to its servers.
public enum TransportProtocol: String, Sendable, CaseIterable {
  /// gRPC (`inference.GRPCInferenceService`), Triton's port 8001.
  case grpc
  /// HTTP/REST with binary tensors, Triton's port 8000.
  case http
}

extension InferenceConnection: InferenceTransport {
  public func readyModels(timeout: Duration?) async throws -> Set<String> {
    let index = try await repositoryIndex(readyOnly: true, timeout: timeout)
    return Set(index.filter { $0.state.isEmpty || $0.state == "READY" }.map(\.name))
  }

  public func signature(of model: String, version: String, timeout: Duration?) async throws -> ModelSignature {
    try ModelSignature(try await modelMetadata(model, version: version, timeout: timeout))
  }

  public func statistics(
    _ model: String, version: String, timeout: Duration?
  ) async throws
    -> [Inference_ModelStatistics]
  {
    try await modelStatistics(model, version: version, timeout: timeout)
  }
}

/// Opens a transport of the configured protocol (``ConnectionOptions/transportProtocol``); call its `run()`.
public func makeTransport(to endpoint: ServerEndpoint, options: ConnectionOptions) throws -> any InferenceTransport {
  switch options.transportProtocol {
  case .grpc:
    return try InferenceConnection(to: endpoint, options: options)
  case .http:
    #if HTTPClientTransport
    return try HTTPInferenceConnection(to: endpoint, options: options)
    #else
    throw InferenceError(
      .unimplemented,
      "\(endpoint): this offload build has no HTTP/REST client (built without the HTTPClientTransport trait, as "
        + "the pip wheel and the container image are, to stay small); use gRPC, or build from source (docs/install.md)")
    #endif
  }
}
