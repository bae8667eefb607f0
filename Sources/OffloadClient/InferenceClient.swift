public import CoreMetrics
internal import InferenceRuntime
public import KServeProtocol
public import Logging
public import ServiceLifecycle
internal import Synchronization

/// Offload's client: a pool of servers with health checks and load balancing, retries within a deadline,
/// and a transparent in-process fallback, behind the same `Inferencing` interface as the runtime.
///
/// ```swift
/// let client = try InferenceClient(
///   configuration: .init(servers: try ServerDiscovery(parsing: "gpu1:8001,gpu2:8001"), mode: .remoteWithFallback),
///   local: LocalInference(.repositories([modelsURL])))
/// try await client.withRunning {
///   let response = try await client.infer(request, timeout: .milliseconds(50))
/// }
/// ```
///
/// Every response says which path served it in the parameter `offload_served_by` (`host:port` or
/// `local`), and `offload_attempts` when it took more than one.
public final class InferenceClient: Inferencing, Service, Sendable {
  /// Response parameter naming the server (`host:port`) or `local`.
  public static let servedByParameter = "offload_served_by"
  /// Response parameter with the number of remote attempts, when more than one.
  public static let attemptsParameter = "offload_attempts"

  /// Settings.
  public let configuration: OffloadClientConfiguration
  /// The server pool (`nil` in local-only mode).
  public let pool: ServerPool?
  /// The in-process path, when configured.
  public let local: LocalInference?
  private let logger: Logger
  private let metrics: ClientMetrics
  /// Fired by ``shutdown()`` or a graceful shutdown; ``run()`` then stops the pool and the local path.
  private let stopping: OneShotSignal
  private let random = RandomSource()

  /// Creates a client; nothing connects until ``run()``.
  /// - Parameters:
  ///   - configuration: Servers, mode, policies.
  ///   - local: The in-process path (required for local-only and remote-with-fallback modes).
  ///   - logger: Where pool changes, retries and fallbacks are logged (each attempt at debug level).
  ///   - metricsFactory: Where the client's counters go; `nil` records none.
  /// - Throws: `InferenceError` (invalid argument) when the mode lacks what it needs.
  public init(
    configuration: OffloadClientConfiguration, local: LocalInference? = nil,
    logger: Logger = Logger(label: "offload.client"), metricsFactory: (any MetricsFactory)? = nil
  ) throws {
    if configuration.mode != .remoteOnly, local == nil {
      throw InferenceError(
        .invalidArgument,
        "mode '\(configuration.mode.rawValue)' needs a local path: pass LocalInference(.repositories([...]))")
    }
    if configuration.mode != .localOnly, configuration.servers == nil {
      throw InferenceError(
        .invalidArgument,
        "mode '\(configuration.mode.rawValue)' needs servers: give host:port entries (or \(ServerDiscovery.environmentVariable))"
      )
    }
    self.configuration = configuration
    self.stopping = OneShotSignal()
    self.local = local
    self.logger = logger
    self.metrics = ClientMetrics(factory: metricsFactory)
    self.pool =
      configuration.mode == .localOnly
      ? nil
      : configuration.servers.map {
        ServerPool(
          discovery: $0, configuration: configuration.pool, options: configuration.connection, logger: logger)
      }
  }

  /// Runs the pool's health checks and connections and the local runtime until ``shutdown()`` or a
  /// graceful shutdown of the surrounding service group.
  public func run() async {
    await withDiscardingTaskGroup { group in
      if let pool { group.addTask { await pool.run() } }
      if let local { group.addTask { await local.run() } }
      group.addTask {
        // Until shutdown() or the surrounding group's graceful shutdown (or cancellation), then stop here.
        await withGracefulShutdownHandler {
          await self.stopping.wait()
        } onGracefulShutdown: {
          self.stopping.fire()
        }
        await self.stop()
      }
    }
  }

  /// Stops background work; calls in flight finish.
  public func shutdown() async {
    stopping.fire()
    await stop()
  }

  private func stop() async {
    pool?.shutdown()
    await local?.shutdown()
  }

  /// Runs the client around `body` and shuts it down afterwards.
  public func withRunning<R: Sendable>(
    isolation: isolated (any Actor)? = #isolation, _ body: () async throws -> R
  ) async throws -> R {
    try await withThrowingTaskGroup(of: Void.self) { group in
      group.addTask { await self.run() }
      do {
        let result = try await body()
        await shutdown()
        try await group.waitForAll()
        return result
      } catch {
        await shutdown()
        try await group.waitForAll()
        throw error
      }
    }
  }

  /// Runs a request with the configured default deadline.
  public func infer(_ request: InferenceRequest) async throws -> InferenceResponse {
    try await infer(request, timeout: configuration.timeout)
  }

  /// Runs a request: on a healthy server holding the model, retried per policy within `timeout`, and on
  /// the local path where the mode allows and no server can answer.
  /// - Throws: `InferenceError`: the server's answer, `deadlineExceeded` when `timeout` ran out, or
  ///   `unavailable` naming every server's state when none could take it.
  public func infer(_ request: InferenceRequest, timeout: Duration?) async throws -> InferenceResponse {
    let deadline = timeout.map { ContinuousClock.now + $0 }
    guard let pool, configuration.mode != .localOnly else {
      return try await runLocally(request, deadline: deadline, reason: nil)
    }
    await pool.waitForDiscovery(timeout: Self.cap(configuration.discoveryTimeout, by: deadline))
    if let deadline, ContinuousClock.now >= deadline {
      metrics.request(path: "remote", success: false)
      throw InferenceError(
        .deadlineExceeded,
        "deadline of \(timeout.map { "\($0)" } ?? "the call") passed while the pool was still checking its servers; "
          + "raise the timeout or start the client earlier")
    }
    var outgoing = request
    if configuration.requestQueueTimes, configuration.pool.machine.policy == .powerOfTwoChoices,
      outgoing.parameters[TimingParameters.request] == nil
    {
      outgoing.parameters[TimingParameters.request] = .string(TimingParameters.queueOnly)
    }
    let retry = configuration.retry
    var tried: Set<ServerEndpoint> = []
    var lastError: InferenceError?
    var attempt = 0
    while true {
      attempt += 1
      guard let connection = pool.acquire(model: request.modelName, excluding: retry.serverChoice == .next ? tried : [])
      else {
        if configuration.mode == .remoteWithFallback {
          metrics.fallback(reason: lastError == nil ? "no_server" : "failed")
          logger.debug("no healthy server has the model; running locally", metadata: ["model": "\(request.modelName)"])
          return try await runLocally(request, deadline: deadline, reason: lastError)
        }
        metrics.request(path: "remote", success: false)
        throw lastError ?? noServer(for: request.modelName, pool: pool)
      }
      let endpoint = connection.endpoint
      tried.insert(endpoint)
      if attempt > 1 { metrics.retry() }
      let remaining = deadline.map { $0 - .now }
      if let remaining, remaining <= .zero {
        pool.failed(endpoint, model: request.modelName, error: InferenceError(.deadlineExceeded, ""))
        metrics.request(path: "remote", success: false)
        throw deadlineExceeded(timeout, attempts: attempt - 1, lastError: lastError)
      }
      do {
        var response = try await connection.infer(outgoing, timeout: remaining)
        pool.succeeded(
          endpoint, queueNanos: response.parameters["offload_queue_ns"]?.int64Value.map { UInt64(max($0, 0)) })
        metrics.attempt(server: endpoint.description, success: true)
        metrics.request(path: "remote", success: true)
        response.parameters[Self.servedByParameter] = .string(endpoint.description)
        if attempt > 1 { response.parameters[Self.attemptsParameter] = .int64(Int64(attempt)) }
        return response
      } catch let error as InferenceError {
        pool.failed(endpoint, model: request.modelName, error: error)
        metrics.attempt(server: endpoint.description, success: false)
        lastError = error
        if error.code == .deadlineExceeded {
          metrics.request(path: "remote", success: false)
          throw deadlineExceeded(timeout, attempts: attempt, lastError: error)
        }
        let again = retry.shouldRetry(after: attempt, code: error.code)
        logger.log(
          level: again ? .debug : .info, "attempt failed",
          metadata: [
            "model": "\(request.modelName)", "server": "\(endpoint)", "attempt": "\(attempt)", "code": "\(error.code)",
            "error": "\(error.message)", "retry": "\(again)",
          ])
        guard again else {
          if error.code == .unavailable, configuration.mode == .remoteWithFallback {
            metrics.fallback(reason: "failed")
            return try await runLocally(request, deadline: deadline, reason: error)
          }
          metrics.request(path: "remote", success: false)
          throw error
        }
        let wait = random.withGenerator { retry.backoff(beforeRetry: attempt, random: &$0) }
        if let deadline, ContinuousClock.now + wait >= deadline {
          metrics.request(path: "remote", success: false)
          throw deadlineExceeded(timeout, attempts: attempt, lastError: error)
        }
        if wait > .zero { try await Task.sleep(for: wait) }
      }
    }
  }

  private static func cap(_ wait: Duration, by deadline: ContinuousClock.Instant?) -> Duration {
    guard let deadline else { return wait }
    return max(min(wait, deadline - .now), .zero)
  }

  private func runLocally(
    _ request: InferenceRequest, deadline: ContinuousClock.Instant?, reason: InferenceError?
  ) async throws -> InferenceResponse {
    guard let local else {
      throw reason ?? InferenceError(.unavailable, "no local inference configured")
    }
    do {
      var response: InferenceResponse
      if let deadline {
        response = try await Self.withDeadline(deadline) { try await local.infer(request) }
      } else {
        response = try await local.infer(request)
      }
      response.parameters[Self.servedByParameter] = .string("local")
      metrics.request(path: "local", success: true)
      return response
    } catch {
      metrics.request(path: "local", success: false)
      throw error
    }
  }

  private static func withDeadline<R: Sendable>(
    _ deadline: ContinuousClock.Instant, _ body: @escaping @Sendable () async throws -> R
  ) async throws -> R {
    try await withThrowingTaskGroup(of: R?.self) { group in
      group.addTask { try await body() }
      group.addTask {
        try await Task.sleep(until: deadline, clock: .continuous)
        return nil
      }
      defer { group.cancelAll() }
      guard let first = try await group.next(), let value = first else {
        throw InferenceError(.deadlineExceeded, "the local inference did not finish within the call's deadline")
      }
      return value
    }
  }

  private func deadlineExceeded(_ timeout: Duration?, attempts: Int, lastError: InferenceError?) -> InferenceError {
    let last = lastError.map { "; last error: \($0.message)" } ?? ""
    return InferenceError(
      .deadlineExceeded,
      "deadline of \(timeout.map { "\($0)" } ?? "the call") exceeded after \(attempts) attempt(s)\(last); "
        + "raise the timeout or add servers")
  }

  func noServer(for model: String, pool: ServerPool) -> InferenceError {
    let states = pool.members().map { member -> String in
      switch member.health {
      case .unknown: return "\(member.endpoint) (not checked yet)"
      case .ejected: return "\(member.endpoint) (ejected: \(member.lastError ?? "failed its health check"))"
      case .healthy:
        if member.models.contains(model) { return "\(member.endpoint) (healthy)" }
        let close = NameSuggestions.closest(to: model, in: Array(member.models))
        let hint = close.isEmpty ? "" : "; did you mean \(close.map { "'\($0)'" }.joined(separator: ", "))?"
        return "\(member.endpoint) (healthy, model not ready there\(hint))"
      }
    }
    return InferenceError(
      .unavailable,
      "no healthy server has model '\(model)' ready; servers: \(states.joined(separator: ", ")). "
        + "Load the model on a server, check the servers, or use mode remote-with-fallback")
  }
}

/// A random generator shared by concurrent calls.
final class RandomSource: Sendable {
  private let generator = Mutex(SystemRandomNumberGenerator())
  func withGenerator<R>(_ body: (inout SystemRandomNumberGenerator) -> R) -> R { generator.withLock { body(&$0) } }
}
