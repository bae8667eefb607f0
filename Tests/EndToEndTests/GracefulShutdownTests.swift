import Dispatch
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import InferenceRuntime
import InferenceServer
import KServeGRPC
import KServeProtocol
import Logging
import ServiceLifecycle
import Synchronization
import Testing

/// A backend whose executions block until the test opens a gate: lets a test hold a request in flight.
final class GateBackend: InferenceBackend, Sendable {
  let name = "gate"
  let platforms: [String] = []
  let defaultModelFilename = "model.gate"
  let entered = Atomic<Int>(0)
  let gate = DispatchSemaphore(value: 0)

  func signature(of modelFile: URL) throws -> ModelSignature {
    ModelSignature(
      inputs: [.init(name: "INPUT0", datatype: .fp32, engineTypeName: "float", shape: [-1, 1])],
      outputs: [.init(name: "OUTPUT0", datatype: .fp32, engineTypeName: "float", shape: [-1, 1])])
  }

  func loadInstance(_ context: InstanceLoadContext) throws -> any ModelInstance { GateInstance(backend: self) }

  /// A temporary repository with one model `gate` (max_batch_size 4) served by this backend.
  static func makeRepository() throws -> URL {
    let repository = FileManager.default.temporaryDirectory.appendingPathComponent("gate-\(UUID().uuidString)")
    try FileManager.default.createDirectory(
      at: repository.appendingPathComponent("gate/1"), withIntermediateDirectories: true)
    try Data().write(to: repository.appendingPathComponent("gate/1/model.gate"))
    try "backend: \"gate\"\nmax_batch_size: 4\n".write(
      to: repository.appendingPathComponent("gate/config.pbtxt"), atomically: true, encoding: .utf8)
    return repository
  }

  struct GateInstance: ModelInstance {
    let backend: GateBackend
    func execute(inputs: [InferenceTensor], outputs: [OutputSpec]) throws -> ExecutionResult {
      backend.entered.add(1, ordering: .sequentiallyConsistent)
      backend.gate.wait()
      let output = InferenceTensor(name: "OUTPUT0", datatype: .fp32, shape: inputs[0].shape, data: inputs[0].data)
      return ExecutionResult(outputs: [output], timings: ComputeTimings(inputNanos: 0, inferNanos: 0, outputNanos: 0))
    }
  }
}

@Suite(.serialized, .timeLimit(.minutes(1))) struct GracefulShutdownTests {
  /// Graceful shutdown turns readiness off and lets the request in flight finish with its answer.
  @Test func inFlightRequestCompletesDuringShutdown() async throws {
    let repository = try GateBackend.makeRepository()
    defer { try? FileManager.default.removeItem(at: repository) }

    var logger = Logger(label: "shutdown")
    logger.logLevel = .critical
    let backend = GateBackend()
    let server = OffloadServer(
      configuration: .defaults(repositories: [repository]) {
        $0.grpc.host = "127.0.0.1"
        $0.grpc.port = 0
        $0.metricsPort = 0
        $0.httpPort = 0
      },
      additionalBackends: [backend], logger: logger)
    try await server.loadModels()
    let group = ServiceGroup(services: [server], logger: logger)
    try await withThrowingTaskGroup(of: Void.self) { tasks in
      tasks.addTask { try await group.run() }
      let port = try await server.grpcPort()
      try await withGRPCClient(
        transport: try .http2NIOPosix(target: .ipv4(address: "127.0.0.1", port: port), transportSecurity: .plaintext)
      ) { client in
        let kserve = Inference_GRPCInferenceService.Client(wrapping: client)
        var request = Inference_ModelInferRequest()
        request.modelName = "gate"
        request.id = "in-flight"
        var input = Inference_ModelInferRequest.InferInputTensor()
        input.name = "INPUT0"
        input.datatype = "FP32"
        input.shape = [1, 1]
        request.inputs = [input]
        request.rawInputContents = [Data([0, 0, 128, 63])]
        let inFlight = Task { try await kserve.modelInfer(request) }
        while backend.entered.load(ordering: .sequentiallyConsistent) == 0 {
          try Task.checkCancellation()
          await Task.yield()
        }
        #expect(server.runtime.isReady)
        await group.triggerGracefulShutdown()
        while server.runtime.isReady {
          try Task.checkCancellation()
          await Task.yield()
        }
        backend.gate.signal()
        let response = try await inFlight.value
        #expect(response.id == "in-flight")
        #expect(response.rawOutputContents == [Data([0, 0, 128, 63])])
      }
      try await tasks.waitForAll()
    }
  }

  /// With a drain delay, readiness turns false at the signal while the server keeps answering, so a
  /// gateway or Kubernetes can stop routing to it before it refuses connections.
  @Test func readinessTurnsFalseBeforeDrainingWithADrainDelay() async throws {
    var logger = Logger(label: "shutdown")
    logger.logLevel = .critical
    let server = OffloadServer(
      configuration: .defaults(repositories: [TestServer.exampleModels]) {
        $0.grpc.host = "127.0.0.1"
        $0.grpc.port = 0
        $0.metricsPort = 0
        $0.httpPort = 0
        $0.drainDelay = .seconds(600)  // longer than the test: it ends by cancellation
      }, logger: logger)
    try await server.loadModels()
    let group = ServiceGroup(services: [server], logger: logger)
    try await withThrowingTaskGroup(of: Void.self) { tasks in
      tasks.addTask { try await group.run() }
      let port = try await server.grpcPort()
      try await withGRPCClient(
        transport: try .http2NIOPosix(target: .ipv4(address: "127.0.0.1", port: port), transportSecurity: .plaintext)
      ) { client in
        let kserve = Inference_GRPCInferenceService.Client(wrapping: client)
        #expect(try await kserve.serverReady(Inference_ServerReadyRequest()).ready)
        await group.triggerGracefulShutdown()
        while server.runtime.isReady {
          try Task.checkCancellation()
          await Task.yield()
        }
        #expect(try await kserve.serverReady(Inference_ServerReadyRequest()).ready == false)
        #expect(try await kserve.serverLive(Inference_ServerLiveRequest()).live)
        // New work is still served during the delay.
        let response = try await kserve.modelInfer(Requests.addSub(rows: 1, id: "late"))
        #expect(response.id == "late")
      }
      tasks.cancelAll()
    }
  }
}
