/// How the pool chooses among the healthy servers that hold a model.
public enum LoadBalancingPolicy: String, Sendable, CaseIterable, Equatable {
  /// Each server in turn.
  case roundRobin = "round-robin"
  /// The server with the fewest requests this client has in flight (ties in turn).
  case leastOutstanding = "least-outstanding"
  /// Two servers at random; the one with the lower expected wait. The wait is the server-reported queue
  /// time (Offload's `offload_timing` response parameters, smoothed) scaled by this client's requests in
  /// flight there; servers that report nothing (e.g. Triton) are compared by requests in flight.
  case powerOfTwoChoices = "p2c"
}

/// The pool's bookkeeping as a pure state machine: membership, health, ejection with exponential
/// backoff, which models each server has ready, requests in flight and reported queue times, and the
/// choice of a server for a request. Time is passed in (nanoseconds on any monotonic clock) and
/// randomness comes from the caller's generator, so tests drive it deterministically.
public struct ServerPoolStateMachine: Sendable {
  /// Tunables.
  public struct Configuration: Sendable, Equatable {
    /// Policy.
    public var policy: LoadBalancingPolicy
    /// Time between health checks of a healthy server.
    public var healthCheckIntervalNanos: UInt64
    /// First ejection period; doubles with every consecutive ejection.
    public var ejectionBaseNanos: UInt64
    /// Longest ejection period.
    public var ejectionMaxNanos: UInt64
    /// Fraction of the ejection period randomised (0.2: ±20 %), so many clients do not probe in step.
    public var ejectionJitter: Double
    /// Consecutive failed requests (UNAVAILABLE) after which a server is ejected without waiting for the
    /// next health check.
    public var failuresBeforeEjection: Int
    /// Weight of a new queue-time sample in the smoothed estimate.
    public var queueTimeSmoothing: Double

    /// Creates a configuration.
    public init(
      policy: LoadBalancingPolicy = .powerOfTwoChoices, healthCheckIntervalNanos: UInt64 = 1_000_000_000,
      ejectionBaseNanos: UInt64 = 500_000_000, ejectionMaxNanos: UInt64 = 30_000_000_000,
      ejectionJitter: Double = 0.2, failuresBeforeEjection: Int = 3, queueTimeSmoothing: Double = 0.3
    ) {
      self.policy = policy
      self.healthCheckIntervalNanos = healthCheckIntervalNanos
      self.ejectionBaseNanos = ejectionBaseNanos
      self.ejectionMaxNanos = ejectionMaxNanos
      self.ejectionJitter = min(max(ejectionJitter, 0), 1)
      self.failuresBeforeEjection = max(failuresBeforeEjection, 1)
      self.queueTimeSmoothing = min(max(queueTimeSmoothing, 0.01), 1)
    }
  }

  /// A server's health as the pool sees it.
  public enum Health: Sendable, Equatable {
    /// Not checked yet: receives no requests.
    case unknown
    /// Passed its last check: eligible for the models it has ready.
    case healthy
    /// Failed; not used and not checked before `until`, when one probe decides re-admission.
    case ejected(until: UInt64)
  }

  /// One server's state, for status reports and tests.
  public struct Member: Sendable, Equatable {
    /// Address.
    public var endpoint: ServerEndpoint
    /// Health.
    public var health: Health = .unknown
    /// Consecutive ejections (sets the backoff); cleared by a successful check.
    public var ejections = 0
    /// Consecutive failed requests.
    public var consecutiveFailures = 0
    /// Models ready there, from its repository index.
    public var models: Set<String> = []
    /// Requests this client has in flight there.
    public var outstanding = 0
    /// Smoothed server-reported queue time, when the server reports one.
    public var queueNanos: Double?
    /// When its last probe started (nil: due now).
    public var lastProbe: UInt64?
    /// A probe is running.
    public var probing = false
    /// Why it was last ejected.
    public var lastError: String?
  }

  /// Tunables.
  public let configuration: Configuration
  /// Members, ordered by endpoint.
  public private(set) var members: [Member] = []
  private var turn: [String: Int] = [:]

  /// Creates an empty pool.
  public init(configuration: Configuration = .init()) {
    self.configuration = configuration
  }

  private func index(_ endpoint: ServerEndpoint) -> Int? { members.firstIndex { $0.endpoint == endpoint } }

  /// The member for an endpoint.
  public func member(_ endpoint: ServerEndpoint) -> Member? { index(endpoint).map { members[$0] } }

  // MARK: Membership

  /// Replaces the membership (fixed list or a fresh DNS answer). Known servers keep their state.
  /// - Returns: Endpoints added and removed.
  @discardableResult
  public mutating func setEndpoints(
    _ endpoints: [ServerEndpoint]
  ) -> (added: [ServerEndpoint], removed: [ServerEndpoint]) {
    let wanted = Set(endpoints)
    let removed = members.map(\.endpoint).filter { !wanted.contains($0) }
    let added = wanted.subtracting(members.map(\.endpoint)).sorted()
    members.removeAll { !wanted.contains($0.endpoint) }
    members.append(contentsOf: added.map { Member(endpoint: $0) })
    members.sort { $0.endpoint < $1.endpoint }
    return (added, removed)
  }

  // MARK: Health

  /// Servers whose health check is due now: healthy or unknown ones once per interval, ejected ones when
  /// their ejection ends. Marks them as probing; report each with ``probeSucceeded(_:models:now:)`` or
  /// ``probeFailed(_:reason:now:random:)``.
  public mutating func startDueProbes(now: UInt64) -> [ServerEndpoint] {
    var due: [ServerEndpoint] = []
    for i in members.indices where !members[i].probing {
      let ready: Bool
      switch members[i].health {
      case .ejected(let until): ready = now >= until
      case .unknown, .healthy:
        ready = members[i].lastProbe.map { now &- $0 >= configuration.healthCheckIntervalNanos } ?? true
      }
      if ready {
        members[i].probing = true
        members[i].lastProbe = now
        due.append(members[i].endpoint)
      }
    }
    return due
  }

  /// A health check passed: the server is (re-)admitted with the models it reported ready.
  public mutating func probeSucceeded(_ endpoint: ServerEndpoint, models: Set<String>, now: UInt64) {
    guard let i = index(endpoint) else { return }
    members[i].probing = false
    members[i].health = .healthy
    members[i].ejections = 0
    members[i].consecutiveFailures = 0
    members[i].models = models
    members[i].lastError = nil
    // Old queue-time samples fade, so a server that was busy a while ago gets traffic again.
    members[i].queueNanos = members[i].queueNanos.map { $0 / 2 }
  }

  /// A health check could not tell: it timed out while the server kept answering other calls on the same
  /// connection (busy, not dead). The server keeps its state; the next check is due an interval later.
  public mutating func probeInconclusive(_ endpoint: ServerEndpoint) {
    guard let i = index(endpoint) else { return }
    members[i].probing = false
  }

  /// A health check failed: the server is ejected for a backoff period.
  public mutating func probeFailed(
    _ endpoint: ServerEndpoint, reason: String, now: UInt64, random: inout some RandomNumberGenerator
  ) {
    guard let i = index(endpoint) else { return }
    members[i].probing = false
    eject(i, reason: reason, now: now, random: &random)
  }

  private mutating func eject(_ i: Int, reason: String, now: UInt64, random: inout some RandomNumberGenerator) {
    let period = ejectionPeriod(after: members[i].ejections, random: &random)
    members[i].health = .ejected(until: now &+ period)
    members[i].ejections += 1
    members[i].consecutiveFailures = 0
    members[i].lastError = reason
  }

  /// The ejection period after `ejections` earlier consecutive ejections: base × 2^n, capped, jittered.
  public func ejectionPeriod(after ejections: Int, random: inout some RandomNumberGenerator) -> UInt64 {
    let exponent = min(ejections, 40)
    let raw = Double(configuration.ejectionBaseNanos) * Double(1 << UInt64(exponent))
    let capped = min(raw, Double(configuration.ejectionMaxNanos))
    let jitter = configuration.ejectionJitter
    let factor = jitter > 0 ? Double.random(in: (1 - jitter)...(1 + jitter), using: &random) : 1
    return UInt64(max(capped * factor, 0))
  }

  /// The earliest time a probe may become due (for the driver's sleep).
  public func nextProbeTime() -> UInt64? {
    members.filter { !$0.probing }.map { member -> UInt64 in
      switch member.health {
      case .ejected(let until): until
      case .unknown, .healthy: member.lastProbe.map { $0 &+ configuration.healthCheckIntervalNanos } ?? 0
      }
    }.min()
  }

  /// Whether every member has been checked at least once (the first discovery round is over).
  public var discoveryComplete: Bool { members.allSatisfy { $0.health != .unknown } }

  // MARK: Requests

  /// Healthy servers that have `model` ready.
  public func candidates(for model: String) -> [ServerEndpoint] {
    members.filter { $0.health == .healthy && $0.models.contains(model) }.map(\.endpoint)
  }

  /// Chooses a server for a request and counts it in flight there.
  /// - Parameters:
  ///   - model: The model; only servers that have it ready are considered.
  ///   - excluding: Servers already tried for this request (a retry goes elsewhere when it can).
  ///   - random: Randomness for power-of-two-choices.
  /// - Returns: The server, or `nil` when no healthy server has the model.
  public mutating func pick(
    model: String, excluding: Set<ServerEndpoint> = [], random: inout some RandomNumberGenerator
  ) -> ServerEndpoint? {
    let eligible = members.indices.filter { members[$0].health == .healthy && members[$0].models.contains(model) }
    var pool = eligible.filter { !excluding.contains(members[$0].endpoint) }
    if pool.isEmpty { pool = eligible }  // every holder was tried: try again rather than give up
    guard !pool.isEmpty else { return nil }
    let chosen: Int
    switch configuration.policy {
    case .roundRobin:
      chosen = pool[nextTurn(model, count: pool.count)]
    case .leastOutstanding:
      let start = nextTurn(model, count: pool.count)
      let rotated = Array(pool[start...] + pool[..<start])
      chosen = rotated.min { members[$0].outstanding < members[$1].outstanding }!
    case .powerOfTwoChoices:
      if pool.count == 1 {
        chosen = pool[0]
      } else {
        let a = Int.random(in: 0..<pool.count, using: &random)
        var b = Int.random(in: 0..<(pool.count - 1), using: &random)
        if b >= a { b += 1 }
        chosen = expectedWait(pool[b]) < expectedWait(pool[a]) ? pool[b] : pool[a]
      }
    }
    members[chosen].outstanding += 1
    return members[chosen].endpoint
  }

  private mutating func nextTurn(_ model: String, count: Int) -> Int {
    let value = turn[model, default: 0]
    turn[model] = value &+ 1
    return value % count
  }

  private func expectedWait(_ i: Int) -> Double {
    let member = members[i]
    let inFlight = Double(member.outstanding)
    if let queue = member.queueNanos { return (queue + 1_000) * (1 + inFlight) }
    return 1_000 * (1 + inFlight)
  }

  /// A request finished well; `queueNanos` is the server-reported queue time when it sent one.
  public mutating func requestSucceeded(_ endpoint: ServerEndpoint, queueNanos: UInt64?) {
    guard let i = index(endpoint) else { return }
    members[i].outstanding = max(members[i].outstanding - 1, 0)
    members[i].consecutiveFailures = 0
    if let queueNanos {
      let sample = Double(queueNanos)
      let weight = configuration.queueTimeSmoothing
      members[i].queueNanos = members[i].queueNanos.map { $0 + weight * (sample - $0) } ?? sample
    }
  }

  /// How a failed request reflects on the server.
  public enum FailureKind: Sendable, Equatable {
    /// The server (or the way to it) is unavailable: counts towards ejection and asks for a check now.
    case unavailable
    /// The server does not have the model (any more): it is not sent that model until its next check.
    case modelMissing(String)
    /// The request itself was at fault (bad input, deadline): says nothing about the server.
    case request
  }

  /// A request failed.
  /// - Returns: Whether the server was ejected now.
  @discardableResult
  public mutating func requestFailed(
    _ endpoint: ServerEndpoint, kind: FailureKind, reason: String, now: UInt64,
    random: inout some RandomNumberGenerator
  ) -> Bool {
    guard let i = index(endpoint) else { return false }
    members[i].outstanding = max(members[i].outstanding - 1, 0)
    switch kind {
    case .request:
      return false
    case .modelMissing(let model):
      members[i].models.remove(model)
      return false
    case .unavailable:
      members[i].consecutiveFailures += 1
      // The last healthy server is not ejected on request failures alone (as Envoy's outlier detection keeps
      // a floor of hosts): with nowhere else to go, ejecting it only turns slow or failing requests into
      // immediate "no server" failures until the next check. A health check decides instead, at once.
      let othersHealthy = members.indices.contains { $0 != i && members[$0].health == .healthy }
      if members[i].consecutiveFailures >= configuration.failuresBeforeEjection, members[i].health == .healthy,
        othersHealthy
      {
        eject(i, reason: reason, now: now, random: &random)
        return true
      }
      // Check it at once rather than at the next interval.
      if !members[i].probing { members[i].lastProbe = nil }
      return false
    }
  }
}
