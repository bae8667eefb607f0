import Foundation
import InferenceBackendONNX
import InferenceRuntime
import KServeProtocol
import Logging
import Testing

/// The bundled example models through the real ONNX Runtime (from the project's .venv).
@Suite(.timeLimit(.minutes(5))) struct ONNXBackendTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
  static let models = root.appendingPathComponent("examples/models")
  static let logger: Logger = {
    var logger = Logger(label: "test")
    logger.logLevel = .critical
    return logger
  }()

  static func runtime(repositories: [URL] = [models], library: String? = nil) async throws -> ModelRuntime {
    let runtime = ModelRuntime(
      configuration: RuntimeConfiguration(repositories: repositories),
      backends: BackendRegistry([ONNXRuntimeBackend(libraryPath: library, logger: logger)]), logger: logger)
    try await runtime.loadAll()
    return runtime
  }

  /// Runs `body` against a runtime whose service (the batchers' timers) is running, then shuts it down.
  static func withRunning<R: Sendable>(_ body: @Sendable (ModelRuntime) async throws -> R) async throws -> R {
    let runtime = try await runtime()
    return try await withThrowingTaskGroup(of: Void.self) { group in
      group.addTask { await runtime.run() }
      defer { group.cancelAll() }
      let result = try await body(runtime)
      await runtime.shutdown()
      return result
    }
  }

  @Test func libraryIsFoundAndPinned() async throws {
    let backend = ONNXRuntimeBackend(libraryPath: nil, logger: Self.logger)
    #expect(try backend.runtimeVersion() == ONNXRuntimeLocator.pinnedVersion)
  }

  /// Servers started and stopped side by side in one process (as the test suites do) each have a
  /// backend; ONNX Runtime allows one environment at a time, so every backend must get the process's one
  /// (creating a second while the first was being released once failed a model load in CI).
  @Test func backendsCreatedAndDroppedSideBySideAllLoad() async throws {
    let model = Self.models.appendingPathComponent("add_sub/1/model.onnx")
    for round in 0..<20 {
      try await withThrowingTaskGroup(of: Void.self) { group in
        for index in 0..<4 {
          group.addTask {
            let backend = ONNXRuntimeBackend(
              libraryPath: nil, sharedIntraOpThreads: 1 + (round + index) % 3, logger: Self.logger)
            let signature = try backend.signature(of: model)
            #expect(signature.inputs.count == 2, "round \(round), backend \(index)")
          }
        }
        try await group.waitForAll()
      }
    }
  }

  @Test func everyExampleModelLoads() async throws {
    let runtime = try await Self.runtime()
    let index = runtime.repositoryIndex()
    #expect(index.count >= 19)
    for entry in index { #expect(entry.state == .ready, "\(entry.name): \(entry.reason)") }
  }

  static func bytes(for type: DataType, count: Int) -> Data {
    if type == .bytes {
      return BytesTensorCodec.encode((0..<count).map { i in i == 0 ? [] : Array("é\(i)\u{0}x".utf8) + [0xFF] })
    }
    let size = type.elementSize!
    var data = Data(count: count * size)
    for i in 0..<data.count { data[i] = UInt8(truncatingIfNeeded: i &* 37 &+ 11) }
    if type == .bool { for i in 0..<data.count { data[i] = UInt8(i % 2) } }
    return data
  }

  @Test(arguments: DataType.allCases)
  func identityRoundTripIsExact(_ type: DataType) async throws {
    try await Self.withRunning { runtime in
      let name = "identity_" + type.rawValue.lowercased()
      let input = Self.bytes(for: type, count: 6)
      let response = try await runtime.infer(
        InferenceRequest(
          modelName: name, id: "id-\(name)",
          inputs: [InferenceTensor(name: "INPUT0", datatype: type, shape: [2, 3], data: input)]))
      let output = try #require(response.outputs.first)
      #expect(response.id == "id-\(name)")
      #expect(output.name == "OUTPUT0")
      #expect(output.datatype == type)
      #expect(output.shape == [2, 3])
      #expect(output.data == input)
    }
  }

  @Test func addSubComputesBothOutputsAndSubsets() async throws {
    try await Self.withRunning { runtime in
      let a = (0..<32).map { Float($0) * 0.5 }
      let b = (0..<32).map { Float(100 - $0) }
      func data(_ values: [Float]) -> Data { values.withUnsafeBytes { Data($0) } }
      func floats(_ data: Data) -> [Float] { data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) } }
      let inputs = [
        InferenceTensor(name: "INPUT0", datatype: .fp32, shape: [2, 16], data: data(a)),
        InferenceTensor(name: "INPUT1", datatype: .fp32, shape: [2, 16], data: data(b)),
      ]
      let both = try await runtime.infer(InferenceRequest(modelName: "add_sub", inputs: inputs))
      #expect(floats(both.outputs[0].data) == zip(a, b).map { $0 + $1 })
      #expect(floats(both.outputs[1].data) == zip(a, b).map { $0 - $1 })
      let subset = try await runtime.infer(
        InferenceRequest(modelName: "add_sub_partial", inputs: inputs, outputs: [RequestedOutput(name: "OUTPUT1")]))
      #expect(subset.outputs.map(\.name) == ["OUTPUT1"])
      #expect(floats(subset.outputs[0].data) == zip(a, b).map { $0 - $1 })
    }
  }

  @Test(arguments: [1, 1024])
  func ghostMLPGivesProbabilities(batch: Int) async throws {
    try await Self.withRunning { runtime in
      let features = (0..<(batch * 17)).map { Float(($0 % 23) - 11) / 7 }
      let response = try await runtime.infer(
        InferenceRequest(
          modelName: "ghost_mlp",
          inputs: [
            InferenceTensor(
              name: "features", datatype: .fp32, shape: [Int64(batch), 17], data: features.withUnsafeBytes { Data($0) })
          ]))
      let output = try #require(response.outputs.first)
      #expect(output.shape == [Int64(batch), 1])
      let probabilities = output.data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
      #expect(probabilities.count == batch)
      #expect(probabilities.allSatisfy { $0 > 0 && $0 < 1 })
    }
  }

  @Test func corruptModelFileIsReportedAndOthersServe() async throws {
    let repository = FileManager.default.temporaryDirectory.appendingPathComponent("onnx-corrupt-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: repository) }
    let broken = repository.appendingPathComponent("broken/1")
    try FileManager.default.createDirectory(at: broken, withIntermediateDirectories: true)
    try Data("this is not an ONNX protobuf".utf8).write(to: broken.appendingPathComponent("model.onnx"))
    try "platform: \"onnxruntime_onnx\"\n".write(
      to: repository.appendingPathComponent("broken/config.pbtxt"), atomically: true, encoding: .utf8)
    let good = repository.appendingPathComponent("add_sub")
    try FileManager.default.copyItem(at: Self.models.appendingPathComponent("add_sub"), to: good)
    let runtime = try await Self.runtime(repositories: [repository])
    let index = Dictionary(uniqueKeysWithValues: runtime.repositoryIndex().map { ($0.name, $0) })
    #expect(index["broken"]?.state == .unavailable)
    #expect(index["broken"]?.reason.contains("ONNX Runtime cannot load") == true)
    #expect(index["add_sub"]?.state == .ready)
  }

  @Test func missingLibraryMarksModelsUnavailableWithTheFix() async throws {
    let runtime = try await Self.runtime(library: "/nonexistent/libonnxruntime.so")
    let entry = try #require(runtime.repositoryIndex().first)
    #expect(entry.state == .unavailable)
    #expect(entry.reason.contains("ONNX Runtime is not available"))
    #expect(entry.reason.contains("/nonexistent/libonnxruntime.so"))
  }

  @Test func threadParametersAreValidated() async throws {
    let repository = FileManager.default.temporaryDirectory.appendingPathComponent("onnx-params-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: repository) }
    for (name, value) in [("good", "2"), ("bad", "lots")] {
      let directory = repository.appendingPathComponent(name)
      try FileManager.default.createDirectory(
        at: directory.appendingPathComponent("1"), withIntermediateDirectories: true)
      try FileManager.default.copyItem(
        at: Self.models.appendingPathComponent("add_sub/1/model.onnx"),
        to: directory.appendingPathComponent("1/model.onnx"))
      try """
      backend: "onnxruntime"
      max_batch_size: 8
      parameters { key: "intra_op_thread_count" value: { string_value: "\(value)" } }
      """.write(to: directory.appendingPathComponent("config.pbtxt"), atomically: true, encoding: .utf8)
    }
    let runtime = try await Self.runtime(repositories: [repository])
    let index = Dictionary(uniqueKeysWithValues: runtime.repositoryIndex().map { ($0.name, $0) })
    #expect(index["good"]?.state == .ready)
    #expect(index["bad"]?.reason.contains("intra_op_thread_count") == true)
  }
}
