/// What the gRPC front end reports about the server.
public struct GRPCFrontEndConfiguration: Sendable {
  /// `ServerMetadata.name`.
  public var serverName: String
  /// `ServerMetadata.version`.
  public var serverVersion: String
  /// `ServerMetadata.extensions`: only the Triton extensions this server really implements.
  public var extensions: [String]
  /// Requests of one ModelStreamInfer stream that may run at once.
  public var maxConcurrentStreamRequests: Int

  /// Creates a configuration.
  public init(
    serverName: String = "offload",
    serverVersion: String,
    extensions: [String],
    maxConcurrentStreamRequests: Int = 1
  ) {
    self.serverName = serverName
    self.serverVersion = serverVersion
    self.extensions = extensions
    self.maxConcurrentStreamRequests = maxConcurrentStreamRequests
  }
}
