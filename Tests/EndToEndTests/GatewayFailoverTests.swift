import Foundation
import KServeProtocol
import OffloadClient
import Testing

/// Where dev/gateway.sh finds nginx.
enum NginxLocator {
  /// nginx where dev/gateway.sh looks for it: $NGINX, the PATH, then /usr/sbin (absent from a non-root PATH).
  static let path: String? = {
    let environment = ProcessInfo.processInfo.environment
    var candidates: [String] = []
    if let explicit = environment["NGINX"], !explicit.isEmpty { candidates.append(explicit) }
    for directory in (environment["PATH"] ?? "").split(separator: ":") {
      candidates.append("\(directory)/nginx")
    }
    candidates.append("/usr/sbin/nginx")
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
  }()
}

/// dev/gateway.sh for real: nginx (Debian's package) in front of three `offload serve` replicas on
/// loopback, and an `InferenceClient` that knows only the gateway. Numbered requests flow through it while
/// one replica is SIGKILLed: every request must complete exactly once with the right answer.
///
/// Over gRPC, the calls running on the replica when it dies fail at the gateway with UNAVAILABLE (nginx
/// cannot replay a streamed gRPC body) and the client's retry takes them; over HTTP, nginx keeps the
/// bodies and retries them itself (docs/deploy.md, "How failover behaves").
///
/// Skipped only where nginx is not installed: a development machine without root may lack it
/// (`dev/gateway.sh install` adds it), while `.ci/run` installs it, so CI always runs these tests.
@Suite(
  .serialized, .timeLimit(.minutes(3)),
  .enabled(
    if: NginxLocator.path != nil,
    """
    nginx is not installed (Debian package nginx: run dev/gateway.sh install, or .ci/run as root); \
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

    /// The access log's lines (one per call; names the replica(s) tried and their statuses).
    var accessLog: [Substring] {
      let text = (try? String(contentsOf: state.appendingPathComponent("nginx/logs/access.log"), encoding: .utf8)) ?? ""
      return text.split(separator: "\n")
    }

    /// Calls that went to the replica listening on `port` (its gRPC or HTTP port) at the first attempt
    /// and were answered there.
    func answered(by port: Int) -> Int {
      let mark = "upstream=127.0.0.1:\(port) upstream_status=200 "
      return accessLog.filter { $0.contains(mark) }.count
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
    replicas: Int = 3, _ body: @Sendable (Gateway) async throws -> R
  ) async throws -> R {
    guard FileManager.default.isExecutableFile(atPath: ServerProcess.binary.path) else {
      throw ServerProcessError.message("build first: swift build (missing \(ServerProcess.binary.path))")
    }
    let state = FileManager.default.temporaryDirectory.appendingPathComponent(
      "offload-gateway-test-\(UUID().uuidString)")
    let (status, output) = try await TritonClientInteropTests.run(
      [
        script.path, "start", "--replicas", "\(replicas)", "--binary", ServerProcess.binary.path,
        "--model-repository", TestServer.exampleModels.path, "--state-dir", state.path,
        "--grpc-port", "0", "--http-port", "0", "--ready-timeout", "120",
      ],
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

  /// A client whose only server is the gateway. It retries UNAVAILABLE on that same endpoint (nginx sends
  /// the retry to a live replica). With one endpoint, ejecting it would leave no server at all, so the
  /// pool never ejects it for failed calls, and routine health checks are spaced beyond the test's length
  /// (a check that happened to run on the dying replica would eject the gateway; an UNAVAILABLE answer
  /// still makes one check due at once, which nginx routes to a live replica).
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
      let replicaPort: @Sendable (Replica) -> Int = { transport == .grpc ? $0.grpcPort : $0.httpPort }
      let client = try Self.gatewayClient(gatewayPort: port, transport: transport)
      let killed = Locked(false)
      let served = try await client.withRunning {
        try await ClientPoolTests.stream(client, range: 0..<count, width: 8) { n in
          if n == killAt {
            #expect(gateway.answered(by: replicaPort(victim)) > 0, "the victim took its share before it died")
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
        #expect(gateway.answered(by: replicaPort(survivor)) > 0, "replica \(survivor.index) served calls")
      }
    }
  }

  @Test func grpcReplicaKilledMidStreamLosesNoRequest() async throws {
    try await Self.failover(transport: .grpc, count: 600, killAt: 150, victimIndex: 1)
  }

  @Test func httpReplicaKilledMidStreamLosesNoRequest() async throws {
    try await Self.failover(transport: .http, count: 300, killAt: 80, victimIndex: 0)
  }
}
