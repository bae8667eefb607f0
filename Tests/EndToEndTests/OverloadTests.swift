import Foundation
import InferenceRuntime
import KServeGRPC
import KServeProtocol
import OffloadBench
import OffloadClient
import OffloadMeasurement
import Testing

/// Several times the server's capacity, offered for a bounded time to a real `offload serve` process, over
/// gRPC and over HTTP/REST: the server stays up, turns the excess away at once with UNAVAILABLE (HTTP 503)
/// naming the model and the limit, keeps the latency of what it admits bounded by its queue, stays within a
/// memory bound, and answers every admitted request correctly. Prints the figures for docs/reliability.md.
@Suite(.serialized, .timeLimit(.minutes(3))) struct OverloadTests {
  /// The model: one instance that sleeps 50 ms per execution (no dynamic batching), so its capacity is about
  /// 20 requests/s. Slow on purpose: five times its capacity is then little CPU for a debug-built client and
  /// server on 2 shared cores, so the test overloads the model, not the machine (with 5 ms executions and
  /// 1,000 requests/s the debug client could not even send the load, and admitted requests waited for CPU
  /// rather than in the model's queue).
  static let delay: Duration = .milliseconds(50)
  static let capacity = 1 / delay.inSeconds
  /// Requests that may wait for the instance (`--max-queue-size`); more are rejected at once.
  static let queueLimit = 8
  /// Offered load: five times the capacity, open loop, for `duration`.
  static let offeredRate = 5 * capacity
  static let duration: Duration = .seconds(3)
  /// Bound on the server-side time of admitted requests (queue + execution, from the `offload_timing`
  /// response parameters). Structural: a request admitted behind a full queue waits for at most `queueLimit`
  /// executions, then runs its own: 9 × 50 ms = 450 ms. With an unbounded queue the ~240 requests above
  /// capacity would wait up to 12 s.
  static let serverP99Bound: Duration = .seconds(1)
  /// Bound on the latency the client sees, which adds the client's and the transport's time: generous for
  /// a loaded 2-core CI machine, and still far below the ~12 s an unbounded queue would give.
  static let p99Bound: Duration = .seconds(4)
  /// Bound on the server's peak resident memory (VmHWM) over the whole run, startup included.
  static let peakMemoryBound = 512 << 20
  /// Open requests at most (a safety net: the load is open loop, but a stalled server must not make the
  /// test start requests without bound).
  static let inFlightLimit = 512

  enum Outcome: Sendable {
    case admitted
    case rejected(String)
    case failed(String)
  }

  static func send(
    _ index: Int, over connection: any InferenceTransport, recorder: LatencyRecorder, serverRecorder: LatencyRecorder
  ) async -> Outcome {
    let values = [Float(index), 0.5]
    var request = FaultModels.inferenceRequest("capped", action: 0, values: values, id: "r\(index)")
    request.parameters[TimingParameters.request] = .bool(true)
    let start = ContinuousClock.now
    do {
      let response = try await connection.infer(request, timeout: .seconds(60))
      recorder.record(nanoseconds: (ContinuousClock.now - start).clampedNanoseconds)
      let serverNanos = [
        "offload_queue_ns", "offload_compute_input_ns", "offload_compute_infer_ns",
        "offload_compute_output_ns",
      ].reduce(Int64(0)) { $0 + (response.parameters[$1]?.int64Value ?? 0) }
      serverRecorder.record(nanoseconds: UInt64(max(serverNanos, 0)))
      guard response.id == "r\(index)", response.outputs.map({ Requests.decodeFloats($0.data) }) == [values] else {
        return .failed("request \(index): wrong answer \(response.outputs)")
      }
      return .admitted
    } catch let error as InferenceError where error.code == .unavailable && error.message.contains("queue is full") {
      return .rejected(error.message)
    } catch {
      return .failed("request \(index): \(error)")
    }
  }

  /// Sends requests at `rate` for `duration`, each at its scheduled time whether or not earlier ones were
  /// answered (a closed loop would slow down with the server and never overload it).
  static func offer(
    over connection: any InferenceTransport, rate: Double, for duration: Duration, recorder: LatencyRecorder,
    serverRecorder: LatencyRecorder
  ) async -> (outcomes: [Outcome], elapsed: Duration) {
    var random = SystemRandomNumberGenerator()
    let arrivals = ArrivalSchedule(rate: rate, distribution: .constant)
      .arrivals(durationNanos: duration.clampedNanoseconds, random: &random)
    let start = ContinuousClock.now
    let outcomes = await withTaskGroup(of: Outcome.self) { group in
      var outcomes: [Outcome] = []
      var inFlight = 0
      for (index, offset) in arrivals.enumerated() {
        // Pacing of the load, not a wait for the server: no assertion depends on it.
        try? await Task.sleep(until: start + .nanoseconds(Int64(offset)), clock: .continuous)
        while inFlight >= inFlightLimit, let outcome = await group.next() {
          outcomes.append(outcome)
          inFlight -= 1
        }
        group.addTask { await send(index, over: connection, recorder: recorder, serverRecorder: serverRecorder) }
        inFlight += 1
      }
      for await outcome in group { outcomes.append(outcome) }
      return outcomes
    }
    return (outcomes, ContinuousClock.now - start)
  }

  static func fixed(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }

  static func mebibytes(_ bytes: Int) -> String { fixed(Double(bytes) / 1_048_576, 1) }

  @Test(arguments: [TransportProtocol.grpc, .http])
  func overloadIsTurnedAwayEarlyAndAdmittedRequestsComplete(transport: TransportProtocol) async throws {
    let repository = try FaultModels.repository([
      .init(
        "capped",
        config: FaultModels.config(parameters: ["delay_us": "\(Self.delay.clampedNanoseconds / 1_000)"]))
    ])
    defer { try? FileManager.default.removeItem(at: repository) }
    let server = try await ServerProcess.start(
      repositories: [repository], arguments: ["--enable-test-backends", "--max-queue-size", "\(Self.queueLimit)"])
    defer { server.kill() }
    let httpPort = try #require(server.httpPort, "the server logs its HTTP port")
    let port = transport == .grpc ? server.port : httpPort
    let connection = try makeTransport(
      to: ServerEndpoint(host: "127.0.0.1", port: port), options: ConnectionOptions(transportProtocol: transport))
    try await withThrowingTaskGroup(of: Void.self) { group in
      group.addTask { try await connection.run() }
      defer { connection.close() }
      // One request first: connection up, and the model's first execution (always on its instance thread).
      _ = try await connection.infer(FaultModels.inferenceRequest("capped", action: 0), timeout: .seconds(30))
      let before = try #require(try await connection.statistics("capped", version: "", timeout: .seconds(10)).first)
      let startupMemory = try #require(server.residentMemory, "reads /proc/PID/status (Linux)")

      let recorder = LatencyRecorder()
      let serverRecorder = LatencyRecorder()
      let (outcomes, elapsed) = await Self.offer(
        over: connection, rate: Self.offeredRate, for: Self.duration, recorder: recorder,
        serverRecorder: serverRecorder)

      let memory = try #require(server.residentMemory)
      #expect(server.process.isRunning, "the server stays up")
      #expect(try await connection.serverReady(timeout: .seconds(10)), "and ready")
      var admitted = 0
      var rejections: [String] = []
      var failures: [String] = []
      for outcome in outcomes {
        switch outcome {
        case .admitted: admitted += 1
        case .rejected(let message): rejections.append(message)
        case .failed(let message): failures.append(message)
        }
      }
      let latency = recorder.summary()
      let serverLatency = serverRecorder.summary()
      let seconds = elapsed.inSeconds
      let figures: [String] = [
        "capacity ≈ \(Int(Self.capacity.rounded())) req/s (1 instance, \(Self.delay) per execution)",
        "queue limit \(Self.queueLimit)",
        "offered \(outcomes.count) in \(Self.fixed(seconds, 2)) s = "
          + "\(Self.fixed(Double(outcomes.count) / seconds, 0)) req/s",
        "admitted \(admitted) = \(Self.fixed(Double(admitted) / seconds, 0)) req/s",
        "rejected \(rejections.count) = \(Self.fixed(100 * Double(rejections.count) / Double(outcomes.count), 1)) %",
        "other errors \(failures.count)",
        "admitted latency p50 \(Self.fixed(latency.p50 / 1000, 1)) ms, p99 \(Self.fixed(latency.p99 / 1000, 1)) ms, "
          + "max \(Self.fixed(latency.max / 1000, 1)) ms",
        "server-side (queue + execution) p50 \(Self.fixed(serverLatency.p50 / 1000, 1)) ms, "
          + "p99 \(Self.fixed(serverLatency.p99 / 1000, 1)) ms",
        "server RSS after start \(Self.mebibytes(startupMemory.current)) MiB, peak \(Self.mebibytes(memory.peak)) MiB, "
          + "end \(Self.mebibytes(memory.current)) MiB",
      ]
      print("[overload \(transport.rawValue)] " + figures.joined(separator: "; "))

      #expect(failures.isEmpty, "\(failures.prefix(5))")
      #expect(admitted + rejections.count == outcomes.count)
      #expect(!rejections.isEmpty, "five times the capacity must overflow a queue of \(Self.queueLimit)")
      if let first = rejections.first {
        let expected = "model 'capped' version 1: request queue is full (\(Self.queueLimit) waiting)"
        #expect(first.contains(expected), "\(first)")
      }
      // The single instance was kept busy: at least a quarter of what it can do in the time (it cannot do more
      // than all of it, each execution sleeping 5 ms).
      #expect(Double(admitted) >= Self.capacity * Self.duration.inSeconds / 4, "admitted \(admitted)")
      #expect(
        serverLatency.p99 <= Double(Self.serverP99Bound.clampedNanoseconds) / 1000,
        "server-side p99 \(serverLatency.p99) µs")
      #expect(latency.p99 <= Double(Self.p99Bound.clampedNanoseconds) / 1000, "p99 \(latency.p99) µs")
      #expect(memory.peak <= Self.peakMemoryBound, "peak RSS \(Self.mebibytes(memory.peak)) MiB")

      let after = try #require(try await connection.statistics("capped", version: "", timeout: .seconds(10)).first)
      #expect(after.inferenceStats.success.count - before.inferenceStats.success.count == UInt64(admitted))
      #expect(after.inferenceStats.fail.count - before.inferenceStats.fail.count == UInt64(rejections.count))
    }
  }
}
