import Foundation
import InferenceRuntime
import KServeProtocol
import OffloadTestSupport
import Testing

/// A stateful test backend: per row, `SUM` = `INPUT` + `STATE_IN` (and `STATE_OUT` = `SUM`, the implicit
/// state), `FLAGS` = `START` + 2 × `END`, `ID` = `CORRID`, so a response shows what the server fed the model.
final class AccumulatorBackend: InferenceBackend, Sendable {
  let name = "acc"
  let platforms: [String] = []
  let defaultModelFilename = "model.acc"

  func signature(of modelFile: URL) throws -> ModelSignature {
    let tensor = { (name: String, type: DataType) in
      ModelSignature.Tensor(name: name, datatype: type, engineTypeName: "\(type)", shape: [-1, 1])
    }
    return ModelSignature(
      inputs: [
        tensor("INPUT", .fp32), tensor("STATE_IN", .fp32), tensor("START", .int32), tensor("END", .int32),
        tensor("CORRID", .uint64),
      ],
      outputs: [tensor("SUM", .fp32), tensor("STATE_OUT", .fp32), tensor("FLAGS", .fp32), tensor("ID", .fp32)])
  }

  func loadInstance(_ context: InstanceLoadContext) throws -> any ModelInstance { AccumulatorInstance() }
}

struct AccumulatorInstance: ModelInstance {
  func execute(inputs: [InferenceTensor], outputs: [OutputSpec]) throws -> ExecutionResult {
    func values<T: TensorElement>(_ name: String, _: T.Type) throws -> [T] {
      guard let tensor = inputs.first(where: { $0.name == name }) else {
        throw InferenceError(.internal, "the server did not feed '\(name)'")
      }
      return try tensor.values(as: T.self)
    }
    let input = try values("INPUT", Float.self)
    let sum = zip(input, try values("STATE_IN", Float.self)).map(+)
    let flags = zip(try values("START", Int32.self), try values("END", Int32.self)).map { Float($0 + 2 * $1) }
    let ids = try values("CORRID", UInt64.self).map(Float.init)
    let results = ["SUM": sum, "STATE_OUT": sum, "FLAGS": flags, "ID": ids]
    let rows = Int64(input.count)
    return ExecutionResult(
      outputs: try outputs.map { try InferenceTensor(name: $0.name, values: results[$0.name]!, shape: [rows, 1]) },
      timings: ComputeTimings(inputNanos: 1, inferNanos: 1, outputNanos: 1))
  }
}

/// Stateful models in the runtime: each sequence keeps its own implicit state, control tensors reach the
/// model, bad sequence requests are refused with the fix, and a misconfigured model is reported at load.
@Suite(.timeLimit(.minutes(1))) struct SequenceRuntimeTests {
  static func config(strategy: String = "", controls: String? = nil) -> String {
    """
    name: "acc"
    backend: "acc"
    max_batch_size: 4
    sequence_batching {
      max_sequence_idle_microseconds: 60000000
      \(strategy)
      control_input [
        \(controls ?? """
      { name: "START" control [ { kind: CONTROL_SEQUENCE_START int32_false_true: [ 0, 1 ] } ] },
          { name: "END" control [ { kind: CONTROL_SEQUENCE_END int32_false_true: [ 0, 1 ] } ] },
          { name: "CORRID" control [ { kind: CONTROL_SEQUENCE_CORRID data_type: TYPE_UINT64 } ] }
      """)
      ]
      state [ { input_name: "STATE_IN" output_name: "STATE_OUT" data_type: TYPE_FP32 dims: [ 1 ] } ]
    }
    """
  }

  static func runtime(_ config: String) async throws -> (ModelRuntime, TemporaryRepository) {
    let repository = try TemporaryRepository()
    try repository.addModel("acc", config: config, filename: "model.acc")
    let runtime = ModelRuntime(
      configuration: RuntimeConfiguration(repositories: [repository.root]),
      backends: BackendRegistry([AccumulatorBackend()]), logger: ModelRuntimeTests.logger)
    try await runtime.loadAll()
    return (runtime, repository)
  }

  static func request(
    _ value: Float, sequence: UInt64?, start: Bool = false, end: Bool = false, rows: Int = 1
  ) throws
    -> InferenceRequest
  {
    var parameters: [String: InferenceParameter] = [:]
    if let sequence { parameters["sequence_id"] = .uint64(sequence) }
    if start { parameters["sequence_start"] = .bool(true) }
    if end { parameters["sequence_end"] = .bool(true) }
    return InferenceRequest(
      modelName: "acc",
      inputs: [
        try InferenceTensor(name: "INPUT", values: Array(repeating: value, count: rows), shape: [Int64(rows), 1])
      ],
      parameters: parameters)
  }

  static func value(_ response: InferenceResponse, _ name: String) throws -> Float {
    try #require(response.outputs.first { $0.name == name }).values(as: Float.self)[0]
  }

  @Test func clientsSeeOnlyTheirOwnTensors() async throws {
    let (runtime, repository) = try await Self.runtime(Self.config())
    defer { repository.remove() }
    let metadata = try runtime.metadata(name: "acc", version: "")
    #expect(metadata.inputs.map(\.name) == ["INPUT"], "controls and state are the server's")
    #expect(metadata.outputs.map(\.name) == ["SUM", "FLAGS", "ID"])
    await runtime.shutdown()
  }

  @Test(arguments: ["", "oldest { max_candidate_sequences: 8 }"])
  func interleavedSequencesEachKeepTheirOwnRunningSum(strategy: String) async throws {
    let (runtime, repository) = try await Self.runtime(Self.config(strategy: strategy))
    defer { repository.remove() }
    var response = try await runtime.infer(Self.request(1, sequence: 11, start: true))
    #expect(
      try Self.value(response, "SUM") == 1 && Self.value(response, "FLAGS") == 1 && Self.value(response, "ID") == 11)
    response = try await runtime.infer(Self.request(10, sequence: 22, start: true))
    #expect(try Self.value(response, "SUM") == 10)
    response = try await runtime.infer(Self.request(2, sequence: 11))
    #expect(try Self.value(response, "SUM") == 3 && Self.value(response, "FLAGS") == 0)
    response = try await runtime.infer(Self.request(5, sequence: 22))
    #expect(try Self.value(response, "SUM") == 15 && Self.value(response, "ID") == 22)
    response = try await runtime.infer(Self.request(3, sequence: 11, end: true))
    #expect(try Self.value(response, "SUM") == 6 && Self.value(response, "FLAGS") == 2)
    // Ended: it must start again, and then starts from the initial state.
    let error = await #expect(throws: InferenceError.self) {
      _ = try await runtime.infer(Self.request(4, sequence: 11))
    }
    #expect(error?.code == .invalidArgument && error?.message.contains("sequence 11 is not active") == true)
    response = try await runtime.infer(Self.request(4, sequence: 11, start: true))
    #expect(try Self.value(response, "SUM") == 4)
    // A start in the middle of a live sequence restarts it.
    response = try await runtime.infer(Self.request(7, sequence: 22, start: true))
    #expect(try Self.value(response, "SUM") == 7)
    let stats = try #require(try runtime.statistics(name: "acc", version: "").first)
    #expect(stats.success.count == 7 && stats.fail.count == 1)
    await runtime.shutdown()
  }

  @Test func concurrentSequencesNeverMixTheirStates() async throws {
    let (runtime, repository) = try await Self.runtime(Self.config())
    defer { repository.remove() }
    let sums = try await withThrowingTaskGroup(of: (UInt64, Float).self) { group in
      for sequence in UInt64(1)...6 {
        group.addTask {
          var last: Float = 0
          for step in 0..<5 {
            let response = try await runtime.infer(
              Self.request(Float(sequence) * 100 + Float(step), sequence: sequence, start: step == 0, end: step == 4))
            last = try Self.value(response, "SUM")
          }
          return (sequence, last)
        }
      }
      return try await group.reduce(into: [UInt64: Float]()) { $0[$1.0] = $1.1 }
    }
    for sequence in UInt64(1)...6 {
      #expect(sums[sequence] == Float(sequence) * 500 + 10, "sequence \(sequence)")
    }
    await runtime.shutdown()
  }

  @Test func badSequenceRequestsAreRefusedWithTheFix() async throws {
    let (runtime, repository) = try await Self.runtime(Self.config())
    defer { repository.remove() }
    let cases: [(InferenceRequest, String)] = [
      (try Self.request(1, sequence: nil, start: true), "has no sequence_id"),
      (try Self.request(1, sequence: 0, start: true), "sequence_id 0 is not valid"),
      (try Self.request(1, sequence: 5), "sequence 5 is not active"),
      (try Self.request(1, sequence: 6, start: true, rows: 2), "carries one row"),
    ]
    for (request, fragment) in cases {
      let error = await #expect(throws: InferenceError.self) { _ = try await runtime.infer(request) }
      #expect(error?.code == .invalidArgument)
      #expect(error?.message.contains(fragment) == true, "\(error?.message ?? "")")
    }
    var named = try Self.request(1, sequence: 8, start: true)
    named.parameters["sequence_id"] = .string("run-8")
    let refused = await #expect(throws: InferenceError.self) { _ = try await runtime.infer(named) }
    #expect(refused?.message.contains("CORRID control 'CORRID' is UINT64") == true, "\(refused?.message ?? "")")
    var flagged = try Self.request(1, sequence: 8, start: true)
    flagged.parameters["sequence_start"] = .string("yes")
    let error = await #expect(throws: InferenceError.self) { _ = try await runtime.infer(flagged) }
    #expect(error?.message.contains("sequence_start is 'yes'") == true)
    // The model still serves.
    _ = try await runtime.infer(Self.request(1, sequence: 9, start: true, end: true))
    await runtime.shutdown()
  }

  @Test func anEnsembleCanContainAStatefulModel() async throws {
    // X -> acc (running sum per sequence) -> TOTAL; the ensemble request's sequence parameters reach the step.
    let repository = try TemporaryRepository()
    defer { repository.remove() }
    try repository.addModel("acc", config: Self.config(), filename: "model.acc")
    try repository.addModel(
      "stream",
      config: """
        name: "stream"
        platform: "ensemble"
        max_batch_size: 4
        input [ { name: "X" data_type: TYPE_FP32 dims: [ 1 ] } ]
        output [ { name: "TOTAL" data_type: TYPE_FP32 dims: [ 1 ] }, { name: "SEEN" data_type: TYPE_FP32 dims: [ 1 ] } ]
        ensemble_scheduling { step [ {
          model_name: "acc" model_version: -1
          input_map { key: "INPUT" value: "X" }
          output_map { key: "SUM" value: "TOTAL" }
          output_map { key: "ID" value: "SEEN" }
        } ] }
        """, versions: [1: ""], filename: ".keep")
    let runtime = ModelRuntime(
      configuration: RuntimeConfiguration(repositories: [repository.root]),
      backends: BackendRegistry([AccumulatorBackend()]), logger: ModelRuntimeTests.logger)
    try await runtime.loadAll()
    var totals: [UInt64: Float] = [:]
    for step in 0..<3 {
      for sequence: UInt64 in [5, 6] {
        var request = try Self.request(Float(sequence) + Float(step), sequence: sequence, start: step == 0)
        request.modelName = "stream"
        request.inputs[0].name = "X"
        let response = try await runtime.infer(request)
        totals[sequence, default: 0] += Float(sequence) + Float(step)
        #expect(try Self.value(response, "TOTAL") == totals[sequence])
        #expect(try Self.value(response, "SEEN") == Float(sequence))
      }
    }
    await runtime.shutdown()
  }

  @Test func aControlTheModelLacksIsALoadError() async throws {
    let missing = Self.config(
      controls: "{ name: \"BEGIN\" control [ { kind: CONTROL_SEQUENCE_START int32_false_true: [ 0, 1 ] } ] }")
    let (runtime, repository) = try await Self.runtime(missing)
    defer { repository.remove() }
    let entry = try #require(runtime.repositoryIndex().first { $0.name == "acc" })
    #expect(entry.state == .unavailable)
    #expect(entry.reason.contains("'BEGIN' as a control or state input"), "\(entry.reason)")
    let twoValues = Self.config(
      controls: "{ name: \"START\" control [ { kind: CONTROL_SEQUENCE_START int32_false_true: [ 1 ] } ] }")
    let (other, otherRepository) = try await Self.runtime(twoValues)
    defer { otherRepository.remove() }
    let reason = try #require(other.repositoryIndex().first { $0.name == "acc" }).reason
    #expect(reason.contains("two values [false, true]"), "\(reason)")
    await runtime.shutdown()
    await other.shutdown()
  }
}
