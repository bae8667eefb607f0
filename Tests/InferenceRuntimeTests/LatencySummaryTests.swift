import Foundation
import InferenceRuntime
import KServeProtocol
import OffloadTestSupport
import Testing

/// Triton's latency summaries: sliding-window quantiles within their errors, expiry by an injected clock,
/// NaN when empty, the Prometheus text (exact and parsed back, with escaped labels), the registry's
/// reference counting, `--metrics-config` parsing and the runtime's feeding and releasing of series.
@Suite(.timeLimit(.minutes(1))) struct LatencySummaryTests {
  static let defaults = LatencySummaryConfiguration.defaultQuantiles

  @Test func quantilesOfAUniformDistributionAreWithinTheirErrors() {
    let start = ContinuousClock.now
    let summary = SlidingWindowSummary(quantiles: Self.defaults.map(\.quantile), origin: start)
    // 1...10_000 in a scrambled order: the fraction of values <= v is v / 10_000.
    for i in 0..<10_000 { summary.observe(UInt64((i * 7_919) % 10_000 + 1), at: start + .seconds(1)) }
    let snapshot = summary.snapshot(at: start + .seconds(2))
    #expect(snapshot.count == 10_000)
    #expect(snapshot.sum == 50_005_000)
    for (configured, reported) in zip(Self.defaults, snapshot.quantiles) {
      #expect(reported.quantile == configured.quantile)
      let rank = reported.value / 10_000
      #expect(abs(rank - configured.quantile) <= configured.error, "q\(configured.quantile): \(reported.value)")
      #expect(abs(reported.value - configured.quantile * 10_000) <= configured.quantile * 10_000 * 0.001 + 1)
    }
  }

  @Test func quantilesOfASkewedDistribution() {
    let start = ContinuousClock.now
    let summary = SlidingWindowSummary(quantiles: [0.5, 0.9, 0.95, 0.99], origin: start)
    for _ in 0..<900 { summary.observe(100, at: start) }
    for _ in 0..<100 { summary.observe(50_000, at: start) }
    let values = summary.snapshot(at: start + .seconds(1)).quantiles.map(\.value)
    #expect(values[0] == 100)
    #expect(values[1] == 100)
    #expect(abs(values[2] - 50_000) <= 50, "three significant digits")
    #expect(abs(values[3] - 50_000) <= 50)
  }

  @Test func emptyWindowReportsNaN() {
    let summary = SlidingWindowSummary(quantiles: [0.5, 0.99])
    let snapshot = summary.snapshot()
    #expect(snapshot.quantiles.count == 2)
    #expect(snapshot.quantiles.allSatisfy { $0.value.isNaN })
    #expect(snapshot.sum == 0)
    #expect(snapshot.count == 0)
  }

  @Test func oldObservationsLeaveTheWindowButNotTheTotals() {
    let start = ContinuousClock.now
    // 60 s in 5 slots of 12 s.
    let summary = SlidingWindowSummary(quantiles: [0.5, 0.99], maxAge: .seconds(60), ageBuckets: 5, origin: start)
    func quantiles(at seconds: Int) -> [Double] {
      summary.snapshot(at: start + .seconds(seconds)).quantiles.map(\.value)
    }
    summary.observe(1_000, at: start)
    for _ in 0..<3 { summary.observe(10, at: start + .seconds(30)) }
    #expect(quantiles(at: 50) == [10, 1_000])
    #expect(quantiles(at: 59) == [10, 1_000], "kept for at least 48 s (4 of 5 slots)")
    #expect(quantiles(at: 60) == [10, 10], "gone at most 60 s after it was observed")
    #expect(quantiles(at: 95).allSatisfy { $0.isNaN }, "the 30 s observations are gone too")
    let totals = summary.snapshot(at: start + .seconds(95))
    #expect(totals.count == 4)
    #expect(totals.sum == 1_030)
    // The slot of the first observation is reused, cleared, for a new one.
    summary.observe(7, at: start + .seconds(120))
    #expect(quantiles(at: 120) == [7, 7])
    #expect(summary.snapshot(at: start + .seconds(120)).count == 5)
  }

  @Test func seriesLeaveTheOutputWhenTheLastHolderReleasesThem() {
    let registry = LatencySummaryRegistry(configuration: LatencySummaryConfiguration())
    let first = registry.acquire(model: "m", version: "1")
    let second = registry.acquire(model: "m", version: "1")
    #expect(first === second, "a reload shares the series of the version it replaces")
    let none = ComputeTimings(inputNanos: 0, inferNanos: 0, outputNanos: 0)
    first.observe(totalNanos: 1_000, queueNanos: 0, timings: none)
    registry.release(first)
    #expect(registry.series(model: "m", version: "1") === second)
    #expect(registry.heldSeries().map(\.model) == ["m"])
    #expect(registry.heldSeries().first?.summary(.request).snapshot().count == 1)
    registry.release(second)
    #expect(registry.series(model: "m", version: "1") == nil)
    #expect(registry.heldSeries().isEmpty)
    // A stale handle does not remove a newer series.
    let third = registry.acquire(model: "m", version: "1")
    registry.release(first)
    #expect(registry.series(model: "m", version: "1") === third)
  }

  @Test func metricsConfigIsParsedAsTritonsFlag() throws {
    #expect(try LatencySummaryConfiguration(metricsConfig: []) == nil, "off by default")
    #expect(try LatencySummaryConfiguration(metricsConfig: ["summary_quantiles=0.5:0.05"]) == nil)
    #expect(try LatencySummaryConfiguration(metricsConfig: ["summary_latencies=false"]) == nil)
    let defaults = try #require(try LatencySummaryConfiguration(metricsConfig: ["summary_latencies=true"]))
    #expect(defaults.quantiles.map(\.quantile) == [0.5, 0.9, 0.95, 0.99, 0.999])
    #expect(defaults.quantiles.map(\.error) == [0.05, 0.01, 0.001, 0.001, 0.001])
    #expect(defaults.maxAge == .seconds(60))
    #expect(defaults.ageBuckets == 5)
    let custom = try #require(
      try LatencySummaryConfiguration(metricsConfig: [
        "summary_latencies=true", "summary_quantiles=0.5:0.05, 0.9:0.01,0.99:0.001", "summary_max_age_secs=30",
      ]))
    let expected: [LatencySummaryConfiguration.Quantile] = [
      .init(0.5, error: 0.05), .init(0.9, error: 0.01), .init(0.99, error: 0.001),
    ]
    #expect(custom.quantiles == expected)
    #expect(custom.maxAge == .seconds(30))
    for bad in [
      "bogus=1", "summary_latencies", "summary_latencies=yes", "summary_quantiles=", "summary_quantiles=0.5",
      "summary_quantiles=1.5:0.1", "summary_quantiles=0.5:0.05,0.5:0.01", "summary_max_age_secs=0",
      "summary_max_age_secs=soon",
    ] {
      #expect(throws: LatencySummaryConfiguration.MetricsConfigError.self, "\(bad)") {
        try LatencySummaryConfiguration(metricsConfig: ["summary_latencies=true", bad])
      }
    }
    do {
      _ = try LatencySummaryConfiguration(metricsConfig: ["bogus=1"])
      Issue.record("an unknown key is refused")
    } catch {
      #expect("\(error)".contains("summary_latencies, summary_quantiles, summary_max_age_secs"))
    }
  }

  @Test func runtimeFeedsAndReleasesTheSeriesOfEachVersion() async throws {
    let repository = try TemporaryRepository()
    defer { repository.remove() }
    try repository.addModel("pair", config: nil)
    var configuration = RuntimeConfiguration(repositories: [repository.root], maxRequestBytes: 100)
    configuration.latencySummaries = LatencySummaryConfiguration()
    let runtime = ModelRuntime(
      configuration: configuration, backends: BackendRegistry([FakeBackend(.pair)]), logger: ModelRuntimeTests.logger)
    try await runtime.loadAll()
    let registry = try #require(runtime.latencySummaries)
    for _ in 0..<3 { _ = try await runtime.infer(ModelRuntimeTests.pairRequest()) }
    let series = try #require(registry.series(model: "pair", version: "1"))
    #expect(series.summary(.request).snapshot().count == 3)
    #expect(series.summary(.computeInfer).snapshot().count == 3)
    // A reload keeps the series (and its totals), as the nv_* counters do.
    try await runtime.load(modelNamed: "pair")
    #expect(registry.series(model: "pair", version: "1") === series)
    _ = try await runtime.infer(ModelRuntimeTests.pairRequest())
    #expect(series.summary(.request).snapshot().count == 4)
    // Unloading removes it from /metrics.
    try await runtime.unload(modelNamed: "pair")
    #expect(registry.series(model: "pair", version: "1") == nil)
    #expect(registry.heldSeries().isEmpty)
  }

  @Test func runtimeWithoutSummariesHasNoRegistry() {
    let runtime = ModelRuntime(
      configuration: RuntimeConfiguration(repositories: []), backends: BackendRegistry([FakeBackend(.pair)]),
      logger: ModelRuntimeTests.logger)
    #expect(runtime.latencySummaries == nil)
  }
}
