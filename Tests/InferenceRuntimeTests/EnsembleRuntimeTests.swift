import Foundation
import InferenceRuntime
import KServeProtocol
import OffloadTestSupport
import Synchronization
import Testing
import TritonModelConfig

/// A backend that computes, so that an ensemble's wiring shows in its numbers. The model file names the
/// operation on two FP32 inputs `A`, `B` of shape [-1, 4]: `add_sub` gives `SUM` = A + B and `DIFF` = A - B;
/// `mul` gives `SUM` = A * B and `DIFF` = A * A; `fail` loads but fails every execution.
final class ArithmeticBackend: InferenceBackend, Sendable {
  let name = "arith"
  let platforms: [String] = []
  let defaultModelFilename = "model.arith"
  let executions = Mutex<[String: Int]>([:])

  func signature(of modelFile: URL) throws -> ModelSignature {
    let tensor = { (name: String) in
      ModelSignature.Tensor(name: name, datatype: .fp32, engineTypeName: "tensor(float)", shape: [-1, 4])
    }
    return ModelSignature(inputs: [tensor("A"), tensor("B")], outputs: [tensor("SUM"), tensor("DIFF")])
  }

  func loadInstance(_ context: InstanceLoadContext) throws -> any ModelInstance {
    let operation = try String(contentsOf: context.modelFile, encoding: .utf8).trimmingCharacters(in: .whitespaces)
    return ArithmeticInstance(model: context.config.name, operation: operation, backend: self)
  }
}

struct ArithmeticInstance: ModelInstance {
  let model: String
  let operation: String
  let backend: ArithmeticBackend

  func execute(inputs: [InferenceTensor], outputs: [OutputSpec]) throws -> ExecutionResult {
    backend.executions.withLock { $0[model, default: 0] += 1 }
    guard operation != "fail" else { throw InferenceError(.internal, "the engine failed on purpose") }
    let a = try inputs[0].values(as: Float.self)
    let b = try inputs[1].values(as: Float.self)
    let results: [String: [Float]] =
      operation == "mul"
      ? ["SUM": zip(a, b).map(*), "DIFF": a.map { $0 * $0 }]
      : ["SUM": zip(a, b).map(+), "DIFF": zip(a, b).map(-)]
    let tensors = try outputs.map { spec in
      try InferenceTensor(name: spec.name, values: results[spec.name]!, shape: inputs[0].shape)
    }
    return ExecutionResult(outputs: tensors, timings: ComputeTimings(inputNanos: 1, inferNanos: 2, outputNanos: 3))
  }
}

/// Ensembles in the runtime: steps go to their composing models as ordinary requests, results flow
/// between steps, statistics land where Triton puts them, and a broken ensemble is reported, not fatal.
@Suite(.timeLimit(.minutes(1))) struct EnsembleRuntimeTests {
  static func arithmetic(_ name: String, _ operation: String, batch: Int = 8) -> (String, String, String) {
    (name, "name: \"\(name)\"\nbackend: \"arith\"\nmax_batch_size: \(batch)\n", operation)
  }

  /// `X`, `Y` -> add_sub -> (s, d) -> mul -> `PRODUCT` = (X+Y)(X-Y) and `SQUARE` = (X+Y)^2; also `SUM` = s.
  static let pipeline = """
    name: "pipeline"
    platform: "ensemble"
    max_batch_size: 8
    input [ { name: "X" data_type: TYPE_FP32 dims: [ 4 ] }, { name: "Y" data_type: TYPE_FP32 dims: [ 4 ] } ]
    output [
      { name: "PRODUCT" data_type: TYPE_FP32 dims: [ 4 ] },
      { name: "SQUARE" data_type: TYPE_FP32 dims: [ 4 ] },
      { name: "SUM" data_type: TYPE_FP32 dims: [ 4 ] }
    ]
    ensemble_scheduling {
      step [
        {
          model_name: "times"
          model_version: -1
          input_map { key: "A" value: "s" }
          input_map { key: "B" value: "d" }
          output_map { key: "SUM" value: "PRODUCT" }
          output_map { key: "DIFF" value: "SQUARE" }
        },
        {
          model_name: "plus"
          model_version: 1
          input_map { key: "A" value: "X" }
          input_map { key: "B" value: "Y" }
          output_map { key: "SUM" value: "s" }
          output_map { key: "DIFF" value: "d" }
        },
        {
          model_name: "plus"
          model_version: -1
          input_map { key: "A" value: "X" }
          input_map { key: "B" value: "Y" }
          output_map { key: "SUM" value: "SUM" }
        }
      ]
    }
    """

  static func repository(
    _ models: [(String, String, String)], ensembles: [String: String]
  ) throws -> TemporaryRepository {
    let repository = try TemporaryRepository()
    for (name, config, operation) in models {
      try repository.addModel(name, config: config, versions: [1: operation], filename: "model.arith")
    }
    for (name, config) in ensembles {
      // An ensemble's version directory is empty.
      try repository.addModel(name, config: config, versions: [:])
      try FileManager.default.createDirectory(
        at: repository.root.appendingPathComponent(name).appendingPathComponent("1"), withIntermediateDirectories: true)
    }
    return repository
  }

  static func runtime(
    _ repository: TemporaryRepository, backend: ArithmeticBackend, control: ModelControlMode = .none
  ) async throws -> ModelRuntime {
    var configuration = RuntimeConfiguration(repositories: [repository.root])
    configuration.modelControl = control
    let runtime = ModelRuntime(
      configuration: configuration, backends: BackendRegistry([backend]), logger: ModelRuntimeTests.logger)
    try await runtime.loadAll()
    return runtime
  }

  static func request(
    _ model: String, x: [Float], y: [Float], names: (String, String) = ("X", "Y")
  ) throws
    -> InferenceRequest
  {
    let rows = Int64(x.count / 4)
    return InferenceRequest(
      modelName: model, id: "req-1",
      inputs: [
        try InferenceTensor(name: names.0, values: x, shape: [rows, 4]),
        try InferenceTensor(name: names.1, values: y, shape: [rows, 4]),
      ])
  }

  static func output(_ response: InferenceResponse, _ name: String) throws -> [Float] {
    try #require(response.outputs.first { $0.name == name }).values(as: Float.self)
  }

  static let x: [Float] = [1, 2, 3, 4, 5, 6, 7, 8]
  static let y: [Float] = [0.5, -1, 2, 10, 0, 3, -2, 1]

  @Test func theEnsembleGivesWhatRunningItsStepsByHandGives() async throws {
    let repository = try Self.repository(
      [Self.arithmetic("plus", "add_sub"), Self.arithmetic("times", "mul")], ensembles: ["pipeline": Self.pipeline])
    defer { repository.remove() }
    let backend = ArithmeticBackend()
    let runtime = try await Self.runtime(repository, backend: backend)

    let response = try await runtime.infer(Self.request("pipeline", x: Self.x, y: Self.y))
    #expect(response.modelName == "pipeline" && response.modelVersion == "1" && response.id == "req-1")
    #expect(response.outputs.map(\.name) == ["PRODUCT", "SQUARE", "SUM"])
    #expect(response.outputs.allSatisfy { $0.shape == [2, 4] })

    // By hand: the first model, then the second on its outputs.
    let first = try await runtime.infer(Self.request("plus", x: Self.x, y: Self.y, names: ("A", "B")))
    let s = try Self.output(first, "SUM")
    let d = try Self.output(first, "DIFF")
    let second = try await runtime.infer(Self.request("times", x: s, y: d, names: ("A", "B")))
    #expect(try Self.output(response, "PRODUCT") == Self.output(second, "SUM"))
    #expect(try Self.output(response, "SQUARE") == Self.output(second, "DIFF"))
    #expect(try Self.output(response, "SUM") == s)
    #expect(try Self.output(response, "PRODUCT") == zip(Self.x, Self.y).map { ($0 + $1) * ($0 - $1) })

    // Requested outputs only, in the order asked.
    var subset = try Self.request("pipeline", x: Self.x, y: Self.y)
    subset.outputs = [RequestedOutput(name: "SQUARE")]
    let only = try await runtime.infer(subset)
    #expect(only.outputs.map(\.name) == ["SQUARE"])
    await runtime.shutdown()
  }

  @Test func statisticsCountTheEnsembleAndEachComposingModelAsTritonDoes() async throws {
    let repository = try Self.repository(
      [Self.arithmetic("plus", "add_sub"), Self.arithmetic("times", "mul")], ensembles: ["pipeline": Self.pipeline])
    defer { repository.remove() }
    let backend = ArithmeticBackend()
    let runtime = try await Self.runtime(repository, backend: backend)
    for _ in 0..<3 { _ = try await runtime.infer(Self.request("pipeline", x: Self.x, y: Self.y)) }

    #expect(backend.executions.withLock { $0 } == ["plus": 6, "times": 3], "plus is two steps, times one")
    let ensemble = try #require(try runtime.statistics(name: "pipeline", version: "").first)
    #expect(ensemble.success.count == 3 && ensemble.inferenceCount == 6, "3 requests of 2 rows")
    #expect(ensemble.executionCount == 0, "an ensemble executes nothing itself")
    #expect(ensemble.computeInfer.count == 3 && ensemble.computeInfer.nanoseconds == 3 * 3 * 2, "its steps' sum")
    let plus = try #require(try runtime.statistics(name: "plus", version: "").first)
    #expect(plus.success.count == 6 && plus.executionCount == 6 && plus.inferenceCount == 12)
    let times = try #require(try runtime.statistics(name: "times", version: "").first)
    #expect(times.success.count == 3)
    await runtime.shutdown()
  }

  @Test func aCachedEnsembleAnswersARepeatWithoutRunningItsSteps() async throws {
    let cached = Self.pipeline.replacingOccurrences(
      of: "max_batch_size: 8\n", with: "max_batch_size: 8\nresponse_cache { enable: true }\n")
    let repository = try Self.repository(
      [Self.arithmetic("plus", "add_sub"), Self.arithmetic("times", "mul")], ensembles: ["pipeline": cached])
    defer { repository.remove() }
    let backend = ArithmeticBackend()
    var configuration = RuntimeConfiguration(repositories: [repository.root])
    configuration.responseCacheBytes = 1 << 20
    let runtime = ModelRuntime(
      configuration: configuration, backends: BackendRegistry([backend]), logger: ModelRuntimeTests.logger)
    try await runtime.loadAll()
    let first = try await runtime.infer(Self.request("pipeline", x: Self.x, y: Self.y))
    let second = try await runtime.infer(Self.request("pipeline", x: Self.x, y: Self.y))
    #expect(second.outputs.map(\.data) == first.outputs.map(\.data))
    #expect(backend.executions.withLock { $0 } == ["plus": 2, "times": 1], "the repeat ran no step")
    let stats = try #require(try runtime.statistics(name: "pipeline", version: "").first)
    #expect(stats.cacheHit.count == 1 && stats.cacheMiss.count == 1 && stats.success.count == 2)
    await runtime.shutdown()
  }

  @Test func aFailingStepFailsTheRequestNamingTheEnsembleAndTheStep() async throws {
    let repository = try Self.repository(
      [Self.arithmetic("plus", "add_sub"), Self.arithmetic("times", "fail")], ensembles: ["pipeline": Self.pipeline])
    defer { repository.remove() }
    let runtime = try await Self.runtime(repository, backend: ArithmeticBackend())
    let error = await #expect(throws: InferenceError.self) {
      _ = try await runtime.infer(Self.request("pipeline", x: Self.x, y: Self.y))
    }
    #expect(error?.code == .internal)
    #expect(error?.message.contains("ensemble 'pipeline' step 1 (model 'times')") == true, "\(error?.message ?? "")")
    #expect(error?.message.contains("failed on purpose") == true)
    let ensemble = try #require(try runtime.statistics(name: "pipeline", version: "").first)
    #expect(ensemble.fail.count == 1 && ensemble.success.count == 0)
    // Bad input to the ensemble is refused by the ensemble's own config, before any step.
    let wrong = InferenceRequest(
      modelName: "pipeline", inputs: [try InferenceTensor(name: "X", values: Self.x, shape: [2, 4])])
    let refusal = await #expect(throws: InferenceError.self) { _ = try await runtime.infer(wrong) }
    #expect(refusal?.code == .invalidArgument && refusal?.message.contains("'Y'") == true)
    await runtime.shutdown()
  }

  @Test func aMissingComposingModelMakesTheEnsembleUnavailableWithTheReason() async throws {
    let repository = try Self.repository([Self.arithmetic("plus", "add_sub")], ensembles: ["pipeline": Self.pipeline])
    defer { repository.remove() }
    let runtime = try await Self.runtime(repository, backend: ArithmeticBackend())
    let entry = try #require(runtime.repositoryIndex().first { $0.name == "pipeline" })
    #expect(entry.state == .unavailable)
    #expect(entry.reason.contains("step 1 (model 'times') is not available"), "\(entry.reason)")
    #expect(entry.reason.contains("unknown model 'times'"))
    let error = await #expect(throws: InferenceError.self) {
      _ = try await runtime.infer(Self.request("pipeline", x: Self.x, y: Self.y))
    }
    #expect(error?.code == .unavailable && error?.message.contains("times") == true)
    // The rest keeps serving.
    _ = try await runtime.infer(Self.request("plus", x: Self.x, y: Self.y, names: ("A", "B")))
    await runtime.shutdown()
  }

  @Test func shapeAndTypeDisagreementsBetweenStepsAreLoadErrors() async throws {
    let mismatched = Self.pipeline.replacingOccurrences(
      of: "{ name: \"X\" data_type: TYPE_FP32 dims: [ 4 ] }", with: "{ name: \"X\" data_type: TYPE_FP32 dims: [ 3 ] }")
    let repository = try Self.repository(
      [Self.arithmetic("plus", "add_sub"), Self.arithmetic("times", "mul")], ensembles: ["pipeline": mismatched])
    defer { repository.remove() }
    let runtime = try await Self.runtime(repository, backend: ArithmeticBackend())
    let entry = try #require(runtime.repositoryIndex().first { $0.name == "pipeline" })
    #expect(entry.state == .unavailable)
    #expect(entry.reason.contains("tensor 'X' has shape [-1,3] as ensemble input 'X'"), "\(entry.reason)")
    await runtime.shutdown()
  }

  @Test func loadingAnEnsembleLoadsItsComposingModels() async throws {
    let repository = try Self.repository(
      [Self.arithmetic("plus", "add_sub"), Self.arithmetic("times", "mul"), Self.arithmetic("other", "mul")],
      ensembles: ["pipeline": Self.pipeline])
    defer { repository.remove() }
    let runtime = try await Self.runtime(
      repository, backend: ArithmeticBackend(), control: .explicit(startupModels: ["pipeline"]))
    let ready = Set(runtime.repositoryIndex(readyOnly: true).map(\.name))
    #expect(ready == ["pipeline", "plus", "times"], "'other' is not part of it")
    _ = try await runtime.infer(Self.request("pipeline", x: Self.x, y: Self.y))
    await runtime.shutdown()
  }

  @Test func ensemblesThatCallEachOtherAreRefused() async throws {
    let outer = { (name: String, inner: String) in
      """
      name: "\(name)"
      platform: "ensemble"
      max_batch_size: 8
      input [ { name: "A" data_type: TYPE_FP32 dims: [ 4 ] }, { name: "B" data_type: TYPE_FP32 dims: [ 4 ] } ]
      output [ { name: "SUM" data_type: TYPE_FP32 dims: [ 4 ] } ]
      ensemble_scheduling { step [ {
        model_name: "\(inner)" model_version: -1
        input_map { key: "A" value: "A" } input_map { key: "B" value: "B" } output_map { key: "SUM" value: "SUM" }
      } ] }
      """
    }
    // first -> plus is fine; then first is changed to call second, which calls first.
    let repository = try Self.repository(
      [Self.arithmetic("plus", "add_sub")],
      ensembles: ["first": outer("first", "plus"), "second": outer("second", "first")])
    defer { repository.remove() }
    let runtime = try await Self.runtime(
      repository, backend: ArithmeticBackend(), control: .explicit(startupModels: nil))
    // Nested ensembles work.
    let nested = try await runtime.infer(Self.request("second", x: Self.x, y: Self.y, names: ("A", "B")))
    #expect(try Self.output(nested, "SUM") == zip(Self.x, Self.y).map(+))
    try outer("first", "second").write(
      to: repository.root.appendingPathComponent("first/config.pbtxt"), atomically: true, encoding: .utf8)
    let error = await #expect(throws: InferenceError.self) { try await runtime.load(modelNamed: "first") }
    #expect(error?.message.contains("cycle: first -> second -> first") == true, "\(error?.message ?? "")")
    // The failed reload keeps the version that was serving.
    _ = try await runtime.infer(Self.request("second", x: Self.x, y: Self.y, names: ("A", "B")))
    await runtime.shutdown()
  }
}
