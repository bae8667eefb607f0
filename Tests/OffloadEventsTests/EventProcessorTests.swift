import Foundation
import KServeProtocol
import Synchronization
import Testing

@testable import OffloadEvents

/// A fake inference service: answers every zoo model with outputs of the right size whose values
/// depend only on the request, after a pseudo-random number of yields, so answers come back in an
/// order unrelated to the order of the requests (no sleeps, no clock).
struct ScramblingInference: Inferencing {
  let calls = Counter()

  final class Counter: Sendable {
    let value = Atomic<Int>(0)
  }

  static func mix(_ x: UInt64) -> UInt64 {
    var z = x &+ 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  func infer(_ request: InferenceRequest) async throws -> InferenceResponse {
    calls.value.add(1, ordering: .relaxed)
    let seed = request.id.utf8.reduce(UInt64(1469598103934665603)) { ($0 ^ UInt64($1)) &* 1099511628211 }
    for _ in 0..<(Self.mix(seed) % 50) { await Task.yield() }
    guard let model = ToyModel(rawValue: request.modelName) else {
      throw InferenceError(.notFound, "unknown model '\(request.modelName)'")
    }
    let count: Int
    switch model {
    case .trkEdgeFilter: count = Int(request.inputs.first { $0.name == "edge_index" }!.shape[1])
    case .deepmetToy: count = 2 * Int(request.inputs[0].shape[0])
    default: count = Int(request.inputs[0].shape[0])
    }
    // The output is a function of the input bytes, so a mixed-up event is detected.
    let digest = request.inputs[0].data.prefix(64).reduce(seed) { Self.mix($0 ^ UInt64($1)) }
    let values = (0..<count).map { Float(Self.mix(digest &+ UInt64($0)) % 1000) / 1000 }
    return InferenceResponse(
      modelName: request.modelName, modelVersion: "1", id: request.id,
      outputs: [try InferenceTensor(name: model.primaryOutput.name, values: values, shape: [Int64(count), 1])])
  }
}

/// A source of small synthetic events: one float product whose value encodes the index.
struct CountingSource: EventSource {
  var produces: [String] { ["value"] }
  func event(at index: UInt64) throws -> EventData {
    EventData(index: index, products: ["value": .floats([Float(index)])])
  }
}

/// Squares the value after an asynchronous "inference" that echoes the value back.
struct EchoModule: AsynchronousModule {
  var label: String { "echo" }
  var consumes: [String] { ["value"] }
  var produces: [String] { ["echoed"] }
  func acquire(_ event: EventData) throws -> [InferenceRequest] {
    [
      InferenceRequest(
        modelName: "echo", id: "\(event.index)",
        inputs: [InferenceTensor(name: "x", values: try event.floats("value"))])
    ]
  }
  func produce(_ event: inout EventData, responses: [InferenceResponse]) throws {
    let echoed = try responses[0].outputs[0].values(as: Float.self)
    event.products["echoed"] = .floats(echoed.map { $0 * $0 })
  }
}

struct EchoInference: Inferencing {
  func infer(_ request: InferenceRequest) async throws -> InferenceResponse {
    let n = UInt64(request.id) ?? 0
    for _ in 0..<(ScramblingInference.mix(n) % 40) { await Task.yield() }
    return InferenceResponse(
      modelName: request.modelName, modelVersion: "1", id: request.id,
      outputs: [InferenceTensor(name: "y", values: try request.inputs[0].values(as: Float.self))])
  }
}

final class Delivered: Sendable {
  let order = Mutex<[UInt64]>([])
  let events = Mutex<[EventData]>([])
}

@Suite(.timeLimit(.minutes(5))) struct EventProcessorTests {
  @Test func reorderBufferDeliversEveryIndexOnceInOrder() {
    var generator = EventRandom(seed: 11)
    for _ in 0..<20 {
      var indices = Array(UInt64(5)..<UInt64(105))
      indices.shuffle(using: &generator)
      var buffer = ReorderBuffer<UInt64>(first: 5)
      var delivered: [UInt64] = []
      for index in indices { delivered += buffer.insert(index, at: index) }
      #expect(delivered == Array(5..<105))
      #expect(buffer.heldCount == 0)
    }
  }

  @Test(arguments: InferenceStyle.allCases)
  func eventsArriveInOrderExactlyOnceWhateverTheCompletionOrder(style: InferenceStyle) async throws {
    let processor = try EventProcessor(
      modules: [EchoModule()], source: CountingSource(), inference: EchoInference(),
      configuration: .init(threads: 3, streams: 8, events: 10..<410, style: style))
    let delivered = Delivered()
    let summary = try await processor.run { event in
      delivered.order.withLock { $0.append(event.index) }
      let echoed = try event.floats("echoed")
      #expect(echoed == [Float(event.index) * Float(event.index)])
    }
    #expect(delivered.order.withLock { $0 } == Array(10..<410))
    #expect(summary.events == 400)
    #expect(summary.requests == 400)
  }

  @Test func missingProducerIsReportedBeforeAnyEventRuns() {
    let error = #expect(throws: WorkflowError.self) {
      _ = try EventProcessor(
        modules: [EchoModule()], source: GeneratorSource(generator: EventGenerator(seed: 1)),
        inference: EchoInference(), configuration: .init(threads: 1, streams: 1, events: 0..<1, style: .asynchronous))
    }
    #expect(error?.description.contains("consumes 'value'") == true)
  }

  @Test func demoWorkflowOnToyEventsMatchesItsTruthLayout() async throws {
    let modules: [any EventModule] = ToyModel.allCases.map { ModelInferenceModule(model: $0) }
    let inference = ScramblingInference()
    let processor = try EventProcessor(
      modules: modules, source: GeneratorSource(generator: EventGenerator(seed: 7)), inference: inference,
      configuration: .init(threads: 2, streams: 4, events: 0..<12, style: .asynchronous))
    let results = Mutex(EventResults())
    _ = try await processor.run { event in try results.withLock { try $0.append(event) } }
    let collected = results.withLock { $0 }
    #expect(collected.eventIndex == Array(0..<12))
    #expect(collected.ghostProbability.count == collected.trackIsGhost.count)
    #expect(collected.trackCount.map(Int.init).reduce(0, +) == collected.ghostProbability.count)
    #expect(collected.met.count == 24)
    // Same seed, same events: checksums equal a direct generation.
    let generator = EventGenerator(seed: 7)
    #expect(collected.eventChecksum == (0..<12).map { generator.event(at: $0).checksum() })
  }

  @Test func aFailingModuleStopsTheRunWithItsError() async throws {
    struct Failing: SynchronousModule {
      var label: String { "failing" }
      var consumes: [String] { ["value"] }
      var produces: [String] { [] }
      func produce(_ event: inout EventData) throws {
        if event.index == 17 { throw WorkflowError("event 17 is bad") }
      }
    }
    let processor = try EventProcessor(
      modules: [Failing()], source: CountingSource(), inference: EchoInference(),
      configuration: .init(threads: 2, streams: 4, events: 0..<100, style: .asynchronous))
    let error = await #expect(throws: WorkflowError.self) { _ = try await processor.run { _ in } }
    #expect(error?.description == "event 17 is bad")
  }
}
