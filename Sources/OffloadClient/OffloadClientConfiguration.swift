/// Where requests run.
public enum InferenceMode: String, Sendable, CaseIterable {
  /// Servers only; fails when none can answer.
  case remoteOnly = "remote"
  /// Servers, and the in-process runtime when no healthy server has the model or every attempt failed
  /// with UNAVAILABLE.
  case remoteWithFallback = "remote-with-fallback"
  /// The in-process runtime only.
  case localOnly = "local"
}

/// Everything an ``InferenceClient`` is configured with.
public struct OffloadClientConfiguration: Sendable {
  /// Servers (fixed list, DNS names, or both); `nil` only in local-only mode.
  public var servers: ServerDiscovery?
  /// Where requests run.
  public var mode: InferenceMode
  /// Pool tunables: policy, health-check interval, ejection.
  public var pool: ServerPool.Configuration
  /// Retries.
  public var retry: RetryPolicy
  /// Connection settings: TLS, compression, message size.
  public var connection: ConnectionOptions
  /// Deadline of a call that does not give its own (`nil`: none).
  public var timeout: Duration?
  /// How long the first requests wait for the first round of health checks.
  public var discoveryTimeout: Duration
  /// Ask servers for their queue times (`offload_timing`) so power-of-two-choices can use them.
  /// Servers that do not know the parameter ignore it.
  public var requestQueueTimes: Bool

  /// Creates a configuration.
  public init(
    servers: ServerDiscovery?, mode: InferenceMode = .remoteOnly, pool: ServerPool.Configuration = .init(),
    retry: RetryPolicy = .init(), connection: ConnectionOptions = .defaults, timeout: Duration? = nil,
    discoveryTimeout: Duration = .seconds(2), requestQueueTimes: Bool = true
  ) {
    self.servers = servers
    self.mode = mode
    self.pool = pool
    self.retry = retry
    self.connection = connection
    self.timeout = timeout
    self.discoveryTimeout = discoveryTimeout
    self.requestQueueTimes = requestQueueTimes
  }
}
