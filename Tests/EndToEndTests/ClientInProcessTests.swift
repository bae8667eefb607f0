import Foundation
import InferenceRuntime
import InferenceServer
import KServeGRPC
import KServeProtocol
import Logging
import OffloadClient
import OffloadClientONNX
import ServiceLifecycle
import Synchronization
import Testing
import TritonModelConfig

/// The client library against an in-process server: deadlines, errors, client-side batching, and every
/// RPC of the connection.
@Suite(.serialized, .timeLimit(.minutes(2))) struct ClientInProcessTests {
  static func client(port: Int, mode: InferenceMode = .remoteOnly) throws -> InferenceClient {
    try InferenceClient(
      configuration: .init(
        servers: .servers([ServerEndpoint(host: "127.0.0.1", port: port)]), mode: mode,
        retry: RetryPolicy(maxAttempts: 2), discoveryTimeout: .seconds(30)),
      local: mode == .remoteOnly
        ? nil : LocalInference(.repositories([TestServer.exampleModels]), logger: ClientPoolTests.quietLogger),
      logger: ClientPoolTests.quietLogger)
  }

  @Test func deadlineShorterThanTheServersWorkFailsOnTime() async throws {
    let repository = try GateBackend.makeRepository()
    defer { try? FileManager.default.removeItem(at: repository) }
    let backend = GateBackend()
    let server = OffloadServer(
      configuration: .defaults(repositories: [repository]) {
        $0.grpc.host = "127.0.0.1"
        $0.grpc.port = 0
        $0.metricsPort = 0
        $0.httpPort = 0
      },
      additionalBackends: [backend], logger: ClientPoolTests.quietLogger)
    try await server.loadModels()
    let group = ServiceGroup(services: [server], logger: ClientPoolTests.quietLogger)
    try await withThrowingTaskGroup(of: Void.self) { tasks in
      tasks.addTask { try await group.run() }
      defer { backend.gate.signal() }
      let client = try Self.client(port: try await server.grpcPort())
      try await client.withRunning {
        // Let the first health check finish (it can be slow on a loaded machine), so the deadline below
        // is spent on the server's work only.
        await client.pool?.waitForDiscovery(timeout: .seconds(30))
        #expect(client.pool?.servers(for: "gate").count == 1)
        let request = InferenceRequest(
          modelName: "gate", inputs: [try InferenceTensor(name: "INPUT0", values: [Float(1)], shape: [1, 1])])
        let error = await #expect(throws: InferenceError.self) {
          try await client.infer(request, timeout: .milliseconds(300))
        }
        #expect(error?.code == .deadlineExceeded)
        #expect(error?.message.contains("deadline") == true)
        // It came back while the server was still working on it: the gate is still closed.
        #expect(backend.entered.load(ordering: .sequentiallyConsistent) == 1)
      }
      backend.gate.signal()
      await group.triggerGracefulShutdown()
      try await tasks.waitForAll()
    }
  }

  @Test func unknownModelErrorNamesTheServersAndClosestModels() async throws {
    try await TestServer.with { _, _, port, _ in
      let client = try Self.client(port: port)
      try await client.withRunning {
        let request = InferenceRequest(
          modelName: "ghost_mpl",
          inputs: [try InferenceTensor(name: "features", values: [Float](repeating: 0, count: 17), shape: [1, 17])])
        let error = await #expect(throws: InferenceError.self) { try await client.infer(request) }
        #expect(error?.code == .unavailable)
        #expect(error?.message.contains("127.0.0.1:\(port)") == true)
        #expect(error?.message.contains("'ghost_mlp'") == true, "\(error?.message ?? "")")
      }
    }
  }

  @Test func badRequestIsNotRetriedAndKeepsItsStatus() async throws {
    try await TestServer.with { _, _, port, server in
      let client = try Self.client(port: port)
      try await client.withRunning {
        let request = InferenceRequest(
          modelName: "ghost_mlp",
          inputs: [try InferenceTensor(name: "features", values: [Float(1), 2], shape: [1, 2])])
        let error = await #expect(throws: InferenceError.self) { try await client.infer(request) }
        #expect(error?.code == .invalidArgument)
        let stats = try server.runtime.statistics(name: "ghost_mlp", version: "")
        #expect(stats.first?.fail.count == 1, "one attempt only")
        // The server keeps serving.
        let good = InferenceRequest(
          modelName: "ghost_mlp",
          inputs: [try InferenceTensor(name: "features", values: [Float](repeating: 0.5, count: 17), shape: [1, 17])])
        let response = try await client.infer(good)
        #expect(try response.outputs[0].values(as: Float.self).count == 1)
      }
    }
  }

  @Test func coalescingClientMergesConcurrentRequestsAndSplitsAnswers() async throws {
    try await TestServer.with { _, _, port, server in
      let client = try Self.client(port: port)
      let batching = CoalescingClient(
        upstream: client, configuration: .init(maxBatchSize: 32, maxDelay: .milliseconds(20), maxConcurrentBatches: 1))
      try await client.withRunning {
        try await withThrowingTaskGroup(of: Void.self) { services in
          services.addTask { await batching.run() }
          func request(_ n: Int) throws -> InferenceRequest {
            InferenceRequest(
              modelName: "ghost_mlp",
              inputs: [
                try InferenceTensor(
                  name: "features", values: (0..<17).map { Float(($0 * 7 + n) % 13) / 13 }, shape: [1, 17])
              ])
          }
          // The answer of each request alone, then the same 32 concurrently through the coalescer.
          var alone: [Int: [Float]] = [:]
          for n in 0..<32 { alone[n] = try await client.infer(try request(n)).outputs[0].values(as: Float.self) }
          let before = try server.runtime.statistics(name: "ghost_mlp", version: "")[0]
          let merged = try await withThrowingTaskGroup(of: (Int, [Float], Int64).self) { group in
            for n in 0..<32 {
              group.addTask {
                let response = try await batching.infer(try request(n))
                return (
                  n, try response.outputs[0].values(as: Float.self),
                  response.parameters["offload_client_batch_size"]?.int64Value ?? 0
                )
              }
            }
            return try await group.reduce(into: [(Int, [Float], Int64)]()) { $0.append($1) }
          }
          let after = try server.runtime.statistics(name: "ghost_mlp", version: "")[0]
          #expect(merged.count == 32)
          for (n, values, _) in merged {
            let expected = try #require(alone[n])
            #expect(values.count == 1)
            #expect(abs(values[0] - expected[0]) < 1e-5, "request \(n): \(values) vs \(expected)")
          }
          let executions = after.executionCount - before.executionCount
          let inferences = after.inferenceCount - before.inferenceCount
          #expect(inferences == 32)
          #expect(executions < 32, "requests were merged: \(executions) executions for 32 requests")
          #expect(merged.contains { $0.2 > 1 })
          await batching.shutdown()
        }
      }
    }
  }

  @Test func connectionCoversTheServersRPCs() async throws {
    try await TestServer.with { _, _, port, _ in
      try await InferenceConnection.withConnection(to: ServerEndpoint(host: "127.0.0.1", port: port)) { c in
        #expect(try await c.serverLive())
        #expect(try await c.serverReady())
        #expect(try await c.modelReady("ghost_mlp"))
        #expect(try await c.serverMetadata().name == "offload")
        let metadata = try await c.modelMetadata("ghost_mlp")
        #expect(metadata.inputs.first?.name == "features")
        #expect(try await c.modelConfig("ghost_mlp").name == "ghost_mlp")
        #expect(try await c.repositoryIndex().contains { $0.name == "ghost_mlp" })
        #expect(try await !c.modelStatistics("ghost_mlp").isEmpty)
        try await c.unloadModel("add_sub")
        #expect(try await !c.modelReady("add_sub"))
        try await c.loadModel("add_sub")
        #expect(try await c.modelReady("add_sub"))
        let error = await #expect(throws: InferenceError.self) { try await c.modelMetadata("nope") }
        #expect(error?.code == .notFound)
        // Streaming: three requests on one stream, answers in order.
        let answers = Locked<[Float]>([])
        try await c.streamInfer(
          try (0..<3).map { n in
            InferenceRequest(
              modelName: "identity_fp32",
              inputs: [try InferenceTensor(name: "INPUT0", values: [Float(n)], shape: [1, 1])])
          }
        ) { result in
          if case .success(let response) = result, let v = try? response.outputs[0].values(as: Float.self) {
            answers.withLock { $0 += v }
          }
        }
        #expect(answers.withLock { $0 } == [0, 1, 2])
      }
    }
  }

  @Test func compressedRequestsAreAnswered() async throws {
    try await TestServer.with { _, _, port, _ in
      for compression in [ConnectionOptions.Compression.gzip, .deflate] {
        try await InferenceConnection.withConnection(
          to: ServerEndpoint(host: "127.0.0.1", port: port), options: ConnectionOptions(compression: compression)
        ) { c in
          let values = (0..<64).map { Float($0) }
          let response = try await c.infer(
            InferenceRequest(
              modelName: "identity_fp32", inputs: [try InferenceTensor(name: "INPUT0", values: values, shape: [1, 64])])
          )
          #expect(try response.outputs[0].values(as: Float.self) == values)
        }
      }
    }
  }

  @Test func httpTransportServesThePoolWithBinaryTensors() async throws {
    try await TestServer.with { _, _, _, server in
      let port = try #require(await server.httpPort())
      let client = try InferenceClient(
        configuration: .init(
          servers: .servers([ServerEndpoint(host: "127.0.0.1", port: port)]),
          connection: ConnectionOptions(transportProtocol: .http), discoveryTimeout: .seconds(30)),
        logger: ClientPoolTests.quietLogger)
      try await client.withRunning {
        let signature = try await client.signature(of: "add_sub")
        #expect(signature.inputs.map(\.name) == ["INPUT0", "INPUT1"])
        let a = (0..<32).map { Float($0) }
        let b = a.map { $0 * 0.5 }
        let response = try await client.infer(
          InferenceRequest(
            modelName: "add_sub", id: "h1",
            inputs: [
              try InferenceTensor(name: "INPUT0", values: a, shape: [2, 16]),
              try InferenceTensor(name: "INPUT1", values: b, shape: [2, 16]),
            ], outputs: [RequestedOutput(name: "OUTPUT1")]))
        #expect(response.id == "h1")
        #expect(response.outputs.map(\.name) == ["OUTPUT1"])
        #expect(try response.outputs[0].values(as: Float.self) == zip(a, b).map { $0 - $1 })
        #expect(response.parameters[InferenceClient.servedByParameter] == .string("127.0.0.1:\(port)"))
        // BYTES travel in the binary layout too.
        let strings = try await client.infer(
          InferenceRequest(
            modelName: "identity_bytes",
            inputs: [try InferenceTensor(name: "INPUT0", strings: ["a", "ü", ""], shape: [1, 3])]))
        #expect(try strings.outputs[0].strings() == ["a", "ü", ""])
        // A bad request keeps its status over HTTP.
        let error = await #expect(throws: InferenceError.self) {
          try await client.infer(
            InferenceRequest(
              modelName: "add_sub", inputs: [try InferenceTensor(name: "INPUT0", values: [Float(1)], shape: [1, 1])]))
        }
        #expect(error?.code == .invalidArgument)
        // Statistics over HTTP decode into the same messages as over gRPC.
        let transport = try makeTransport(
          to: ServerEndpoint(host: "127.0.0.1", port: port), options: ConnectionOptions(transportProtocol: .http))
        let stats = try await transport.statistics("add_sub", version: "", timeout: .seconds(5))
        #expect(stats.first?.inferenceStats.success.count == 1)
        transport.close()
      }
    }
  }
}
