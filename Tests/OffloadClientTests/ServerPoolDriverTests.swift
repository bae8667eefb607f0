import KServeGRPC
import KServeProtocol
import OffloadClient
import Synchronization
import Testing

import class InferenceRuntime.ManualDriverClock

/// The pool's driver (discovery, health checks, ejection and return) on a manual clock with fake servers:
/// what happens at which time, with no sockets and no waiting for real time.
@Suite(.timeLimit(.minutes(1))) struct ServerPoolDriverTests {
  /// A server whose readiness the test sets; counts its health checks.
  final class FakeServer: InferenceTransport {
    let endpoint: ServerEndpoint
    private let state = Mutex(
      (
        ready: true, probes: 0, closed: false, waiter: CheckedContinuation<Void, Never>?.none,
        checksTimeOut: false, answersMeanwhile: false, reads: UInt64(0)
      ))

    init(_ endpoint: ServerEndpoint) { self.endpoint = endpoint }

    var ready: Bool {
      get { state.withLock { $0.ready } }
      set { state.withLock { $0.ready = newValue } }
    }
    var probes: Int { state.withLock { $0.probes } }
    /// Health checks time out; with `answersMeanwhile`, other calls' answers arrive while they wait.
    func overloaded(checksTimeOut: Bool, answersMeanwhile: Bool) {
      state.withLock {
        $0.checksTimeOut = checksTimeOut
        $0.answersMeanwhile = answersMeanwhile
      }
    }
    var serverReads: UInt64 { state.withLock { $0.reads } }

    func run() async throws {
      await withCheckedContinuation { continuation in
        let closed = state.withLock { state -> Bool in
          if state.closed { return true }
          state.waiter = continuation
          return false
        }
        if closed { continuation.resume() }
      }
    }

    func close() {
      state.withLock { state in
        state.closed = true
        defer { state.waiter = nil }
        return state.waiter
      }?.resume()
    }

    func serverLive(timeout: Duration?) async throws -> Bool { true }
    func serverReady(timeout: Duration?) async throws -> Bool {
      let timedOut = state.withLock { state -> Bool in
        state.probes += 1
        if state.answersMeanwhile { state.reads += 1 }
        return state.checksTimeOut
      }
      if timedOut {
        throw InferenceError(.deadlineExceeded, "ServerReady was not answered within its timeout (1.0 s)")
      }
      return ready
    }
    func modelReady(_ name: String, version: String, timeout: Duration?) async throws -> Bool { ready }
    func readyModels(timeout: Duration?) async throws -> Set<String> { ["m"] }
    func signature(of model: String, version: String, timeout: Duration?) async throws -> ModelSignature {
      throw InferenceError(.unimplemented, "fake")
    }
    func statistics(_ model: String, version: String, timeout: Duration?) async throws -> [Inference_ModelStatistics] {
      []
    }
    func infer(_ request: InferenceRequest, timeout: Duration?) async throws -> InferenceResponse {
      InferenceResponse(modelName: request.modelName, modelVersion: "1", id: request.id, outputs: [])
    }
  }

  static let a = ServerEndpoint(host: "a.test", port: 1)
  static let b = ServerEndpoint(host: "b.test", port: 2)

  /// Lets the driver run until it sleeps on the clock again past `now` (it has done what the time allows).
  static func settle(_ clock: ManualDriverClock) async throws {
    while !(clock.sleeperCount > 0 && (clock.nextDeadline ?? 0) > clock.nanoseconds()) {
      try Task.checkCancellation()
      await Task.yield()
    }
    for _ in 0..<50 { await Task.yield() }
  }

  @Test func anUnreadyServerIsEjectedAndReturnsOnlyAfterItsEjectionTime() async throws {
    let clock = ManualDriverClock()
    let servers = [Self.a: FakeServer(Self.a), Self.b: FakeServer(Self.b)]
    servers[Self.b]!.ready = false
    var machine = ServerPoolStateMachine.Configuration()
    machine.healthCheckIntervalNanos = 1_000_000_000
    machine.ejectionBaseNanos = 10_000_000_000
    machine.ejectionJitter = 0
    let pool = ServerPool(
      discovery: .servers([Self.a, Self.b]),
      configuration: ServerPool.Configuration(machine: machine, tick: .milliseconds(100)), clock: clock
    ) { endpoint, _ in servers[endpoint]! }
    func health(_ endpoint: ServerEndpoint) -> ServerPoolStateMachine.Health? {
      pool.members().first { $0.endpoint == endpoint }?.health
    }
    await withTaskGroup(of: Void.self) { group in
      group.addTask { await pool.run() }
      await pool.waitForDiscovery(timeout: .seconds(60))
      #expect(health(Self.a) == .healthy)
      guard case .ejected(let until) = health(Self.b) else {
        Issue.record("b should be ejected, is \(String(describing: health(Self.b)))")
        pool.shutdown()
        return
      }
      #expect(until == 10_000_000_000, "ejected for the base time, no jitter")
      servers[Self.b]!.ready = true
      let probesBefore = servers[Self.b]!.probes

      // Just before the ejection ends: no new health check of b, a is checked every interval.
      try? await Self.settle(clock)
      for _ in 0..<99 {
        clock.advance(by: .milliseconds(100))
        try? await Self.settle(clock)
      }
      #expect(clock.nanoseconds() == 9_900_000_000)
      #expect(servers[Self.b]!.probes == probesBefore, "b is not checked while ejected")
      #expect(servers[Self.a]!.probes >= 9, "a is checked about once a second")
      #expect(health(Self.b) == .ejected(until: until))

      // At the ejection's end b is checked again and, ready now, comes back.
      clock.advance(by: .milliseconds(100))
      while health(Self.b) != .healthy { await Task.yield() }
      #expect(servers[Self.b]!.probes == probesBefore + 1)
      pool.shutdown()
      clock.advance(by: .seconds(1))
    }
  }

  /// A health check that times out while the server keeps answering other calls on the connection (an
  /// overloaded server holds reads or lowers its stream limit, and the check queues behind the calls) leaves
  /// the server in; one that times out on a silent connection ejects it.
  @Test func aCheckStuckBehindAnsweredCallsDoesNotEjectButASilentServerIsEjected() async throws {
    let clock = ManualDriverClock()
    let server = FakeServer(Self.a)
    var machine = ServerPoolStateMachine.Configuration()
    machine.healthCheckIntervalNanos = 1_000_000_000
    machine.ejectionJitter = 0
    let pool = ServerPool(
      discovery: .servers([Self.a]),
      configuration: ServerPool.Configuration(machine: machine, tick: .milliseconds(100)), clock: clock
    ) { _, _ in server }
    func health() -> ServerPoolStateMachine.Health? { pool.members().first?.health }
    await withTaskGroup(of: Void.self) { group in
      group.addTask { await pool.run() }
      await pool.waitForDiscovery(timeout: .seconds(60))
      #expect(health() == .healthy)

      server.overloaded(checksTimeOut: true, answersMeanwhile: true)
      let probes = server.probes
      try? await Self.settle(clock)
      for _ in 0..<30 {
        clock.advance(by: .milliseconds(100))
        try? await Self.settle(clock)
      }
      #expect(server.probes >= probes + 2, "checked (and timed out) repeatedly")
      #expect(health() == .healthy, "busy, not dead")

      server.overloaded(checksTimeOut: true, answersMeanwhile: false)
      for _ in 0..<20 {
        clock.advance(by: .milliseconds(100))
        try? await Self.settle(clock)
      }
      if case .ejected = health() {
      } else {
        Issue.record("a silent server should be ejected, is \(String(describing: health()))")
      }
      pool.shutdown()
      clock.advance(by: .seconds(60))
    }
  }
}
