import Foundation
import KServeProtocol
import OffloadBench
import Testing

@Suite(.timeLimit(.minutes(1))) struct StabilityRuleTests {
  typealias S = StabilityRule.Sample

  @Test func needsEnoughWindows() {
    let rule = StabilityRule(percentage: 10, windows: 3, maxTrials: 10)
    #expect(!rule.isStable([S(throughput: 100, latencyMicros: 10), S(throughput: 100, latencyMicros: 10)]))
    #expect(
      rule.isStable([
        S(throughput: 100, latencyMicros: 10), S(throughput: 100, latencyMicros: 10),
        S(throughput: 100, latencyMicros: 10),
      ]))
  }

  @Test func throughputSpreadBeyondThePercentageIsUnstable() {
    let rule = StabilityRule(percentage: 10, windows: 3, maxTrials: 10)
    // Mean 100: 89 is 11 % off.
    #expect(
      !rule.isStable([
        S(throughput: 89, latencyMicros: 10), S(throughput: 105, latencyMicros: 10),
        S(throughput: 106, latencyMicros: 10),
      ]))
    #expect(
      rule.isStable([
        S(throughput: 92, latencyMicros: 10), S(throughput: 104, latencyMicros: 10),
        S(throughput: 104, latencyMicros: 10),
      ]))
  }

  @Test func latencySpreadAlsoCounts() {
    let rule = StabilityRule(percentage: 5, windows: 3, maxTrials: 10)
    #expect(
      !rule.isStable([
        S(throughput: 100, latencyMicros: 100), S(throughput: 100, latencyMicros: 100),
        S(throughput: 100, latencyMicros: 120),
      ]))
  }

  @Test func onlyTheLastWindowsMatter() {
    let rule = StabilityRule(percentage: 10, windows: 3, maxTrials: 10)
    let warmingUp = [S(throughput: 10, latencyMicros: 900)]
    let steady = Array(repeating: S(throughput: 100, latencyMicros: 50), count: 3)
    #expect(rule.isStable(warmingUp + steady))
    #expect(rule.decision(after: warmingUp + steady) == .stable)
  }

  @Test func outOfTrialsIsReportedUnstable() {
    let rule = StabilityRule(percentage: 1, windows: 3, maxTrials: 4)
    let noisy = [100.0, 150, 80, 130].map { S(throughput: $0, latencyMicros: 10) }
    #expect(rule.decision(after: Array(noisy.prefix(3))) == .measureAgain)
    #expect(rule.decision(after: noisy) == .unstable)
  }

  @Test func allZeroIsStableButZeroMeanWithSpreadIsNot() {
    let rule = StabilityRule(percentage: 10, windows: 2, maxTrials: 5)
    #expect(rule.isStable([S(throughput: 0, latencyMicros: 0), S(throughput: 0, latencyMicros: 0)]))
  }
}

@Suite(.timeLimit(.minutes(1))) struct LatencyRecorderTests {
  /// Percentiles from the HDR histogram agree with the exact order statistics within its precision.
  @Test func percentilesMatchExactOrderStatistics() {
    var random = SeededGenerator(seed: 42)
    let recorder = LatencyRecorder()
    var values: [UInt64] = []
    for _ in 0..<20_000 {
      // Log-normal-ish latencies between ~50 µs and ~50 ms, in ns.
      let v = UInt64(50_000 * pow(10, Double.random(in: 0..<3, using: &random)))
      values.append(v)
      recorder.record(nanoseconds: v)
    }
    values.sort()
    let summary = recorder.summary()
    #expect(summary.count == 20_000)
    for (p, measured) in [(50.0, summary.p50), (90, summary.p90), (95, summary.p95), (99, summary.p99)] {
      let exact = Double(values[Int((p / 100 * Double(values.count)).rounded(.up)) - 1]) / 1000
      #expect(abs(measured - exact) / exact < 0.002, "p\(p): \(measured) vs exact \(exact)")
    }
    #expect(abs(summary.max - Double(values.last!) / 1000) / (Double(values.last!) / 1000) < 0.002)
    let mean = Double(values.reduce(0, +)) / Double(values.count) / 1000
    #expect(abs(summary.mean - mean) / mean < 0.002)
  }

  @Test func errorsAreCountedByStatus() {
    let recorder = LatencyRecorder()
    recorder.recordError("UNAVAILABLE")
    recorder.recordError("UNAVAILABLE")
    recorder.recordError("DEADLINE_EXCEEDED")
    recorder.record(nanoseconds: 1_000)
    let summary = recorder.summary()
    #expect(summary.errors == ["UNAVAILABLE": 2, "DEADLINE_EXCEEDED": 1])
    #expect(summary.count == 1)
  }

  @Test func emptyWindowReportsZeros() {
    let summary = LatencyRecorder().summary()
    #expect(summary.count == 0 && summary.p99 == 0 && summary.max == 0)
  }
}

@Suite(.timeLimit(.minutes(1))) struct SweepAndScheduleTests {
  @Test func rangesParseAsPerfAnalyzerDoes() throws {
    #expect(try SweepRange<Int>(parsing: "4").points == [4])
    #expect(try SweepRange<Int>(parsing: "1:4").points == [1, 2, 3, 4])
    #expect(try SweepRange<Int>(parsing: "1:16:4").points == [1, 5, 9, 13])
    #expect(try SweepRange<Double>(parsing: "100:300:100").points == [100, 200, 300])
    for bad in ["", "0", "4:2", "1:4:0", "a:b", "1:2:3:4"] {
      #expect(throws: InferenceError.self, "\(bad)") { try SweepRange<Int>(parsing: bad) }
    }
  }

  @Test func constantArrivalsAreEvenlySpaced() {
    var random = SeededGenerator(seed: 1)
    let times = ArrivalSchedule(rate: 1000, distribution: .constant).arrivals(
      durationNanos: 10_000_000, random: &random)
    #expect(times.count == 9)  // at 1, 2, …, 9 ms (10 ms is the window's end)
    #expect(zip(times, times.dropFirst()).allSatisfy { $1 - $0 == 1_000_000 })
  }

  @Test func poissonArrivalsHaveTheRequestedRateAndExponentialGaps() {
    var random = SeededGenerator(seed: 7)
    let schedule = ArrivalSchedule(rate: 10_000, distribution: .poisson)
    let gaps = (0..<50_000).map { _ in Double(schedule.nextGapNanos(random: &random)) }
    let mean = gaps.reduce(0, +) / Double(gaps.count)
    #expect(abs(mean - 100_000) / 100_000 < 0.02, "mean gap \(mean) ns")
    // Exponential: the standard deviation equals the mean; a constant schedule would have none.
    let sd = (gaps.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(gaps.count)).squareRoot()
    #expect(abs(sd - mean) / mean < 0.05, "sd \(sd) vs mean \(mean)")
    // Memorylessness check: P(gap > mean) ≈ e^-1.
    let above = Double(gaps.filter { $0 > 100_000 }.count) / Double(gaps.count)
    #expect(abs(above - exp(-1)) < 0.02)
  }
}
