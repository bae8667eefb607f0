/// What the gRPC front end reports about the server.
public struct GRPCFrontEndConfiguration: Sendable {
  /// `ServerMetadata.name`.
  public var serverName: String
  /// `ServerMetadata.version`.
  public var serverVersion: String
  /// `ServerMetadata.extensions`: only the Triton extensions this server really implements.
  public var extensions: [String]

  /// Creates a configuration.
  public init(
    serverName: String = "offload",
    serverVersion: String,
    extensions: [String]
  ) {
    self.serverName = serverName
    self.serverVersion = serverVersion
    self.extensions = extensions
  }
}
