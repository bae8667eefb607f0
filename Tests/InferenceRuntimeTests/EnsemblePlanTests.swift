import InferenceRuntime
import KServeProtocol
import Testing
import TritonModelConfig

/// The ensemble data flow read from config.pbtxt: dependencies, the order steps may run in, the steps that
/// become ready as others finish, and each configuration error with the ensemble, step and field named.
@Suite(.timeLimit(.minutes(1))) struct EnsemblePlanTests {
  /// An ensemble config from its steps' text (`step [ ... ]` body) and its tensors.
  static func config(
    _ steps: String, inputs: [String] = ["RAW"], outputs: [String] = ["OUT"], batch: Int = 8, dims: String = "4"
  ) throws -> Inference_ModelConfig {
    let tensors = { (names: [String]) in
      names.map { "{ name: \"\($0)\" data_type: TYPE_FP32 dims: [ \(dims) ] }" }.joined(separator: ", ")
    }
    return try ModelConfigFile.parse(
      """
      name: "ens"
      platform: "ensemble"
      max_batch_size: \(batch)
      input [ \(tensors(inputs)) ]
      output [ \(tensors(outputs)) ]
      ensemble_scheduling { step [ \(steps) ] }
      """, path: "ens/config.pbtxt")
  }

  /// A step: `model` reading `inputs` (model tensor: ensemble tensor) and writing `outputs`.
  static func step(
    _ model: String, _ inputs: [String: String], _ outputs: [String: String], version: Int = -1
  ) -> String {
    let maps = { (field: String, map: [String: String]) in
      map.sorted { $0.key < $1.key }.map { "\(field) { key: \"\($0.key)\" value: \"\($0.value)\" }" }
        .joined(separator: " ")
    }
    return
      "{ model_name: \"\(model)\" model_version: \(version) \(maps("input_map", inputs)) \(maps("output_map", outputs)) }"
  }

  static func failure(_ body: () throws -> Void) -> String {
    do {
      try body()
      return ""
    } catch let error as InferenceError {
      return error.code == .invalidArgument ? error.message : "unexpected code \(error.code): \(error.message)"
    } catch {
      return "unexpected error \(error)"
    }
  }

  @Test func aChainRunsInDataFlowOrderWhateverTheConfigOrder() throws {
    // Listed backwards: the classifier first, the preprocessing after it.
    let plan = try EnsemblePlan(
      config: Self.config(
        [
          Self.step("classify", ["INPUT0": "normalized"], ["OUTPUT0": "OUT"]),
          Self.step("normalize", ["INPUT0": "RAW"], ["OUTPUT0": "normalized"], version: 2),
        ].joined(separator: ", ")))
    #expect(plan.steps.map(\.modelName) == ["classify", "normalize"])
    #expect(plan.steps[0].dependencies == [1])
    #expect(plan.steps[1].dependencies.isEmpty)
    #expect(plan.steps[1].modelVersion == "2" && plan.steps[0].modelVersion == "")
    #expect(plan.order == [1, 0])
    #expect(plan.composingModels == ["classify", "normalize"])
    #expect(plan.unusedInputs.isEmpty)
  }

  @Test func aDiamondReleasesBothBranchesTogetherAndJoinsWhenBothFinish() throws {
    let plan = try EnsemblePlan(
      config: Self.config(
        [
          Self.step("split", ["INPUT0": "RAW"], ["OUTPUT0": "a", "OUTPUT1": "b"]),
          Self.step("left", ["INPUT0": "a"], ["OUTPUT0": "left_out"]),
          Self.step("right", ["INPUT0": "b"], ["OUTPUT0": "right_out"]),
          Self.step("join", ["INPUT0": "left_out", "INPUT1": "right_out"], ["OUTPUT0": "OUT"]),
        ].joined(separator: ", "), inputs: ["RAW", "SPARE"]))
    #expect(plan.unusedInputs == ["SPARE"])
    #expect(plan.dependents == [[1, 2], [3], [3], []])
    var progress = EnsembleProgress(plan)
    #expect(progress.initiallyReady == [0])
    #expect(progress.complete(0) == [1, 2], "both branches read only the split's outputs")
    #expect(progress.complete(2) == [], "the join still waits for the left branch")
    #expect(!progress.isDone)
    #expect(progress.complete(1) == [3])
    #expect(progress.complete(3) == [])
    #expect(progress.isDone)
  }

  @Test func independentStepsAreAllReadyAtTheStart() throws {
    let plan = try EnsemblePlan(
      config: Self.config(
        [
          Self.step("a", ["INPUT0": "RAW"], ["OUTPUT0": "OUT"]),
          Self.step("b", ["INPUT0": "RAW"], ["OUTPUT0": "OTHER"]),
        ].joined(separator: ", "), outputs: ["OUT", "OTHER"]))
    #expect(EnsembleProgress(plan).initiallyReady == [0, 1])
  }

  @Test func configurationErrorsNameTheEnsembleTheStepAndTheFix() throws {
    let chain = { (a: String, b: String) in
      [Self.step("m1", ["INPUT0": a], ["OUTPUT0": "mid"]), Self.step("m2", ["INPUT0": b], ["OUTPUT0": "OUT"])]
        .joined(separator: ", ")
    }
    let cases: [(String, () throws -> Void, [String])] = [
      ("no steps", { _ = try EnsemblePlan(config: Self.config("")) }, ["ensemble 'ens'", "no step"]),
      (
        "unknown tensor", { _ = try EnsemblePlan(config: Self.config(chain("RAW", "midd"))) },
        ["step 2 (model 'm2')", "'midd'", "did you mean 'mid'"]
      ),
      (
        "output without producer",
        { _ = try EnsemblePlan(config: Self.config(chain("RAW", "mid"), outputs: ["OUT", "MISSING"])) },
        ["no step writes the ensemble output 'MISSING'"]
      ),
      (
        "two producers",
        {
          _ = try EnsemblePlan(
            config: Self.config(
              [
                Self.step("m1", ["INPUT0": "RAW"], ["OUTPUT0": "OUT"]),
                Self.step("m2", ["INPUT0": "RAW"], ["OUTPUT0": "OUT"]),
              ].joined(separator: ", ")))
        }, ["'OUT' is written by step 1 (model 'm1') and by step 2"]
      ),
      (
        "writes an ensemble input",
        { _ = try EnsemblePlan(config: Self.config(Self.step("m1", ["INPUT0": "RAW"], ["OUTPUT0": "RAW"]))) },
        ["writes 'RAW', which is an ensemble input"]
      ),
      (
        "cycle",
        {
          _ = try EnsemblePlan(
            config: Self.config(
              [
                Self.step("m1", ["INPUT0": "RAW", "INPUT1": "back"], ["OUTPUT0": "fwd"]),
                Self.step("m2", ["INPUT0": "fwd"], ["OUTPUT0": "back", "OUTPUT1": "OUT"]),
              ].joined(separator: ", ")))
        }, ["cycle", "step 1 (model 'm1') -> step 2 (model 'm2') -> step 1 (model 'm1')"]
      ),
      (
        "itself",
        { _ = try EnsemblePlan(config: Self.config(Self.step("ens", ["INPUT0": "RAW"], ["OUTPUT0": "OUT"]))) },
        ["calls the ensemble itself"]
      ),
      (
        "bad version",
        {
          _ = try EnsemblePlan(
            config: Self.config(Self.step("m1", ["INPUT0": "RAW"], ["OUTPUT0": "OUT"], version: 0)))
        }, ["model_version 0"]
      ),
      (
        "no data type",
        {
          var config = try Self.config(Self.step("m1", ["INPUT0": "RAW"], ["OUTPUT0": "OUT"]))
          config.input[0].dataType = .typeInvalid
          _ = try EnsemblePlan(config: config)
        }, ["input 'RAW' has no data_type"]
      ),
    ]
    for (label, body, fragments) in cases {
      let message = Self.failure(body)
      for fragment in fragments {
        #expect(message.contains(fragment), "\(label): \(message)")
      }
    }
  }

  /// A composing model's config: FP32 inputs and outputs of `dims` with `max_batch_size` `batch`.
  static func composing(
    inputs: [String] = ["INPUT0"], outputs: [String] = ["OUTPUT0"], batch: Int32 = 8, dims: [Int64] = [4],
    type: Inference_DataType = .typeFp32
  ) -> Inference_ModelConfig {
    var config = Inference_ModelConfig()
    config.maxBatchSize = batch
    config.input = inputs.map { name in
      var input = Inference_ModelInput()
      (input.name, input.dataType, input.dims) = (name, type, dims)
      return input
    }
    config.output = outputs.map { name in
      var output = Inference_ModelOutput()
      (output.name, output.dataType, output.dims) = (name, type, dims)
      return output
    }
    return config
  }

  @Test func stepsAreCheckedAgainstTheComposingModels() throws {
    let config = try Self.config(
      [
        Self.step("m1", ["INPUT0": "RAW"], ["OUTPUT0": "mid"]),
        Self.step("m2", ["INPUT0": "mid"], ["OUTPUT0": "OUT"]),
      ].joined(separator: ", "))
    let plan = try EnsemblePlan(config: config)
    try plan.check(config: config, composing: [Self.composing(), Self.composing()])
    // A non-batching ensemble may call batching models with the batch dimension spelt out.
    let unbatched = try Self.config(
      Self.step("m1", ["INPUT0": "RAW"], ["OUTPUT0": "OUT"]), batch: 0, dims: "2, 4")
    try EnsemblePlan(config: unbatched).check(config: unbatched, composing: [Self.composing()])

    let cases: [(String, [Inference_ModelConfig], [String])] = [
      (
        "input name", [Self.composing(inputs: ["INPUT_0"]), Self.composing()],
        ["step 1 (model 'm1') maps 'INPUT0'", "did you mean 'INPUT_0'"]
      ),
      ("output name", [Self.composing(), Self.composing(outputs: ["OUT0"])], ["no such output"]),
      (
        "unfed input", [Self.composing(inputs: ["INPUT0", "MASK"]), Self.composing()],
        ["does not feed the model's input 'MASK'"]
      ),
      (
        "type", [Self.composing(), Self.composing(type: .typeInt64)],
        ["tensor 'mid' is FP32 as step 1 (model 'm1') output 'OUTPUT0' but INT64 as step 2 (model 'm2') input 'INPUT0'"]
      ),
      ("shape", [Self.composing(dims: [5]), Self.composing()], ["tensor 'RAW' has shape [-1,4]", "[-1,5]"]),
      (
        "batch", [Self.composing(), Self.composing(batch: 4)],
        ["step 2 (model 'm2') has max_batch_size 4, below the ensemble's 8"]
      ),
      ("no batching", [Self.composing(batch: 0), Self.composing()], ["the model does not batch"]),
    ]
    for (label, composing, fragments) in cases {
      let message = Self.failure { try plan.check(config: config, composing: composing) }
      for fragment in fragments {
        #expect(message.contains(fragment), "\(label): \(message)")
      }
    }
  }
}
