internal import InferenceRuntime
internal import KServeGRPC
public import KServeProtocol
public import OffloadClient
internal import OffloadMeasurement
internal import Synchronization

#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif

/// What to measure.
public struct BenchConfiguration: Sendable {
  /// The load: closed loop over concurrencies, or open loop over request rates.
  public enum Load: Sendable, Equatable {
    /// Keep N requests in flight (perf_analyzer `--concurrency-range`).
    case concurrency(SweepRange<Int>)
    /// Offer N requests per second (perf_analyzer `--request-rate-range`).
    case requestRate(SweepRange<Double>, ArrivalSchedule.Distribution)
  }

  /// Model and version.
  public var model: String
  public var version: String
  /// The load sweep.
  public var load: Load
  /// Measurement window.
  public var window: Duration
  /// Load before measuring each point.
  public var warmUp: Duration
  /// When a point is done.
  public var stability: StabilityRule
  /// Latency the rule compares (0: mean; perf_analyzer's default is the mean).
  public var stabilityPercentile: Double
  /// Deadline of each request (nil: none).
  public var timeout: Duration?
  /// Server process whose CPU time is reported per request.
  public var serverPID: Int32?
  /// Open loop: most requests in flight before new ones are counted as dropped (bounded memory).
  public var maxOutstanding: Int

  /// Creates a configuration.
  public init(
    model: String, version: String = "", load: Load, window: Duration = .seconds(2), warmUp: Duration = .seconds(1),
    stability: StabilityRule = .init(), stabilityPercentile: Double = 0, timeout: Duration? = nil,
    serverPID: Int32? = nil, maxOutstanding: Int = 4096
  ) {
    self.model = model
    self.version = version
    self.load = load
    self.window = window
    self.warmUp = warmUp
    self.stability = stability
    self.stabilityPercentile = stabilityPercentile
    self.timeout = timeout
    self.serverPID = serverPID
    self.maxOutstanding = maxOutstanding
  }
}

/// Runs a sweep: for each point, warm-up, then windows until the stability rule is met, with latencies
/// in an HDR histogram, errors by status, server statistics deltas and CPU times.
public struct BenchRunner: Sendable {
  /// Progress lines (one per window and per point); default: standard error.
  public typealias Progress = @Sendable (String) -> Void

  let configuration: BenchConfiguration
  let target: any Inferencing
  let statistics: (any InferenceTransport)?
  let request: InferenceRequest
  let progress: Progress

  /// Creates a runner.
  /// - Parameters:
  ///   - configuration: What to measure.
  ///   - target: Where requests go (an ``InferenceClient``, a connection, a coalescing client, a runtime).
  ///   - statistics: A connection to the server for ModelStatistics deltas (nil: no server breakdown).
  ///   - request: The request sent at every call.
  ///   - progress: Where live progress goes.
  public init(
    configuration: BenchConfiguration, target: any Inferencing, statistics: (any InferenceTransport)?,
    request: InferenceRequest, progress: Progress? = nil
  ) {
    self.configuration = configuration
    self.target = target
    self.statistics = statistics
    self.request = request
    self.progress = progress ?? { StandardError.write($0 + "\n") }
  }

  /// Rows per request.
  var rows: Int { Int(request.inputs.first?.shape.first ?? 1) }

  /// Measures every point of the sweep.
  public func run() async throws -> [BenchPoint] {
    var points: [BenchPoint] = []
    switch configuration.load {
    case .concurrency(let range):
      for c in range.points { points.append(try await measure(concurrency: c, rate: nil, distribution: nil)) }
    case .requestRate(let range, let distribution):
      for r in range.points {
        points.append(try await measure(concurrency: nil, rate: r, distribution: distribution))
      }
    }
    return points
  }

  private struct Window {
    var summary: LatencySummary
    var seconds: Double
    var clientCPU: Double
    var serverCPU: Double?
  }

  private func measure(
    concurrency: Int?, rate: Double?, distribution: ArrivalSchedule.Distribution?
  ) async throws
    -> BenchPoint
  {
    let label = concurrency.map { "concurrency \($0)" } ?? "request rate \(rate ?? 0)/s"
    _ = try await load(concurrency: concurrency, rate: rate, distribution: distribution, duration: configuration.warmUp)
    let before = try await serverStatistics()
    var windows: [Window] = []
    var samples: [StabilityRule.Sample] = []
    var decision = StabilityRule.Decision.measureAgain
    while decision == .measureAgain {
      let window = try await load(
        concurrency: concurrency, rate: rate, distribution: distribution, duration: configuration.window)
      windows.append(window)
      let throughput = Double(window.summary.count * rows) / window.seconds
      samples.append(
        .init(
          throughput: throughput, latencyMicros: window.summary.latency(percentile: configuration.stabilityPercentile)))
      decision = configuration.stability.decision(after: samples)
      progress(
        "[bench] \(label): window \(windows.count): "
          + String(
            cFormat: "%.0f infer/s, p50 %.0f µs, p99 %.0f µs", throughput, window.summary.p50, window.summary.p99)
          + ", \(window.summary.errors.values.reduce(0, +)) error(s)"
          + (decision == .measureAgain ? "" : (decision == .stable ? " (stable)" : " (not stable, out of trials)")))
    }
    let after = try await serverStatistics()
    // Report over the windows the rule looked at (all of them when unstable).
    let used = decision == .stable ? Array(windows.suffix(configuration.stability.windows)) : windows
    let merged = Self.merge(used.map(\.summary))
    let seconds = used.map(\.seconds).reduce(0, +)
    let requests = merged.count
    let errorCount = merged.errors.values.reduce(0, +)
    let clientCPU = used.map(\.clientCPU).reduce(0, +)
    let serverCPU = used.allSatisfy { $0.serverCPU != nil } ? used.compactMap(\.serverCPU).reduce(0, +) : nil
    let perRequest = { (cpu: Double) in cpu * 1e6 / Double(max(requests + errorCount, 1)) }
    return BenchPoint(
      concurrency: concurrency, requestRate: rate, windows: windows.count, stable: decision == .stable,
      requests: requests, inferencesPerSecond: Double(requests * rows) / seconds,
      requestsPerSecond: Double(requests) / seconds, latencyUs: merged, errors: merged.errors,
      server: Self.breakdown(before, after), clientCPUUsPerRequest: perRequest(clientCPU),
      serverCPUUsPerRequest: serverCPU.map(perRequest), ratioToBaseline: nil)
  }

  /// Merges window summaries: counts and errors add; percentiles are request-weighted means of the
  /// windows' percentiles (windows of a stable point agree, so this stays close to the pooled value).
  static func merge(_ summaries: [LatencySummary]) -> LatencySummary {
    let total = summaries.map(\.count).reduce(0, +)
    func weighted(_ key: KeyPath<LatencySummary, Double>) -> Double {
      total == 0 ? 0 : summaries.map { $0[keyPath: key] * Double($0.count) }.reduce(0, +) / Double(total)
    }
    var errors: [String: Int] = [:]
    for s in summaries { errors.merge(s.errors, uniquingKeysWith: +) }
    return LatencySummary(
      count: total, p50: weighted(\.p50), p90: weighted(\.p90), p95: weighted(\.p95), p99: weighted(\.p99),
      max: summaries.map(\.max).max() ?? 0, mean: weighted(\.mean), errors: errors)
  }

  private func serverStatistics() async throws -> Inference_ModelStatistics? {
    guard let statistics else { return nil }
    return try? await statistics.statistics(configuration.model, version: configuration.version, timeout: nil).first
  }

  static func breakdown(_ before: Inference_ModelStatistics?, _ after: Inference_ModelStatistics?) -> ServerBreakdown? {
    guard let before, let after else { return nil }
    let success = after.inferenceStats.success.count &- before.inferenceStats.success.count
    guard success > 0 else { return nil }
    func avg(_ key: KeyPath<Inference_InferStatistics, Inference_StatisticDuration>) -> Double {
      let count = after.inferenceStats[keyPath: key].count &- before.inferenceStats[keyPath: key].count
      let ns = after.inferenceStats[keyPath: key].ns &- before.inferenceStats[keyPath: key].ns
      return count == 0 ? 0 : Double(ns) / Double(count) / 1000
    }
    let request = avg(\.success)
    let queue = avg(\.queue)
    let input = avg(\.computeInput)
    let infer = avg(\.computeInfer)
    let output = avg(\.computeOutput)
    return ServerBreakdown(
      inferenceCount: after.inferenceCount &- before.inferenceCount,
      executionCount: after.executionCount &- before.executionCount, successCount: success, requestUs: request,
      queueUs: queue, computeInputUs: input, computeInferUs: infer, computeOutputUs: output,
      overheadUs: max(request - queue - input - infer - output, 0))
  }

  /// Runs the load for `duration` and returns the window's figures.
  private func load(
    concurrency: Int?, rate: Double?, distribution: ArrivalSchedule.Distribution?, duration: Duration
  ) async throws -> Window {
    let recorder = LatencyRecorder()
    let cpuBefore = ProcessCPUTime.seconds() ?? 0
    let serverBefore = configuration.serverPID.flatMap { ProcessCPUTime.seconds(pid: $0) }
    let start = ContinuousClock.now
    let end = start + duration
    let target = self.target
    let request = self.request
    let timeout = configuration.timeout
    @Sendable func once() async {
      let began = ContinuousClock.now
      do {
        if let timeout, let client = target as? InferenceClient {
          _ = try await client.infer(request, timeout: timeout)
        } else {
          _ = try await target.infer(request)
        }
        recorder.record(nanoseconds: (ContinuousClock.now - began).clampedNanoseconds)
      } catch let error as InferenceError {
        recorder.recordError(Self.statusName(error.code))
      } catch {
        recorder.recordError("UNKNOWN")
      }
    }
    if let concurrency {
      await withDiscardingTaskGroup { group in
        for _ in 0..<concurrency {
          group.addTask {
            while ContinuousClock.now < end { await once() }
          }
        }
      }
    } else if let rate, let distribution {
      var random = SystemRandomNumberGenerator()
      let schedule = ArrivalSchedule(rate: rate, distribution: distribution)
      let outstanding = InFlightCounter()
      let limit = configuration.maxOutstanding
      await withDiscardingTaskGroup { group in
        var next = start
        while true {
          next = next + .nanoseconds(Int64(schedule.nextGapNanos(random: &random)))
          if next >= end || Task.isCancelled { break }
          try? await Task.sleep(until: next, clock: .continuous)
          if outstanding.value.load(ordering: .relaxed) >= limit {
            recorder.recordError("DROPPED_CLIENT_BACKLOG")
            continue
          }
          outstanding.value.add(1, ordering: .relaxed)
          group.addTask {
            await once()
            outstanding.value.subtract(1, ordering: .relaxed)
          }
        }
      }
    }
    let elapsed = ContinuousClock.now - start
    return Window(
      summary: recorder.summary(), seconds: elapsed.inSeconds,
      clientCPU: (ProcessCPUTime.seconds() ?? 0) - cpuBefore,
      serverCPU: serverBefore.flatMap { before in
        configuration.serverPID.flatMap { ProcessCPUTime.seconds(pid: $0) }.map { $0 - before }
      })
  }

  /// gRPC status names, as perf_analyzer and Triton print them.
  static func statusName(_ code: InferenceError.Code) -> String {
    switch code {
    case .invalidArgument: "INVALID_ARGUMENT"
    case .notFound: "NOT_FOUND"
    case .unavailable: "UNAVAILABLE"
    case .internal: "INTERNAL"
    case .unimplemented: "UNIMPLEMENTED"
    case .resourceExhausted: "RESOURCE_EXHAUSTED"
    case .failedPrecondition: "FAILED_PRECONDITION"
    case .alreadyExists: "ALREADY_EXISTS"
    case .deadlineExceeded: "DEADLINE_EXCEEDED"
    case .cancelled: "CANCELLED"
    case .unauthenticated: "UNAUTHENTICATED"
    default: "UNKNOWN"
    }
  }
}

/// Requests in flight in the open loop.
final class InFlightCounter: Sendable {
  let value = Atomic<Int>(0)
}
