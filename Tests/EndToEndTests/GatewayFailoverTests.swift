import Foundation
import KServeProtocol
import OffloadClient
import Testing

/// Where dev/gateway.sh finds HAProxy.
enum HAProxyLocator {
  /// haproxy where dev/gateway.sh looks for it: $HAPROXY, the PATH, then /usr/sbin (absent from a non-root PATH).
  static let path: String? = {
    let environment = ProcessInfo.processInfo.environment
    var candidates: [String] = []
    if let explicit = environment["HAPROXY"], !explicit.isEmpty { candidates.append(explicit) }
    for directory in (environment["PATH"] ?? "").split(separator: ":") {
      candidates.append("\(directory)/haproxy")
    }
    candidates.append("/usr/sbin/haproxy")
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
  }()
}

/// dev/gateway.sh for real: HAProxy (Debian's package) in front of three `offload serve` replicas on
/// loopback.
///
/// - Offload's own client, knowing only the gateway, sends numbered requests while one replica is
///   SIGKILLed: every request completes exactly once with the right answer.
/// - Unmodified clients (tritonclient over gRPC and HTTP, with no retries of their own, and perf_analyzer
///   over both) send through the gateway while a replica is killed, drained, hung or every replica is
///   restarted in turn (dev/gateway-chaos.py): no request may fail, and each replica's own statistics
///   must count exactly the answers the gateway logged for it (no request executed twice).
///
/// Skipped only where HAProxy is not installed: a development machine without root may lack it
/// (`dev/gateway.sh install` adds it), while `.ci/run` installs it, so CI always runs these tests.
@Suite(
  .serialized, .timeLimit(.minutes(3)),
  .enabled(
    if: HAProxyLocator.path != nil,
    """
    haproxy is not installed (Debian package haproxy: run dev/gateway.sh install, or .ci/run as root); \
    the gateway failover tests need it
    """)
)
struct GatewayFailoverTests {
  static let script = TestServer.root.appendingPathComponent("dev/gateway.sh")

  /// One replica, as `replicas.tsv` records it.
  struct Replica: Sendable {
    let index: Int
    let pid: Int32
    let grpcPort: Int
    let httpPort: Int
    let metricsPort: Int
  }

  /// A running gateway, read from its state directory.
  struct Gateway: Sendable {
    let state: URL
    let grpcPort: Int
    let httpPort: Int
    let replicas: [Replica]

    /// The gateway's log lines (one per call; names the replica that answered, the status and the retries).
    var accessLog: [Substring] {
      let text = (try? String(contentsOf: state.appendingPathComponent("haproxy/haproxy.log"), encoding: .utf8)) ?? ""
      return text.split(separator: "\n")
    }

    /// Inference calls over `transport` that `replica` answered with HTTP status 200.
    func answered(by replica: Replica, over transport: TransportProtocol) -> Int {
      let mark =
        "\(transport == .grpc ? "offload_grpc_replicas" : "offload_http_replicas")/replica\(replica.index) status=200 "
      return accessLog.filter { $0.contains(mark) && !$0.contains("/v2/health/") }.count
    }

    /// SIGKILL, as a crashing node: only when `pid` is still that replica (its command line names its
    /// own HTTP port), never a recycled pid.
    func kill(_ replica: Replica) -> Bool {
      let cmdline = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(replica.pid)/cmdline"))) ?? Data()
      let words = String(decoding: cmdline, as: UTF8.self).split(separator: "\0").map(String.init)
      guard words.first?.hasSuffix("offload") == true,
        let flag = words.firstIndex(of: "--http-port"), words.indices.contains(flag + 1),
        words[flag + 1] == "\(replica.httpPort)"
      else { return false }
      return Foundation.kill(replica.pid, SIGKILL) == 0
    }

    /// Whether the replica still runs (a reaped or zombie process does not).
    func isRunning(_ replica: Replica) -> Bool {
      guard let stat = try? String(contentsOfFile: "/proc/\(replica.pid)/stat", encoding: .utf8),
        let close = stat.lastIndex(of: ")")
      else { return false }
      let fields = stat[stat.index(after: close)...].split(separator: " ")
      return fields.first.map { $0 != "Z" && $0 != "X" } ?? false
    }
  }

  /// Starts `dev/gateway.sh` with `replicas` replicas of the debug `offload` over the example models on
  /// free ports, runs `body`, and always stops the gateway afterwards. The state directory is removed
  /// after a passing run and kept (its path in the failure) otherwise.
  static func withGateway<R: Sendable>(
    replicas: Int = 3, repository: URL = TestServer.exampleModels, extra: [String] = [],
    _ body: @Sendable (Gateway) async throws -> R
  ) async throws -> R {
    guard FileManager.default.isExecutableFile(atPath: ServerProcess.binary.path) else {
      throw ServerProcessError.message("build first: swift build (missing \(ServerProcess.binary.path))")
    }
    let state = FileManager.default.temporaryDirectory.appendingPathComponent(
      "offload-gateway-test-\(UUID().uuidString)")
    let (status, output) = try await TritonClientInteropTests.run(
      [
        script.path, "start", "--replicas", "\(replicas)", "--binary", ServerProcess.binary.path,
        "--model-repository", repository.path, "--state-dir", state.path,
        "--grpc-port", "0", "--http-port", "0", "--ready-timeout", "120",
      ] + extra,
      environment: [:])
    do {
      // A failed start has already stopped what it started; the stop below finds nothing to do then.
      try #require(status == 0, "dev/gateway.sh start exited \(status) (state \(state.path)):\n\(output)")
      let gateway = try read(state)
      try #require(gateway.replicas.count == replicas, "replicas.tsv of \(state.path)")
      let result = try await body(gateway)
      let (stopStatus, stopOutput) = try await stop(state)
      #expect(stopStatus == 0, "dev/gateway.sh stop exited \(stopStatus):\n\(stopOutput)")
      if stopStatus == 0 { try? FileManager.default.removeItem(at: state) }
      return result
    } catch {
      _ = try? await stop(state)
      throw error
    }
  }

  static func stop(_ state: URL) async throws -> (Int32, String) {
    try await TritonClientInteropTests.run(
      [script.path, "stop", "--state-dir", state.path, "--grace", "10"], environment: [:])
  }

  /// Reads `gateway.env` (KEY=VALUE lines) and `replicas.tsv` (`# index pid grpc_port http_port
  /// metrics_port`, tab-separated).
  static func read(_ state: URL) throws -> Gateway {
    let env = try String(contentsOf: state.appendingPathComponent("gateway.env"), encoding: .utf8)
    var values: [String: String] = [:]
    for line in env.split(separator: "\n") {
      guard let equals = line.firstIndex(of: "=") else { continue }
      values[String(line[..<equals])] = String(line[line.index(after: equals)...])
    }
    let grpcPort = try #require(values["GATEWAY_GRPC_PORT"].flatMap { Int($0) }, "GATEWAY_GRPC_PORT in \(env)")
    let httpPort = try #require(values["GATEWAY_HTTP_PORT"].flatMap { Int($0) }, "GATEWAY_HTTP_PORT in \(env)")
    let table = try String(contentsOf: state.appendingPathComponent("replicas.tsv"), encoding: .utf8)
    let replicas = try table.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { line in
      let fields = line.split(separator: "\t").compactMap { Int($0) }
      try #require(fields.count == 5, "replicas.tsv line '\(line)'")
      return Replica(
        index: fields[0], pid: Int32(fields[1]), grpcPort: fields[2], httpPort: fields[3], metricsPort: fields[4])
    }
    return Gateway(state: state, grpcPort: grpcPort, httpPort: httpPort, replicas: replicas)
  }

  /// A client whose only server is the gateway. It retries UNAVAILABLE on that same endpoint (the gateway
  /// sends the retry to a live replica). With one endpoint, ejecting it would leave no server at all, so the
  /// pool never ejects it for failed calls, and routine health checks are spaced beyond the test's length
  /// (a check that happened to run on the dying replica would eject the gateway; an UNAVAILABLE answer
  /// still makes one check due at once, which the gateway routes to a live replica).
  static func gatewayClient(gatewayPort: Int, transport: TransportProtocol) throws -> InferenceClient {
    try InferenceClient(
      configuration: .init(
        servers: .servers([ServerEndpoint(host: "127.0.0.1", port: gatewayPort)]), mode: .remoteOnly,
        pool: .init(
          machine: .init(
            policy: .roundRobin, healthCheckIntervalNanos: 60_000_000_000, failuresBeforeEjection: 1_000_000)),
        retry: RetryPolicy(maxAttempts: 5, initialBackoff: .milliseconds(5), serverChoice: .same),
        connection: ConnectionOptions(transportProtocol: transport), timeout: .seconds(30),
        discoveryTimeout: .seconds(30)),
      logger: ClientPoolTests.quietLogger)
  }

  /// Sends `count` numbered identity_fp32 requests, 8 at a time, through the gateway with `transport`,
  /// and SIGKILLs replica `victimIndex` before request `killAt`. ``ClientPoolTests/stream`` checks
  /// every answer and that each request completes exactly once; any request that fails after its
  /// retries fails the test.
  static func failover(transport: TransportProtocol, count: Int, killAt: Int, victimIndex: Int) async throws {
    try await withGateway { gateway in
      let victim = gateway.replicas[victimIndex]
      let survivors = gateway.replicas.filter { $0.index != victimIndex }
      let port = transport == .grpc ? gateway.grpcPort : gateway.httpPort
      let client = try Self.gatewayClient(gatewayPort: port, transport: transport)
      let killed = Locked(false)
      let served = try await client.withRunning {
        try await ClientPoolTests.stream(client, range: 0..<count, width: 8) { n in
          if n == killAt {
            #expect(gateway.answered(by: victim, over: transport) > 0, "the victim took its share before it died")
            killed.withLock { $0 = gateway.kill(victim) }
          }
        }
      }
      #expect(killed.withLock { $0 }, "replica \(victim.index) (pid \(victim.pid)) was SIGKILLed mid-stream")
      #expect(served.count == count, "every request answered")
      #expect(
        Set(served.values) == ["127.0.0.1:\(port)"], "the client knows only the gateway: \(Set(served.values))")
      #expect(!gateway.isRunning(victim), "the victim is dead")
      for survivor in survivors {
        #expect(gateway.isRunning(survivor), "replica \(survivor.index) still runs")
        #expect(gateway.answered(by: survivor, over: transport) > 0, "replica \(survivor.index) served calls")
      }
    }
  }

  @Test func grpcReplicaKilledMidStreamLosesNoRequest() async throws {
    try await Self.failover(transport: .grpc, count: 600, killAt: 150, victimIndex: 1)
  }

  @Test func httpReplicaKilledMidStreamLosesNoRequest() async throws {
    try await Self.failover(transport: .http, count: 300, killAt: 80, victimIndex: 0)
  }

  /// dev/gateway-chaos.py's report, the part the tests check.
  struct ChaosReport: Decodable {
    struct Tally: Decodable {
      let sent: Int
      let answered: Int
      let failed: Int
      let errors: [String]
    }
    struct Analyzer: Decodable {
      let exit: Int
      let errors: [String]
      let tail: [String]
    }
    struct ReplicaCount: Decodable {
      let answered: Int
      let executed: Int?
    }
    let grpc: Tally
    let http: Tally
    let failed: Int
    let wrong: Int
    let perfAnalyzer: [String: Analyzer]
    let replicas: [String: ReplicaCount]
    let duplicates: Int
    let replicasCounted: Int

    enum CodingKeys: String, CodingKey {
      case grpc, http, failed, wrong, replicas, duplicates
      case perfAnalyzer = "perf_analyzer"
      case replicasCounted = "replicas_counted"
    }
  }

  /// Three replicas of the model zoo behind the gateway (3 s hang timeout); tritonclient gRPC and HTTP
  /// threads plus perf_analyzer over both protocols for `seconds`; `fault` at `faultAt`.
  static func chaos(_ fault: String, seconds: Double = 8, faultAt: Double = 2.5) async throws {
    let python = TritonClientInteropTests.python
    let perfAnalyzer = PerfAnalyzerInteropTests.perfAnalyzer
    try #require(FileManager.default.isExecutableFile(atPath: python.path), "run dev/python-env.sh first")
    try #require(FileManager.default.isExecutableFile(atPath: perfAnalyzer.path), "run dev/perf-analyzer.sh first")
    try await withGateway(
      repository: TestServer.root.appendingPathComponent("models"), extra: ["--hang-timeout", "3s"]
    ) { gateway in
      let (status, output) = try await TritonClientInteropTests.run(
        [
          python.path, TestServer.root.appendingPathComponent("dev/gateway-chaos.py").path,
          "--state-dir", gateway.state.path, "--fault", fault, "--victim", "1", "--duration", "\(seconds)",
          "--fault-at", "\(faultAt)", "--perf-analyzer", perfAnalyzer.path,
        ],
        environment: [:])
      try #require(status == 0, "dev/gateway-chaos.py exited \(status):\n\(output)")
      let json = try #require(output.split(separator: "\n").last { $0.hasPrefix("{") }, "no report in:\n\(output)")
      let report = try JSONDecoder().decode(ChaosReport.self, from: Data(json.utf8))
      #expect(report.grpc.answered > 0 && report.http.answered > 0, "both protocols sent work: \(json)")
      #expect(report.failed == 0, "tritonclient requests failed through the gateway (\(fault)): \(json)")
      #expect(report.wrong == 0, "wrong answers (\(fault)): \(json)")
      for (transport, analyzer) in report.perfAnalyzer {
        #expect(analyzer.exit == 0, "perf_analyzer over \(transport) failed (\(fault)): \(json)")
      }
      #expect(report.perfAnalyzer.count == 2, "perf_analyzer ran over gRPC and HTTP: \(json)")
      let victim = try #require(report.replicas["1"], "replica 1 in \(json)")
      #expect(victim.answered > 0, "the victim served before the fault: \(json)")
      // Killed and hung replicas take their count with them; the others' counts are exact.
      #expect(report.replicasCounted == (["kill", "hang"].contains(fault) ? 2 : 3), "\(json)")
      #expect(report.duplicates == 0, "a replica executed requests whose answers the gateway did not pass on: \(json)")
    }
  }

  @Test func unmodifiedClientsLoseNothingWhenAReplicaIsKilled() async throws {
    try await Self.chaos("kill")
  }

  @Test func unmodifiedClientsLoseNothingWhenAReplicaDrains() async throws {
    try await Self.chaos("drain")
  }

  @Test func unmodifiedClientsLoseNothingWhenAReplicaHangs() async throws {
    try await Self.chaos("hang", seconds: 9)
  }

  @Test func unmodifiedClientsLoseNothingInARollingRestart() async throws {
    try await Self.chaos("rolling", seconds: 10, faultAt: 1)
  }
}
