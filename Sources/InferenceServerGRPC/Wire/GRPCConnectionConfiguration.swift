public import InferenceRuntime
public import NIOCore

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
  /// The longest a connection is not read after one of its calls found a model's queue full, when the queue
  /// does not drain to half its limit sooner; zero reads on at once (every request read is then refused or
  /// admitted, as Triton does).
  public var maxReadPause: TimeAmount
  /// The `SETTINGS_MAX_CONCURRENT_STREAMS` the connection advertised at its start (the endpoint's setting);
  /// refusals for a full queue lower it for a while (see ``GRPCConnectionHandler``).
  public var maxConcurrentStreams: Int
  /// How long a connection must go without a refusal before its lowered stream limit doubles again.
  public var streamLimitRecovery: TimeAmount

  /// Creates a configuration.
  public init(
    maxMessageBytes: Int = 512 << 20, targetWindowSize: Int = 16 << 20, compressResponses: Bool = false,
    accessPolicy: AccessPolicy = .open, maxQueuedStreamMessages: Int = 4096,
    maxReadPause: TimeAmount = .milliseconds(50), maxConcurrentStreams: Int = 128,
    streamLimitRecovery: TimeAmount = .seconds(1)
  ) {
    self.maxMessageBytes = maxMessageBytes
    self.targetWindowSize = targetWindowSize
    self.compressResponses = compressResponses
    self.accessPolicy = accessPolicy
    self.maxQueuedStreamMessages = maxQueuedStreamMessages
    self.maxReadPause = maxReadPause
    self.maxConcurrentStreams = maxConcurrentStreams
    self.streamLimitRecovery = streamLimitRecovery
  }
}
