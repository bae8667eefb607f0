public import InferenceRuntime

/// Settings of one gRPC connection (``GRPCConnectionHandler``).
public struct GRPCConnectionConfiguration: Sendable {
  /// The largest request message, as sent and after decompression (RESOURCE_EXHAUSTED beyond).
  public var maxMessageBytes: Int
  /// The receive window kept open per stream and for the connection: returned to the peer as bytes arrive.
  public var targetWindowSize: Int
  /// Whether responses are compressed for clients that accept gzip or deflate (Triton's
  /// `--grpc-infer-response-compression-level`; off by default).
  public var compressResponses: Bool
  /// Restricted protocol groups (Triton's `--grpc-restricted-protocol`).
  public var accessPolicy: AccessPolicy
  /// The most request messages a ModelStreamInfer stream may have waiting for their turn; beyond it the
  /// stream ends with RESOURCE_EXHAUSTED (the client sends far ahead of what the model answers).
  public var maxQueuedStreamMessages: Int

  /// Creates a configuration.
  public init(
    maxMessageBytes: Int = 512 << 20, targetWindowSize: Int = 16 << 20, compressResponses: Bool = false,
    accessPolicy: AccessPolicy = .open, maxQueuedStreamMessages: Int = 4096
  ) {
    self.maxMessageBytes = maxMessageBytes
    self.targetWindowSize = targetWindowSize
    self.compressResponses = compressResponses
    self.accessPolicy = accessPolicy
    self.maxQueuedStreamMessages = maxQueuedStreamMessages
  }
}
