public import InferenceRuntime
internal import KServeGRPC
public import KServeProtocol
public import Logging
internal import OffloadMeasurement
internal import Synchronization

#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif

/// Drives ``ServerPoolStateMachine``: keeps one ``InferenceConnection`` per server, follows the
/// discovery (re-resolving DNS names every health interval), checks each server's health (ServerReady,
/// then RepositoryIndex for the models it has ready), ejects and re-admits servers, and hands requests a
/// server by the configured policy.
///
/// ``run()`` does all background work and returns after ``shutdown()``.
public final class ServerPool: Sendable {
  /// Tunables.
  public struct Configuration: Sendable, Equatable {
    /// The state machine's tunables (policy, intervals, ejection).
    public var machine: ServerPoolStateMachine.Configuration
    /// Longest time a health check may take before it counts as failed.
    public var probeTimeout: Duration
    /// How often the background loop looks for due checks.
    public var tick: Duration

    /// Creates a configuration.
    public init(
      machine: ServerPoolStateMachine.Configuration = .init(), probeTimeout: Duration = .seconds(1),
      tick: Duration = .milliseconds(20)
    ) {
      self.machine = machine
      self.probeTimeout = probeTimeout
      self.tick = tick
    }
  }

  private struct State {
    var machine: ServerPoolStateMachine
    var connections: [ServerEndpoint: any InferenceTransport] = [:]
    var random = SystemRandomNumberGenerator()
    var discoveryWaiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
    var nextWaiter: UInt64 = 0
    var resolvedOnce = false
    var shutDown = false
  }

  /// Where the servers come from.
  public let discovery: ServerDiscovery
  /// Tunables.
  public let configuration: Configuration
  private let options: ConnectionOptions
  private let logger: Logger
  private let state: Mutex<State>
  private let clock: any DriverClock
  private let connect: @Sendable (ServerEndpoint, ConnectionOptions) throws -> any InferenceTransport

  /// Creates a pool; nothing is dialled until ``run()``.
  /// - Parameters:
  ///   - discovery: Where the servers come from.
  ///   - configuration: Balancing, health checks, ejection.
  ///   - options: How each connection is made.
  ///   - logger: Where membership and health changes are logged.
  ///   - clock: The time of health checks, ejections and discovery waits (tests pass a manual clock).
  ///   - connect: Makes the transport to a server (``makeTransport(to:options:)``; tests pass fakes).
  public init(
    discovery: ServerDiscovery, configuration: Configuration = .init(), options: ConnectionOptions = .defaults,
    logger: Logger = Logger(label: "offload.client.pool"), clock: any DriverClock = SystemDriverClock(),
    connect: @escaping @Sendable (ServerEndpoint, ConnectionOptions) throws -> any InferenceTransport = makeTransport
  ) {
    self.clock = clock
    self.connect = connect
    self.discovery = discovery
    self.configuration = configuration
    self.options = options
    self.logger = logger
    self.state = Mutex(State(machine: ServerPoolStateMachine(configuration: configuration.machine)))
  }

  private func now() -> UInt64 { clock.nanoseconds() }

  /// Every member's state now.
  public func members() -> [ServerPoolStateMachine.Member] { state.withLock { $0.machine.members } }

  /// Healthy servers holding `model`.
  public func servers(for model: String) -> [ServerEndpoint] { state.withLock { $0.machine.candidates(for: model) } }

  // MARK: Requests

  /// Chooses a server for `model` and counts the request in flight there.
  /// - Returns: Its connection, or `nil` when no healthy server has the model.
  public func acquire(model: String, excluding: Set<ServerEndpoint>) -> (any InferenceTransport)? {
    state.withLock { state in
      guard let endpoint = state.machine.pick(model: model, excluding: excluding, random: &state.random) else {
        return nil
      }
      return state.connections[endpoint]
    }
  }

  /// Reports a request that succeeded.
  public func succeeded(_ endpoint: ServerEndpoint, queueNanos: UInt64?) {
    state.withLock { $0.machine.requestSucceeded(endpoint, queueNanos: queueNanos) }
  }

  /// Reports a request that failed.
  public func failed(_ endpoint: ServerEndpoint, model: String, error: InferenceError) {
    let kind: ServerPoolStateMachine.FailureKind =
      switch error.code {
      case .unavailable: .unavailable
      case .notFound: .modelMissing(model)
      default: .request
      }
    let now = now()
    let ejected = state.withLock { state in
      state.machine.requestFailed(endpoint, kind: kind, reason: error.message, now: now, random: &state.random)
    }
    if ejected {
      logger.warning(
        "server ejected after repeated failures", metadata: ["server": "\(endpoint)", "error": "\(error.message)"])
    }
  }

  // MARK: Discovery

  /// Waits until every known server has been checked once, or `timeout` passed.
  public func waitForDiscovery(timeout: Duration) async {
    if state.withLock({ $0.resolvedOnce && $0.machine.discoveryComplete }) { return }
    let id = state.withLock { state -> UInt64 in
      defer { state.nextWaiter += 1 }
      return state.nextWaiter
    }
    let clock = self.clock
    let deadline = now() &+ timeout.clampedNanoseconds
    await withTaskGroup(of: Void.self) { group in
      group.addTask { try? await clock.sleep(untilNanoseconds: deadline) }
      group.addTask {
        await withTaskCancellationHandler {
          await withCheckedContinuation { continuation in
            let done = self.state.withLock { state -> Bool in
              if (state.resolvedOnce && state.machine.discoveryComplete) || state.shutDown || Task.isCancelled {
                return true
              }
              state.discoveryWaiters[id] = continuation
              return false
            }
            if done { continuation.resume() }
          }
        } onCancel: {
          self.state.withLock { $0.discoveryWaiters.removeValue(forKey: id) }?.resume()
        }
      }
      _ = await group.next()
      group.cancelAll()
    }
  }

  private func wakeDiscoveryWaitersIfComplete() {
    let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
      guard (state.resolvedOnce && state.machine.discoveryComplete) || state.shutDown else { return [] }
      defer { state.discoveryWaiters = [:] }
      return Array(state.discoveryWaiters.values)
    }
    for waiter in waiters { waiter.resume() }
  }

  // MARK: Background work

  /// Resolves the servers, keeps connections and health checks going until ``shutdown()``.
  public func run() async {
    var lastResolve: UInt64?
    let interval = configuration.machine.healthCheckIntervalNanos
    await withDiscardingTaskGroup { group in
      // A cancelled task ends the loop too (its sleeps would return at once and spin).
      while !state.withLock({ $0.shutDown }) && !Task.isCancelled {
        if lastResolve.map({ self.now() &- $0 >= interval }) ?? true {
          lastResolve = self.now()
          for connection in await refreshMembership() {
            group.addTask {
              do { try await connection.run() } catch {
                self.logger.debug(
                  "connection ended", metadata: ["server": "\(connection.endpoint)", "error": "\(error)"])
              }
            }
          }
        }
        let now = now()
        let due = state.withLock { state in
          state.machine.startDueProbes(now: now).compactMap { endpoint in state.connections[endpoint] }
        }
        for connection in due { group.addTask { await self.probe(connection) } }
        try? await clock.sleep(untilNanoseconds: self.now() &+ configuration.tick.clampedNanoseconds)
      }
      let connections = state.withLock { Array($0.connections.values) }
      for connection in connections { connection.close() }
    }
  }

  /// Stops background work and closes every connection (calls in flight finish first).
  public func shutdown() {
    state.withLock { $0.shutDown = true }
    wakeDiscoveryWaitersIfComplete()
  }

  /// Applies the current discovery result; returns connections to start.
  private func refreshMembership() async -> [any InferenceTransport] {
    let (endpoints, failures) = await discovery.resolve()
    for (name, reason) in failures {
      logger.warning("cannot resolve server name", metadata: ["name": "\(name)", "error": "\(reason)"])
    }
    var created: [any InferenceTransport] = []
    var broken: [(ServerEndpoint, String)] = []
    for endpoint in endpoints where state.withLock({ $0.connections[endpoint] == nil }) {
      do { created.append(try connect(endpoint, options)) } catch {
        broken.append((endpoint, "\(error)"))
      }
    }
    let usable = endpoints.filter { endpoint in !broken.contains { $0.0 == endpoint } }
    let (added, removed) = state.withLock { state -> ([ServerEndpoint], [any InferenceTransport]) in
      for connection in created { state.connections[connection.endpoint] = connection }
      let change = state.machine.setEndpoints(usable)
      let gone = change.removed.compactMap { state.connections.removeValue(forKey: $0) }
      state.resolvedOnce = true
      return (change.added, gone)
    }
    for (endpoint, reason) in broken {
      logger.error("cannot connect to server", metadata: ["server": "\(endpoint)", "error": "\(reason)"])
    }
    if !added.isEmpty { logger.info("servers added", metadata: ["servers": "\(added.map(\.description))"]) }
    for connection in removed {
      logger.info("server removed", metadata: ["server": "\(connection.endpoint)"])
      connection.close()
    }
    wakeDiscoveryWaitersIfComplete()
    return created
  }

  /// One health check: ServerReady, then the ready models from RepositoryIndex.
  private func probe(_ connection: any InferenceTransport) async {
    let endpoint = connection.endpoint
    let wasHealthy = state.withLock { $0.machine.member(endpoint)?.health == .healthy }
    let readsBefore = connection.serverReads
    do {
      guard try await connection.serverReady(timeout: configuration.probeTimeout) else {
        throw InferenceError(.unavailable, "\(endpoint): server is not ready")
      }
      let models = try await connection.readyModels(timeout: configuration.probeTimeout)
      let now = now()
      state.withLock { $0.machine.probeSucceeded(endpoint, models: models, now: now) }
      if !wasHealthy {
        logger.info("server healthy", metadata: ["server": "\(endpoint)", "models": "\(models.count)"])
      }
    } catch let error as InferenceError
      where wasHealthy && error.code == .deadlineExceeded && connection.serverReads != readsBefore
    {
      // Busy, not dead: the server kept answering other calls while this check waited behind them (an
      // overloaded server stops reading or lowers its stream limit; the check queues like any call).
      state.withLock { $0.machine.probeInconclusive(endpoint) }
      logger.debug(
        "health check timed out behind other calls; server still answering",
        metadata: ["server": "\(endpoint)", "error": "\(error.message)"])
    } catch {
      let reason = (error as? InferenceError)?.message ?? "\(error)"
      let now = now()
      let until = state.withLock { state -> UInt64? in
        state.machine.probeFailed(endpoint, reason: reason, now: now, random: &state.random)
        if case .ejected(let until) = state.machine.member(endpoint)?.health { return until }
        return nil
      }
      let seconds = Double((until ?? now) &- now) / 1e9
      logger.log(
        level: wasHealthy ? .warning : .debug, "server ejected",
        metadata: ["server": "\(endpoint)", "error": "\(reason)", "retry_in_s": "\(seconds)"])
    }
    wakeDiscoveryWaitersIfComplete()
  }
}
