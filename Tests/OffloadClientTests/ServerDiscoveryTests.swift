import Foundation
import KServeProtocol
import OffloadClient
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

@Suite(.timeLimit(.minutes(1))) struct ServerEndpointParsingTests {
  @Test func hostAndPort() throws {
    let endpoint = try ServerEndpoint(parsing: "node1:9000")
    #expect(endpoint == ServerEndpoint(host: "node1", port: 9000))
    #expect(endpoint.description == "node1:9000")
  }

  @Test func bareHostDefaultsToTritonsGRPCPort() throws {
    #expect(try ServerEndpoint(parsing: "node1") == ServerEndpoint(host: "node1", port: 8001))
    #expect(try ServerEndpoint(parsing: " 10.0.0.7 ") == ServerEndpoint(host: "10.0.0.7", port: 8001))
  }

  @Test func bracketedIPv6() throws {
    let endpoint = try ServerEndpoint(parsing: "[::1]:9001")
    #expect(endpoint == ServerEndpoint(host: "::1", port: 9001))
    #expect(endpoint.description == "[::1]:9001")
    #expect(try ServerEndpoint(parsing: "[fe80::1]") == ServerEndpoint(host: "fe80::1", port: 8001))
    #expect(try ServerEndpoint(parsing: endpoint.description) == endpoint)
  }

  @Test(arguments: ["a:notaport", "a:0", "a:65536", "a:", "a:-1", "[::1]:x", "[::1", ":8001", "[]:8001"])
  func badAddressesAreRejectedNamingTheText(_ text: String) {
    let error = #expect(throws: InferenceError.self) { try ServerEndpoint(parsing: text) }
    #expect(error?.code == .invalidArgument)
    #expect(error?.message.contains(text) == true, "\(String(describing: error?.message))")
  }

  @Test func orderIsByHostThenPort() {
    let sorted = [
      ServerEndpoint(host: "b", port: 1), ServerEndpoint(host: "a", port: 2), ServerEndpoint(host: "a", port: 1),
    ].sorted()
    #expect(sorted.map(\.description) == ["a:1", "a:2", "b:1"])
  }
}

@Suite(.timeLimit(.minutes(1))) struct ServerDiscoveryTests {
  static func address(_ host: String, _ port: Int) -> ServerDiscovery.Entry {
    .address(ServerEndpoint(host: host, port: port))
  }

  @Test func commaSeparatedList() throws {
    let discovery = try ServerDiscovery(parsing: "a:1,b:2")
    #expect(discovery.entries == [Self.address("a", 1), Self.address("b", 2)])
  }

  @Test func whitespaceAndNewlinesSeparateToo() throws {
    let discovery = try ServerDiscovery(parsing: "a:1 b:2\n\tc:3\r\n\n d:4 , e:5,,\n")
    #expect(
      discovery.entries == [
        Self.address("a", 1), Self.address("b", 2), Self.address("c", 3), Self.address("d", 4),
        Self.address("e", 5),
      ])
  }

  @Test func hashStartsAComment() throws {
    let text = """
      # the pool
      a:1   # first node
      b:2,#c:3
      #d:4
      """
    let discovery = try ServerDiscovery(parsing: text)
    #expect(discovery.entries == [Self.address("a", 1), Self.address("b", 2)])
  }

  @Test(arguments: ["dns:triton.svc:8001", "dns:///triton.svc:8001", "dns://triton.svc:8001", "dns:triton.svc"])
  func dnsEntriesNameAHostToResolve(_ text: String) throws {
    let discovery = try ServerDiscovery(parsing: text)
    #expect(discovery.entries == [.dns(name: "triton.svc", port: 8001)])
  }

  @Test func bareHostAndIPv6EntriesParse() throws {
    let discovery = try ServerDiscovery(parsing: "node1,[::1]:9000,dns:other:7000")
    #expect(
      discovery.entries == [
        Self.address("node1", 8001), Self.address("::1", 9000), .dns(name: "other", port: 7000),
      ])
  }

  @Test func descriptionIsTheTextualFormAndParsesBack() throws {
    let discovery = try ServerDiscovery(parsing: "a:1, dns:///b:2\n[::1]:3")
    #expect(discovery.description == "a:1,dns:b:2,[::1]:3")
    #expect(try ServerDiscovery(parsing: discovery.description) == discovery)
  }

  @Test func fixedServersConvenience() {
    let endpoints = [ServerEndpoint(host: "a", port: 1), ServerEndpoint(host: "b", port: 2)]
    #expect(ServerDiscovery.servers(endpoints).entries == [Self.address("a", 1), Self.address("b", 2)])
  }

  @Test(arguments: ["a:1,b:notaport", "a:1 b:70000", "dns:name:bad"])
  func aBadEntryIsRejectedNamingIt(_ text: String) throws {
    let bad = try #require(text.split(whereSeparator: { $0 == "," || $0 == " " }).last)
    let error = #expect(throws: InferenceError.self) { try ServerDiscovery(parsing: text) }
    #expect(error?.code == .invalidArgument)
    let named = String(bad.hasPrefix("dns:") ? bad.dropFirst(4) : bad)
    #expect(error?.message.contains(named) == true, "\(String(describing: error?.message))")
  }

  @Test(arguments: ["", "   ", "\n\n", "# only a comment\n", ", ,"])
  func textWithoutEntriesIsRejected(_ text: String) {
    let error = #expect(throws: InferenceError.self) { try ServerDiscovery(parsing: text) }
    #expect(error?.code == .invalidArgument)
  }

  @Test func resolvingKeepsFixedEntriesAndExpandsNames() async throws {
    let discovery = try ServerDiscovery(parsing: "fixed.example:9000,dns:localhost:8001")
    let (endpoints, failures) = await discovery.resolve()
    #expect(failures.isEmpty, "\(failures)")
    #expect(endpoints.first == ServerEndpoint(host: "fixed.example", port: 9000))
    let local = endpoints.filter { $0.port == 8001 }
    #expect(!local.isEmpty)
    #expect(local.allSatisfy { $0.host != "localhost" })  // numeric addresses, not the name
    #expect(local.contains { $0.host.hasPrefix("127.") || $0.host == "::1" })
    #expect(Set(endpoints).count == endpoints.count)
  }

  @Test func resolvingDropsDuplicates() async throws {
    let discovery = try ServerDiscovery(parsing: "a:1,b:2,a:1,dns:localhost:8001,dns:localhost:8001")
    let (endpoints, _) = await discovery.resolve()
    #expect(Array(endpoints.prefix(2)) == [ServerEndpoint(host: "a", port: 1), ServerEndpoint(host: "b", port: 2)])
    #expect(Set(endpoints).count == endpoints.count)
  }

  @Test func readsAServerFile() throws {
    let url = FileManager.default.temporaryDirectory
      .appendingPathComponent("offload-servers-\(UUID().uuidString).txt")
    try "# replicas\nnode1:8001\nnode2:8001 # spare\n\ndns:pool.svc:8001\n".write(
      to: url, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: url) }
    let discovery = try ServerDiscovery.fromFile(url.path)
    #expect(
      discovery.entries == [
        Self.address("node1", 8001), Self.address("node2", 8001), .dns(name: "pool.svc", port: 8001),
      ]
    )
  }

  @Test func aMissingServerFileIsReportedWithItsPath() {
    let path = FileManager.default.temporaryDirectory
      .appendingPathComponent("offload-no-such-file-\(UUID().uuidString).txt").path
    let error = #expect(throws: InferenceError.self) { try ServerDiscovery.fromFile(path) }
    #expect(error?.code == .invalidArgument)
    #expect(error?.message.contains(path) == true)
  }

  @Test func environmentVariableIsReadWhenSet() throws {
    #expect(ServerDiscovery.environmentVariable == "OFFLOAD_SERVERS")
    // A variable of this test's own, so parallel tests and the real OFFLOAD_SERVERS are not disturbed.
    let name = "OFFLOAD_SERVERS_TEST_\(UUID().uuidString.replacingOccurrences(of: "-", with: "_"))"
    #expect(try ServerDiscovery.fromEnvironment(name) == nil)
    setenv(name, "", 1)
    defer { unsetenv(name) }
    #expect(try ServerDiscovery.fromEnvironment(name) == nil)
    setenv(name, "a:1,b:2", 1)
    let discovery = try #require(try ServerDiscovery.fromEnvironment(name))
    #expect(discovery.entries == [Self.address("a", 1), Self.address("b", 2)])
  }
}
