public import InferenceRuntime

/// What the gRPC front end reports about the server.
public struct GRPCFrontEndConfiguration: Sendable {
  /// `ServerMetadata.name`.
  public var serverName: String
  /// `ServerMetadata.version`.
  public var serverVersion: String
  /// `ServerMetadata.extensions`: only the Triton extensions this server really implements.
  public var extensions: [String]
  /// The server's log settings, read and changed by `LogSettings`; `nil`: fixed at the handler logger's
  /// level (a store of their own).
  public var logSettings: LogSettingsStore?

  /// Creates a configuration.
  public init(
    serverName: String = "offload",
    serverVersion: String,
    extensions: [String],
    logSettings: LogSettingsStore? = nil
  ) {
    self.serverName = serverName
    self.serverVersion = serverVersion
    self.extensions = extensions
    self.logSettings = logSettings
  }
}
