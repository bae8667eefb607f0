import OffloadClient
import Testing

/// The pool's state machine driven by hand: time is a plain nanosecond counter the tests advance and
/// randomness comes from ``SeededGenerator``, so nothing sleeps and every run is the same.
@Suite(.timeLimit(.minutes(1))) struct ServerPoolStateMachineTests {
  typealias Machine = ServerPoolStateMachine

  static let ms: UInt64 = 1_000_000
  static let interval: UInt64 = 1_000 * ms
  static let base: UInt64 = 100 * ms
  static let cap: UInt64 = 1_500 * ms

  static let a = ServerEndpoint(host: "a", port: 8001)
  static let b = ServerEndpoint(host: "b", port: 8001)
  static let c = ServerEndpoint(host: "c", port: 8001)

  /// Health check every second, ejection 100 ms doubling up to 1.5 s, no jitter unless asked, three
  /// failures before ejection, queue-time smoothing 0.5 (exact in binary).
  static func configuration(_ policy: LoadBalancingPolicy = .roundRobin, jitter: Double = 0) -> Machine.Configuration {
    Machine.Configuration(
      policy: policy, healthCheckIntervalNanos: interval, ejectionBaseNanos: base, ejectionMaxNanos: cap,
      ejectionJitter: jitter, failuresBeforeEjection: 3, queueTimeSmoothing: 0.5)
  }

  /// A pool of `endpoints` whose first health round (at `now`) passed, every server reporting `models`.
  static func healthyPool(
    _ endpoints: [ServerEndpoint], models: Set<String> = ["m"], policy: LoadBalancingPolicy = .roundRobin,
    now: UInt64 = 0
  ) -> Machine {
    var pool = Machine(configuration: configuration(policy))
    pool.setEndpoints(endpoints)
    for endpoint in pool.startDueProbes(now: now) { pool.probeSucceeded(endpoint, models: models, now: now) }
    return pool
  }

  /// `count` picks of `model`, each finished successfully at once (so nothing stays in flight).
  static func finishedPicks(
    _ count: Int, from pool: inout Machine, model: String = "m", excluding: Set<ServerEndpoint> = [],
    random: inout SeededGenerator
  ) -> [ServerEndpoint?] {
    var result: [ServerEndpoint?] = []
    for _ in 0..<count {
      let chosen = pool.pick(model: model, excluding: excluding, random: &random)
      if let chosen { pool.requestSucceeded(chosen, queueNanos: nil) }
      result.append(chosen)
    }
    return result
  }

  // MARK: Membership and the first round

  @Test func newServersAreUnknownAndReceiveNoRequests() {
    var pool = Machine(configuration: Self.configuration())
    var random = SeededGenerator(seed: 1)
    let change = pool.setEndpoints([Self.b, Self.a])
    #expect(change.added == [Self.a, Self.b])
    #expect(change.removed.isEmpty)
    #expect(pool.members.map(\.endpoint) == [Self.a, Self.b])
    #expect(pool.members.map(\.health) == [.unknown, .unknown])
    #expect(pool.candidates(for: "m").isEmpty)
    #expect(pool.pick(model: "m", random: &random) == nil)
  }

  @Test func duplicateEndpointsMakeOneMember() {
    var pool = Machine(configuration: Self.configuration())
    pool.setEndpoints([Self.a, Self.a, Self.b])
    #expect(pool.members.map(\.endpoint) == [Self.a, Self.b])
  }

  @Test func firstRoundProbesEveryUnknownServerOnceAndNotAgainWhileProbing() {
    var pool = Machine(configuration: Self.configuration())
    pool.setEndpoints([Self.a, Self.b])
    #expect(pool.startDueProbes(now: 0) == [Self.a, Self.b])
    #expect(pool.members.allSatisfy { $0.probing })
    #expect(pool.startDueProbes(now: 0).isEmpty)
    #expect(pool.startDueProbes(now: 10 * Self.interval).isEmpty)
    #expect(pool.nextProbeTime() == nil)
    // A server that joins during the round is probed on its own.
    pool.setEndpoints([Self.a, Self.b, Self.c])
    #expect(pool.startDueProbes(now: 1) == [Self.c])
  }

  @Test func aPassedProbeMakesTheServerHealthyForTheModelsItReported() throws {
    var pool = Machine(configuration: Self.configuration())
    var random = SeededGenerator(seed: 2)
    pool.setEndpoints([Self.a, Self.b])
    #expect(pool.startDueProbes(now: 0) == [Self.a, Self.b])
    pool.probeSucceeded(Self.a, models: ["m1"], now: 0)
    pool.probeSucceeded(Self.b, models: ["m1", "m2"], now: 0)
    #expect(pool.member(Self.a)?.health == .healthy)
    #expect(pool.member(Self.a)?.probing == false)
    #expect(pool.member(Self.b)?.models == ["m1", "m2"])
    #expect(pool.candidates(for: "m1") == [Self.a, Self.b])
    #expect(pool.candidates(for: "m2") == [Self.b])
    #expect(pool.candidates(for: "other").isEmpty)
    let picks = Self.finishedPicks(6, from: &pool, model: "m2", random: &random)
    #expect(picks.allSatisfy { $0 == Self.b })
    #expect(pool.pick(model: "other", random: &random) == nil)
  }

  @Test func aLaterProbeReplacesTheModelSet() {
    var pool = Self.healthyPool([Self.a], models: ["m"])
    #expect(pool.startDueProbes(now: Self.interval) == [Self.a])
    pool.probeSucceeded(Self.a, models: ["n"], now: Self.interval)
    #expect(pool.candidates(for: "m").isEmpty)
    #expect(pool.candidates(for: "n") == [Self.a])
  }

  @Test func healthyServersAreCheckedOncePerInterval() {
    var pool = Self.healthyPool([Self.a, Self.b])
    #expect(pool.nextProbeTime() == Self.interval)
    #expect(pool.startDueProbes(now: Self.interval - 1).isEmpty)
    #expect(pool.startDueProbes(now: Self.interval) == [Self.a, Self.b])
  }

  @Test func newMembershipKeepsKnownServersAndDropsRemovedOnes() throws {
    var pool = Self.healthyPool([Self.a, Self.b])
    var random = SeededGenerator(seed: 3)
    #expect(pool.pick(model: "m", excluding: [Self.b], random: &random) == Self.a)  // stays in flight
    let change = pool.setEndpoints([Self.c, Self.a])
    #expect(change.added == [Self.c])
    #expect(change.removed == [Self.b])
    #expect(pool.members.map(\.endpoint) == [Self.a, Self.c])
    let kept = try #require(pool.member(Self.a))
    #expect(kept.health == .healthy)
    #expect(kept.models == ["m"])
    #expect(kept.outstanding == 1)
    #expect(pool.member(Self.b) == nil)
    #expect(pool.member(Self.c)?.health == .unknown)
    #expect(pool.candidates(for: "m") == [Self.a])
    // Reports about a server that left are ignored.
    pool.requestSucceeded(Self.b, queueNanos: 5)
    #expect(pool.member(Self.b) == nil)
    // The same list again changes nothing; a server that comes back starts over.
    let same = pool.setEndpoints([Self.a, Self.c])
    #expect(same.added.isEmpty && same.removed.isEmpty)
    pool.setEndpoints([Self.a, Self.b, Self.c])
    #expect(pool.member(Self.b)?.health == .unknown)
    #expect(pool.member(Self.b)?.models.isEmpty == true)
  }

  @Test func discoveryIsCompleteOnceEveryServerWasChecked() {
    var pool = Machine(configuration: Self.configuration())
    var random = SeededGenerator(seed: 4)
    pool.setEndpoints([Self.a, Self.b])
    #expect(!pool.discoveryComplete)
    _ = pool.startDueProbes(now: 0)
    #expect(!pool.discoveryComplete)  // probing is not checked yet
    pool.probeSucceeded(Self.a, models: ["m"], now: 0)
    #expect(!pool.discoveryComplete)
    pool.probeFailed(Self.b, reason: "connection refused", now: 0, random: &random)
    #expect(pool.discoveryComplete)  // a failed check counts as checked
    pool.setEndpoints([Self.a, Self.b, Self.c])
    #expect(!pool.discoveryComplete)
  }

  @Test func nextProbeTimeIsTheEarliestDueCheck() {
    var pool = Machine(configuration: Self.configuration())
    var random = SeededGenerator(seed: 5)
    #expect(pool.nextProbeTime() == nil)
    pool.setEndpoints([Self.a, Self.b])
    #expect(pool.nextProbeTime() == 0)  // never checked: due now
    _ = pool.startDueProbes(now: 10)
    #expect(pool.nextProbeTime() == nil)  // both probing
    pool.probeSucceeded(Self.a, models: ["m"], now: 10)
    #expect(pool.nextProbeTime() == 10 + Self.interval)
    pool.probeFailed(Self.b, reason: "down", now: 20, random: &random)
    #expect(pool.nextProbeTime() == 20 + Self.base)
    #expect(pool.startDueProbes(now: 20 + Self.base) == [Self.b])
    #expect(pool.nextProbeTime() == 10 + Self.interval)
  }

  // MARK: Policies

  @Test func roundRobinTakesEachServerInTurn() {
    var pool = Self.healthyPool([Self.c, Self.a, Self.b], policy: .roundRobin)
    var random = SeededGenerator(seed: 6)
    let picks = Self.finishedPicks(7, from: &pool, random: &random)
    #expect(picks == [Self.a, Self.b, Self.c, Self.a, Self.b, Self.c, Self.a])
    #expect(pool.members.allSatisfy { $0.outstanding == 0 })
  }

  @Test func roundRobinKeepsATurnPerModel() {
    var pool = Self.healthyPool([Self.a, Self.b], models: ["m", "n"], policy: .roundRobin)
    var random = SeededGenerator(seed: 7)
    #expect(Self.finishedPicks(1, from: &pool, model: "m", random: &random) == [Self.a])
    #expect(Self.finishedPicks(1, from: &pool, model: "n", random: &random) == [Self.a])
    #expect(Self.finishedPicks(1, from: &pool, model: "m", random: &random) == [Self.b])
  }

  @Test func leastOutstandingPicksTheServerWithFewerRequestsInFlight() throws {
    var pool = Self.healthyPool([Self.a, Self.b], policy: .leastOutstanding)
    var random = SeededGenerator(seed: 8)
    // Four picks that all stay in flight spread two and two.
    var first: [ServerEndpoint] = []
    for _ in 0..<4 { first.append(try #require(pool.pick(model: "m", random: &random))) }
    #expect(first.filter { $0 == Self.a }.count == 2)
    #expect(pool.member(Self.a)?.outstanding == 2)
    #expect(pool.member(Self.b)?.outstanding == 2)
    // Two of b's finish: b has fewer in flight and gets the next two, whoever's turn it is.
    pool.requestSucceeded(Self.b, queueNanos: nil)
    pool.requestSucceeded(Self.b, queueNanos: nil)
    #expect(pool.member(Self.b)?.outstanding == 0)
    #expect(pool.pick(model: "m", random: &random) == Self.b)
    #expect(pool.pick(model: "m", random: &random) == Self.b)
    #expect(pool.member(Self.a)?.outstanding == 2)
    #expect(pool.member(Self.b)?.outstanding == 2)
  }

  @Test func leastOutstandingNeverChoosesABusierServer() throws {
    var pool = Self.healthyPool([Self.a, Self.b, Self.c], policy: .leastOutstanding)
    var random = SeededGenerator(seed: 9)
    var inFlight: [ServerEndpoint] = []
    for _ in 0..<300 {
      if !inFlight.isEmpty, Bool.random(using: &random) {
        let i = Int.random(in: inFlight.indices, using: &random)
        pool.requestSucceeded(inFlight.remove(at: i), queueNanos: nil)
      } else {
        let fewest = try #require(pool.members.map(\.outstanding).min())
        let chosen = try #require(pool.pick(model: "m", random: &random))
        #expect(pool.member(chosen)?.outstanding == fewest + 1)
        inFlight.append(chosen)
      }
    }
    #expect(pool.members.map(\.outstanding).reduce(0, +) == inFlight.count)
  }

  @Test(arguments: [true, false])
  func powerOfTwoChoicesPrefersTheServerReportingShorterQueues(fastIsA: Bool) throws {
    let (fast, slow) = fastIsA ? (Self.a, Self.b) : (Self.b, Self.a)
    let fastQueue: UInt64 = 100_000  // 0.1 ms
    let slowQueue: UInt64 = 50_000_000  // 50 ms
    var pool = Self.healthyPool([Self.a, Self.b], policy: .powerOfTwoChoices)
    var random = SeededGenerator(seed: 10)
    // One finished request apiece tells the pool each server's queue time.
    #expect(pool.pick(model: "m", excluding: [slow], random: &random) == fast)
    pool.requestSucceeded(fast, queueNanos: fastQueue)
    #expect(pool.pick(model: "m", excluding: [fast], random: &random) == slow)
    pool.requestSucceeded(slow, queueNanos: slowQueue)
    #expect(pool.member(fast)?.queueNanos == Double(fastQueue))
    #expect(pool.member(slow)?.queueNanos == Double(slowQueue))

    var counts: [ServerEndpoint: Int] = [:]
    for _ in 0..<200 {
      let chosen = try #require(pool.pick(model: "m", random: &random))
      counts[chosen, default: 0] += 1
      pool.requestSucceeded(chosen, queueNanos: chosen == fast ? fastQueue : slowQueue)
    }
    #expect(counts[fast, default: 0] + counts[slow, default: 0] == 200)
    #expect(counts[fast, default: 0] > 150)
    #expect(pool.members.allSatisfy { $0.outstanding == 0 })
  }

  @Test func powerOfTwoChoicesSplitsEvenlyBetweenEqualServers() throws {
    var pool = Self.healthyPool([Self.a, Self.b], policy: .powerOfTwoChoices)
    var random = SeededGenerator(seed: 11)
    var counts: [ServerEndpoint: Int] = [:]
    for _ in 0..<200 {
      let chosen = try #require(pool.pick(model: "m", random: &random))
      counts[chosen, default: 0] += 1
      pool.requestSucceeded(chosen, queueNanos: 1_000_000)
    }
    #expect(counts[Self.a, default: 0] > 50)
    #expect(counts[Self.b, default: 0] > 50)
  }

  @Test func powerOfTwoChoicesWithoutReportsBalancesRequestsInFlight() throws {
    var pool = Self.healthyPool([Self.a, Self.b], policy: .powerOfTwoChoices)
    var random = SeededGenerator(seed: 12)
    for _ in 0..<101 { _ = try #require(pool.pick(model: "m", random: &random)) }
    let a = try #require(pool.member(Self.a)?.outstanding)
    let b = try #require(pool.member(Self.b)?.outstanding)
    #expect(a + b == 101)
    #expect(abs(a - b) <= 1)
  }

  // MARK: Retries

  @Test(arguments: LoadBalancingPolicy.allCases)
  func retriesGoToServersNotTriedYet(_ policy: LoadBalancingPolicy) throws {
    var pool = Self.healthyPool([Self.a, Self.b, Self.c], policy: policy)
    var random = SeededGenerator(seed: 13)
    let withoutA = Self.finishedPicks(30, from: &pool, excluding: [Self.a], random: &random)
    #expect(withoutA.allSatisfy { $0 != nil && $0 != Self.a })
    #expect(Set(withoutA) == [Self.b, Self.c])
    let onlyB = Self.finishedPicks(10, from: &pool, excluding: [Self.a, Self.c], random: &random)
    #expect(onlyB.allSatisfy { $0 == Self.b })
  }

  @Test(arguments: LoadBalancingPolicy.allCases)
  func whenEveryHolderWasTriedOneOfThemIsStillChosen(_ policy: LoadBalancingPolicy) throws {
    var pool = Machine(configuration: Self.configuration(policy))
    var random = SeededGenerator(seed: 14)
    pool.setEndpoints([Self.a, Self.b, Self.c])
    _ = pool.startDueProbes(now: 0)
    pool.probeSucceeded(Self.a, models: ["m"], now: 0)
    pool.probeSucceeded(Self.b, models: ["m"], now: 0)
    pool.probeSucceeded(Self.c, models: ["other"], now: 0)
    let picks = Self.finishedPicks(10, from: &pool, excluding: [Self.a, Self.b], random: &random)
    #expect(picks.allSatisfy { $0 == Self.a || $0 == Self.b })
    #expect(pool.pick(model: "missing", excluding: [Self.a], random: &random) == nil)
  }

  // MARK: Ejection

  @Test func consecutiveFailedProbesDoubleTheEjectionUpToTheCap() throws {
    var pool = Machine(configuration: Self.configuration())
    var random = SeededGenerator(seed: 15)
    pool.setEndpoints([Self.a])
    var now: UInt64 = 0
    var periods: [UInt64] = []
    for _ in 0..<6 {
      #expect(pool.startDueProbes(now: now) == [Self.a])
      pool.probeFailed(Self.a, reason: "connection refused", now: now, random: &random)
      guard case .ejected(let until)? = pool.member(Self.a)?.health else {
        Issue.record("not ejected: \(String(describing: pool.member(Self.a)))")
        return
      }
      periods.append(until - now)
      now = until
    }
    #expect(periods == [100, 200, 400, 800, 1_500, 1_500].map { $0 * Self.ms })
    #expect(pool.member(Self.a)?.ejections == 6)
    #expect(pool.member(Self.a)?.lastError == "connection refused")
    #expect(pool.member(Self.a)?.probing == false)
  }

  @Test func ejectionPeriodWithoutJitterIsExact() {
    let pool = Machine(configuration: Self.configuration())
    var random = SeededGenerator(seed: 16)
    #expect(pool.ejectionPeriod(after: 0, random: &random) == Self.base)
    #expect(pool.ejectionPeriod(after: 1, random: &random) == 2 * Self.base)
    #expect(pool.ejectionPeriod(after: 3, random: &random) == 8 * Self.base)
    #expect(pool.ejectionPeriod(after: 4, random: &random) == Self.cap)
    #expect(pool.ejectionPeriod(after: 1_000, random: &random) == Self.cap)
  }

  @Test func jitteredEjectionPeriodsStayWithinTheirBounds() {
    let jitter = 0.2
    let pool = Machine(configuration: Self.configuration(jitter: jitter))
    var random = SeededGenerator(seed: 17)
    for ejections in 0..<7 {
      let nominal = min(Double(Self.base) * Double(1 << ejections), Double(Self.cap))
      let samples = (0..<500).map { _ in Double(pool.ejectionPeriod(after: ejections, random: &random)) }
      let low = samples.min()!
      let high = samples.max()!
      #expect(low >= nominal * (1 - jitter) - 1, "after \(ejections) ejections")
      #expect(high <= nominal * (1 + jitter), "after \(ejections) ejections")
      #expect(high - low > nominal * jitter, "jitter is applied after \(ejections) ejections")
    }
  }

  @Test func jitteredProbeFailuresEjectForAboutTheBaseThenAboutTwice() throws {
    let jitter = 0.2
    for seed in UInt64(1)...20 {
      var pool = Machine(configuration: Self.configuration(jitter: jitter))
      var random = SeededGenerator(seed: seed)
      pool.setEndpoints([Self.a])
      _ = pool.startDueProbes(now: 0)
      pool.probeFailed(Self.a, reason: "down", now: 0, random: &random)
      guard case .ejected(let first)? = pool.member(Self.a)?.health else {
        Issue.record("not ejected")
        return
      }
      #expect(Double(first) >= Double(Self.base) * (1 - jitter) - 1)
      #expect(Double(first) <= Double(Self.base) * (1 + jitter))
      #expect(pool.startDueProbes(now: first) == [Self.a])
      pool.probeFailed(Self.a, reason: "down", now: first, random: &random)
      guard case .ejected(let second)? = pool.member(Self.a)?.health else {
        Issue.record("not ejected again")
        return
      }
      let period = Double(second - first)
      #expect(period >= 2 * Double(Self.base) * (1 - jitter) - 1)
      #expect(period <= 2 * Double(Self.base) * (1 + jitter))
    }
  }

  @Test func ejectedServerIsNeitherUsedNorCheckedBeforeItsTimeThenReadmitted() throws {
    var pool = Self.healthyPool([Self.a, Self.b])
    var random = SeededGenerator(seed: 18)
    let t0 = Self.interval
    #expect(pool.startDueProbes(now: t0) == [Self.a, Self.b])
    pool.probeFailed(Self.a, reason: "down", now: t0, random: &random)
    pool.probeSucceeded(Self.b, models: ["m"], now: t0)
    let until = t0 + Self.base
    #expect(pool.member(Self.a)?.health == .ejected(until: until))
    #expect(pool.member(Self.a)?.ejections == 1)
    #expect(pool.member(Self.a)?.lastError == "down")
    #expect(pool.candidates(for: "m") == [Self.b])
    #expect(Self.finishedPicks(10, from: &pool, random: &random).allSatisfy { $0 == Self.b })

    #expect(pool.nextProbeTime() == until)
    #expect(pool.startDueProbes(now: until - 1).isEmpty)
    #expect(pool.startDueProbes(now: until) == [Self.a])
    pool.probeSucceeded(Self.a, models: ["m"], now: until)
    #expect(pool.member(Self.a)?.health == .healthy)
    #expect(pool.member(Self.a)?.ejections == 0)
    #expect(pool.member(Self.a)?.lastError == nil)
    #expect(Set(Self.finishedPicks(2, from: &pool, random: &random)) == [Self.a, Self.b])

    // The backoff starts over: the next ejection is the base period again, not twice it.
    pool.probeFailed(Self.a, reason: "down again", now: until, random: &random)
    #expect(pool.member(Self.a)?.health == .ejected(until: until + Self.base))
  }

  @Test func repeatedUnavailableFailuresEjectTheServer() {
    var pool = Self.healthyPool([Self.a, Self.b])
    var random = SeededGenerator(seed: 19)
    let now = 5 * Self.ms
    #expect(!pool.requestFailed(Self.a, kind: .unavailable, reason: "r1", now: now, random: &random))
    #expect(!pool.requestFailed(Self.a, kind: .unavailable, reason: "r2", now: now, random: &random))
    #expect(pool.member(Self.a)?.consecutiveFailures == 2)
    #expect(pool.member(Self.a)?.health == .healthy)
    #expect(pool.requestFailed(Self.a, kind: .unavailable, reason: "r3", now: now, random: &random))
    #expect(pool.member(Self.a)?.health == .ejected(until: now + Self.base))
    #expect(pool.member(Self.a)?.lastError == "r3")
    #expect(pool.member(Self.a)?.consecutiveFailures == 0)
    #expect(pool.candidates(for: "m") == [Self.b])
  }

  @Test func aSuccessBetweenFailuresResetsTheCount() {
    var pool = Self.healthyPool([Self.a, Self.b])
    var random = SeededGenerator(seed: 20)
    #expect(!pool.requestFailed(Self.a, kind: .unavailable, reason: "r", now: 1, random: &random))
    #expect(!pool.requestFailed(Self.a, kind: .unavailable, reason: "r", now: 2, random: &random))
    pool.requestSucceeded(Self.a, queueNanos: nil)
    #expect(pool.member(Self.a)?.consecutiveFailures == 0)
    #expect(!pool.requestFailed(Self.a, kind: .unavailable, reason: "r", now: 3, random: &random))
    #expect(!pool.requestFailed(Self.a, kind: .unavailable, reason: "r", now: 4, random: &random))
    #expect(pool.member(Self.a)?.health == .healthy)
    #expect(pool.requestFailed(Self.a, kind: .unavailable, reason: "r", now: 5, random: &random))
  }

  @Test func theLastHealthyServerIsNotEjectedByRequestFailuresOnlyByItsCheck() {
    var pool = Self.healthyPool([Self.a, Self.b])
    var random = SeededGenerator(seed: 24)
    for _ in 0..<3 { pool.requestFailed(Self.a, kind: .unavailable, reason: "r", now: 1, random: &random) }
    #expect(pool.member(Self.a)?.health == .ejected(until: 1 + Self.base))
    // b is now the only healthy server: failures keep it in the pool and ask for a check at once.
    for n in 0..<10 {
      #expect(!pool.requestFailed(Self.b, kind: .unavailable, reason: "r\(n)", now: 2, random: &random))
    }
    #expect(pool.member(Self.b)?.health == .healthy)
    #expect(pool.candidates(for: "m") == [Self.b])
    #expect(pool.startDueProbes(now: 2) == [Self.b])
    // The check decides.
    pool.probeFailed(Self.b, reason: "refused", now: 3, random: &random)
    #expect(pool.member(Self.b)?.health == .ejected(until: 3 + Self.base))
    #expect(pool.pick(model: "m", random: &random) == nil)
  }

  @Test func anUnavailableFailureAsksForAHealthCheckAtOnce() {
    var pool = Self.healthyPool([Self.a, Self.b])  // checked at 0; next check due after the interval
    var random = SeededGenerator(seed: 21)
    let now = 5 * Self.ms
    #expect(pool.startDueProbes(now: now).isEmpty)
    pool.requestFailed(Self.a, kind: .unavailable, reason: "unavailable", now: now, random: &random)
    #expect((pool.nextProbeTime() ?? UInt64.max) <= now)
    #expect(pool.startDueProbes(now: now) == [Self.a])
  }

  @Test func failuresOfRequestsStillInFlightDoNotExtendAnEjection() {
    var pool = Self.healthyPool([Self.a, Self.b])
    var random = SeededGenerator(seed: 22)
    for _ in 0..<3 { pool.requestFailed(Self.a, kind: .unavailable, reason: "r", now: 0, random: &random) }
    #expect(pool.member(Self.a)?.health == .ejected(until: Self.base))
    for _ in 0..<5 {
      #expect(!pool.requestFailed(Self.a, kind: .unavailable, reason: "late", now: 10, random: &random))
    }
    #expect(pool.member(Self.a)?.health == .ejected(until: Self.base))
    #expect(pool.member(Self.a)?.ejections == 1)
  }

  @Test func aMissingModelIsNoLongerSentThereButTheServerStaysHealthy() throws {
    var pool = Self.healthyPool([Self.a, Self.b], models: ["m", "n"])
    var random = SeededGenerator(seed: 23)
    let chosen = try #require(pool.pick(model: "m", excluding: [Self.b], random: &random))
    #expect(chosen == Self.a)
    #expect(!pool.requestFailed(Self.a, kind: .modelMissing("m"), reason: "not found", now: 1, random: &random))
    #expect(pool.member(Self.a)?.outstanding == 0)
    #expect(pool.member(Self.a)?.health == .healthy)
    #expect(pool.member(Self.a)?.consecutiveFailures == 0)
    #expect(pool.member(Self.a)?.models == ["n"])
    #expect(pool.candidates(for: "m") == [Self.b])
    #expect(pool.candidates(for: "n") == [Self.a, Self.b])
    #expect(Self.finishedPicks(4, from: &pool, model: "m", random: &random).allSatisfy { $0 == Self.b })
    // The next check restores what the server reports.
    _ = pool.startDueProbes(now: Self.interval)
    pool.probeSucceeded(Self.a, models: ["m", "n"], now: Self.interval)
    #expect(pool.candidates(for: "m") == [Self.a, Self.b])
  }

  @Test func aFailureOfTheRequestItselfSaysNothingAboutTheServer() throws {
    var pool = Self.healthyPool([Self.a])
    var random = SeededGenerator(seed: 24)
    for step in 0..<10 {
      let chosen = try #require(pool.pick(model: "m", random: &random))
      #expect(pool.member(chosen)?.outstanding == 1)
      #expect(!pool.requestFailed(chosen, kind: .request, reason: "bad input", now: UInt64(step), random: &random))
      #expect(pool.member(chosen)?.outstanding == 0)
    }
    let member = try #require(pool.member(Self.a))
    #expect(member.health == .healthy)
    #expect(member.consecutiveFailures == 0)
    #expect(member.models == ["m"])
    #expect(member.lastError == nil)
    #expect(pool.startDueProbes(now: 10).isEmpty)  // no early health check either
  }

  // MARK: Queue times and configuration

  @Test func reportedQueueTimeIsSmoothedAndFadesAtEachHealthCheck() {
    var pool = Self.healthyPool([Self.a])  // smoothing 0.5
    #expect(pool.member(Self.a)?.queueNanos == nil)
    pool.requestSucceeded(Self.a, queueNanos: 1_000)
    #expect(pool.member(Self.a)?.queueNanos == 1_000)
    pool.requestSucceeded(Self.a, queueNanos: 3_000)
    #expect(pool.member(Self.a)?.queueNanos == 2_000)
    pool.requestSucceeded(Self.a, queueNanos: nil)
    #expect(pool.member(Self.a)?.queueNanos == 2_000)
    _ = pool.startDueProbes(now: Self.interval)
    pool.probeSucceeded(Self.a, models: ["m"], now: Self.interval)
    #expect(pool.member(Self.a)?.queueNanos == 1_000)
  }

  @Test func outstandingNeverGoesBelowZero() {
    var pool = Self.healthyPool([Self.a])
    var random = SeededGenerator(seed: 25)
    pool.requestSucceeded(Self.a, queueNanos: nil)
    pool.requestFailed(Self.a, kind: .request, reason: "r", now: 0, random: &random)
    #expect(pool.member(Self.a)?.outstanding == 0)
  }

  @Test func configurationClampsOutOfRangeValues() {
    let configuration = Machine.Configuration(ejectionJitter: 5, failuresBeforeEjection: 0, queueTimeSmoothing: 0)
    #expect(configuration.ejectionJitter == 1)
    #expect(configuration.failuresBeforeEjection == 1)
    #expect(configuration.queueTimeSmoothing > 0)
    #expect(Machine.Configuration(ejectionJitter: -1).ejectionJitter == 0)
    #expect(Machine.Configuration(queueTimeSmoothing: 7).queueTimeSmoothing == 1)
  }

  @Test func policiesParseFromTheirNames() {
    #expect(LoadBalancingPolicy(rawValue: "round-robin") == .roundRobin)
    #expect(LoadBalancingPolicy(rawValue: "least-outstanding") == .leastOutstanding)
    #expect(LoadBalancingPolicy(rawValue: "p2c") == .powerOfTwoChoices)
    #expect(LoadBalancingPolicy(rawValue: "random") == nil)
  }
}
