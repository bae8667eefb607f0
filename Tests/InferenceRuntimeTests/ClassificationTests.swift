import Foundation
import InferenceRuntime
import KServeProtocol
import OffloadTestSupport
import Synchronization
import Testing

/// Triton's classification extension: top-N strings per batch row, labels, and the checks before a model runs.
@Suite(.timeLimit(.minutes(1))) struct ClassificationTests {
  static func floats(_ values: [Float], shape: [Int64]) throws -> InferenceTensor {
    try InferenceTensor(name: "OUTPUT0", values: values, shape: shape)
  }

  @Test func topEntriesPerRowHighestFirstWithLabels() throws {
    let tensor = try Self.floats([0.1, 0.7, 0.2, 0.4, 5, -1, 3.5, 9.25], shape: [2, 4])
    let classes = try Classification.topClasses(tensor, count: 2, batched: true, labels: ["a", "b", "c"])
    #expect(classes.datatype == .bytes)
    #expect(classes.shape == [2, 2])
    // Index 3 has no label (the file has three lines): no third field, as Triton.
    #expect(try classes.strings() == ["0.700000:1:b", "0.400000:3", "9.250000:3", "5.000000:0:a"])
  }

  @Test func countIsCappedTiesKeepIndexOrderAndNaNIsLast() throws {
    let tensor = try Self.floats([1, .nan, 1, 2], shape: [4])
    let classes = try Classification.topClasses(tensor, count: 10, batched: false, labels: nil)
    #expect(classes.shape == [4])
    #expect(try classes.strings() == ["2.000000:3", "1.000000:0", "1.000000:2", "nan:1"])
  }

  @Test func integersPrintAsIntegers() throws {
    // 2^53 + 1 and 2^53 are equal as doubles: the order must come from the integers themselves.
    let tensor = try InferenceTensor(
      name: "y", values: [Int64(-3), 9_007_199_254_740_992, 9_007_199_254_740_993, 7], shape: [1, 4])
    let classes = try Classification.topClasses(tensor, count: 3, batched: true, labels: nil)
    #expect(try classes.strings() == ["9007199254740993:2", "9007199254740992:1", "7:3"])
    let bytes = try InferenceTensor(name: "u", values: [UInt8(200), 3], shape: [2])
    #expect(try Classification.topClasses(bytes, count: 1, batched: false, labels: nil).strings() == ["200:0"])
  }

  @Test func unsupportedTypesAreRefused() throws {
    let flags = try InferenceTensor(name: "b", values: [true, false], shape: [2])
    #expect(throws: InferenceError.self) {
      try Classification.topClasses(flags, count: 1, batched: false, labels: nil)
    }
  }

  /// A pair model whose OUTPUT0 has labels; the fake backend echoes INPUT0 as OUTPUT0.
  static func labelledRuntime(_ repository: TemporaryRepository, labels: String?) throws -> ModelRuntime {
    try repository.addModel(
      "pair", config: "max_batch_size: 8\noutput [ { name: \"OUTPUT0\", label_filename: \"labels.txt\" } ]\n")
    if let labels {
      try labels.write(
        to: repository.root.appendingPathComponent("pair/labels.txt"), atomically: true, encoding: .utf8)
    }
    return ModelRuntimeTests.runtime(repository)
  }

  static func request(classification: InferenceParameter, output: String = "OUTPUT0") -> InferenceRequest {
    let values: [Float] = [0.5, 0.25, 0.75, 0.125, 1, 2, 3, 4]
    let data = values.withUnsafeBytes { Data($0) }
    var request = InferenceRequest(
      modelName: "pair",
      inputs: [
        InferenceTensor(name: "INPUT0", datatype: .fp32, shape: [2, 4], data: data),
        InferenceTensor(name: "INPUT1", datatype: .fp32, shape: [2, 4], data: data),
      ])
    request.outputs = [
      RequestedOutput(name: output, parameters: [Classification.parameter: classification]),
      RequestedOutput(name: "OUTPUT1"),
    ]
    return request
  }

  @Test func runtimeAnswersClassesWithLabelsAndLeavesOtherOutputsRaw() async throws {
    let repository = try TemporaryRepository()
    defer { repository.remove() }
    let runtime = try Self.labelledRuntime(repository, labels: "pion\r\nkaon\nproton\nelectron\n")
    try await runtime.loadAll()
    let response = try await runtime.infer(Self.request(classification: .int64(2)))
    #expect(response.outputs.map(\.name) == ["OUTPUT0", "OUTPUT1"])
    #expect(response.outputs[0].shape == [2, 2])
    #expect(
      try response.outputs[0].strings() == [
        "0.750000:2:proton", "0.500000:0:pion", "4.000000:3:electron", "3.000000:2:proton",
      ])
    #expect(response.outputs[1].datatype == .fp32)
    #expect(try response.outputs[1].values(as: Float.self).count == 8)
    // 0 asks for the raw output.
    let raw = try await runtime.infer(Self.request(classification: .int64(0)))
    #expect(raw.outputs[0].datatype == .fp32)
  }

  @Test func badCountsAreRefusedBeforeTheModelRuns() async throws {
    let repository = try TemporaryRepository()
    defer { repository.remove() }
    let backend = FakeBackend(.pair)
    try repository.addModel("pair", config: "max_batch_size: 8\n")
    let runtime = ModelRuntimeTests.runtime(repository, backend: backend)
    try await runtime.loadAll()
    for bad in [InferenceParameter.int64(-1), .string("3"), .bool(true)] {
      let error = await #expect(throws: InferenceError.self) {
        _ = try await runtime.infer(Self.request(classification: bad))
      }
      #expect(error?.code == .invalidArgument)
      #expect(error?.message.contains("non-negative integer") == true, "\(error?.message ?? "")")
    }
    #expect(backend.executions.count.withLock { $0 } == 0)
    _ = try await runtime.infer(Self.request(classification: .int64(1)))
    #expect(backend.executions.count.withLock { $0 } == 1)
  }

  @Test func aMissingOrEscapingLabelFileFailsTheLoadNamingIt() async throws {
    let repository = try TemporaryRepository()
    defer { repository.remove() }
    let runtime = try Self.labelledRuntime(repository, labels: nil)
    try repository.addModel(
      "escape", config: "output [ { name: \"OUTPUT0\", label_filename: \"../pair/config.pbtxt\" } ]\n")
    try await runtime.loadAll()
    let index = Dictionary(grouping: runtime.repositoryIndex(), by: \.name)
    #expect(!runtime.isModelReady(name: "pair", version: ""))
    #expect(index["pair"]?.first?.reason.contains("labels.txt") == true, "\(index["pair"] ?? [])")
    #expect(index["escape"]?.first?.reason.contains("must be a file name in the model directory") == true)
  }
}
