public import KServeProtocol
public import TritonModelConfig

/// The data flow of an ensemble (`platform: "ensemble"`), read from its `ensemble_scheduling` block and
/// checked on its own: every step reads tensors that the request or another step provides, each tensor has
/// one producer, every ensemble output is produced, and the steps form no cycle.
///
/// Checks that need the composing models' configurations (names, types, shapes) are in
/// ``EnsemblePlan/check(against:)``; the runtime runs them when the composing models are loaded.
public struct EnsemblePlan: Sendable, Equatable {
  /// One step: a composing model and how its tensors map to the ensemble's.
  public struct Step: Sendable, Equatable {
    /// A tensor mapping: the composing model's tensor name and the ensemble tensor it reads or writes.
    public struct Binding: Sendable, Equatable {
      /// The composing model's input or output name (the map's key).
      public var modelTensor: String
      /// The ensemble tensor name (the map's value).
      public var ensembleTensor: String
    }

    /// Composing model name.
    public var modelName: String
    /// Version to call; empty for the latest ready version (`model_version: -1`).
    public var modelVersion: String
    /// What the step reads, sorted by the composing model's input name.
    public var inputs: [Binding]
    /// What the step writes, sorted by the composing model's output name.
    public var outputs: [Binding]
    /// Steps whose outputs this step reads (indices into ``EnsemblePlan/steps``), ascending.
    public var dependencies: [Int]

    /// `step N (model 'x')`, for messages (1-based, as a person counts the steps in config.pbtxt).
    func describe(_ index: Int) -> String { "step \(index + 1) (model '\(modelName)')" }
  }

  /// The ensemble's name.
  public var name: String
  /// Steps in config.pbtxt order.
  public var steps: [Step]
  /// The steps in an order that runs each after those it depends on.
  public var order: [Int]
  /// For each step, the steps that read its outputs, ascending.
  public var dependents: [[Int]]
  /// The ensemble inputs that no step reads (accepted, as Triton accepts them; logged at load).
  public var unusedInputs: [String]

  /// Reads and checks an ensemble's configuration.
  /// - Parameter config: A config with `platform: "ensemble"`.
  /// - Throws: ``InferenceError`` (invalidArgument) naming the ensemble, the step and the field to fix.
  public init(config: Inference_ModelConfig) throws(InferenceError) {
    let name = config.name
    func fail(_ message: String) -> InferenceError {
      InferenceError(.invalidArgument, "ensemble '\(name)': \(message)")
    }
    guard case .ensembleScheduling(let scheduling)? = config.schedulingChoice, !scheduling.step.isEmpty else {
      throw fail("ensemble_scheduling has no step; list the composing models as ensemble_scheduling { step [ ... ] }")
    }
    for (kind, tensors) in [("input", config.input.map(\.name)), ("output", config.output.map(\.name))] {
      guard !tensors.isEmpty else {
        throw fail(
          "the config declares no \(kind); an ensemble's config.pbtxt lists every \(kind) with data_type and dims")
      }
    }
    for input in config.input where input.dataType == .typeInvalid {
      throw fail("input '\(input.name)' has no data_type; an ensemble's inputs and outputs must be declared in full")
    }
    for output in config.output where output.dataType == .typeInvalid {
      throw fail("output '\(output.name)' has no data_type; an ensemble's inputs and outputs must be declared in full")
    }
    let ensembleInputs = Set(config.input.map(\.name))
    var steps: [Step] = []
    var producer: [String: Int] = [:]
    for (index, step) in scheduling.step.enumerated() {
      let where_ = "step \(index + 1)"
      guard !step.modelName.isEmpty else { throw fail("\(where_) has no model_name") }
      guard step.modelName != name else {
        throw fail("\(where_) calls the ensemble itself; an ensemble cannot contain itself (a cycle)")
      }
      guard step.modelVersion == -1 || step.modelVersion > 0 else {
        throw fail(
          "\(where_) (model '\(step.modelName)') has model_version \(step.modelVersion); use -1 for the latest "
            + "version or a version number")
      }
      guard !step.outputMap.isEmpty else {
        throw fail("\(where_) (model '\(step.modelName)') has an empty output_map; map at least one of its outputs")
      }
      let inputs = step.inputMap.sorted { $0.key < $1.key }.map {
        Step.Binding(modelTensor: $0.key, ensembleTensor: $0.value)
      }
      let outputs = step.outputMap.sorted { $0.key < $1.key }.map {
        Step.Binding(modelTensor: $0.key, ensembleTensor: $0.value)
      }
      for binding in inputs + outputs where binding.ensembleTensor.isEmpty || binding.modelTensor.isEmpty {
        throw fail("\(where_) (model '\(step.modelName)') maps an empty tensor name")
      }
      var written = Set<String>()
      for output in outputs {
        guard !ensembleInputs.contains(output.ensembleTensor) else {
          throw fail(
            "\(where_) (model '\(step.modelName)') writes '\(output.ensembleTensor)', which is an ensemble input; "
              + "give the step output its own tensor name")
        }
        if let earlier = producer[output.ensembleTensor] {
          throw fail(
            "tensor '\(output.ensembleTensor)' is written by step \(earlier + 1) (model "
              + "'\(scheduling.step[earlier].modelName)') and by \(where_) (model '\(step.modelName)'); each "
              + "ensemble tensor has one producer")
        }
        guard written.insert(output.ensembleTensor).inserted else {
          throw fail("\(where_) (model '\(step.modelName)') writes '\(output.ensembleTensor)' twice")
        }
        producer[output.ensembleTensor] = index
      }
      steps.append(
        Step(
          modelName: step.modelName, modelVersion: step.modelVersion == -1 ? "" : String(step.modelVersion),
          inputs: inputs, outputs: outputs, dependencies: []))
    }
    // Every read tensor exists; dependencies follow the tensors.
    for index in steps.indices {
      var dependencies = Set<Int>()
      for input in steps[index].inputs {
        if let source = producer[input.ensembleTensor] {
          dependencies.insert(source)
        } else if !ensembleInputs.contains(input.ensembleTensor) {
          let known = Array(ensembleInputs) + Array(producer.keys)
          throw fail(
            "\(steps[index].describe(index)) reads '\(input.ensembleTensor)' (for its input '\(input.modelTensor)'), "
              + "which is neither an ensemble input nor written by a step; "
              + NameSuggestions.hint(for: input.ensembleTensor, in: known, noun: "tensors"))
        }
      }
      steps[index].dependencies = dependencies.sorted()
    }
    for output in config.output where producer[output.name] == nil {
      throw fail(
        "no step writes the ensemble output '\(output.name)'; map a step output to it in an output_map "
          + "(value: \"\(output.name)\")")
    }
    var dependents = Array(repeating: [Int](), count: steps.count)
    for index in steps.indices {
      for dependency in steps[index].dependencies { dependents[dependency].append(index) }
    }
    guard let order = Self.topologicalOrder(steps: steps, dependents: dependents) else {
      let cycle = Self.cycle(steps: steps).map { steps[$0].describe($0) }
      throw fail(
        "its steps form a cycle: " + (cycle + [cycle.first ?? ""]).joined(separator: " -> ")
          + "; each step must only read the ensemble inputs or outputs of steps before it in the data flow")
    }
    let read = Set(steps.flatMap { $0.inputs.map(\.ensembleTensor) })
    self.name = name
    self.steps = steps
    self.order = order
    self.dependents = dependents
    self.unusedInputs = config.input.map(\.name).filter { !read.contains($0) }
  }

  /// The composing models, each once, in step order.
  public var composingModels: [String] {
    var seen = Set<String>()
    return steps.map(\.modelName).filter { seen.insert($0).inserted }
  }

  /// Kahn's algorithm; `nil` when a cycle leaves steps unordered.
  private static func topologicalOrder(steps: [Step], dependents: [[Int]]) -> [Int]? {
    var remaining = steps.map(\.dependencies.count)
    var ready = steps.indices.filter { remaining[$0] == 0 }
    var order: [Int] = []
    while let next = ready.first {
      ready.removeFirst()
      order.append(next)
      for dependent in dependents[next] {
        remaining[dependent] -= 1
        if remaining[dependent] == 0 { ready.append(dependent) }
      }
    }
    return order.count == steps.count ? order : nil
  }

  /// One cycle among the steps (for the message): walks dependencies from a step in a cycle until one repeats.
  private static func cycle(steps: [Step]) -> [Int] {
    // Steps that cannot be ordered all lie on or behind a cycle; following dependencies stays among them.
    var remaining = steps.map(\.dependencies.count)
    var dependents = Array(repeating: [Int](), count: steps.count)
    for index in steps.indices { for d in steps[index].dependencies { dependents[d].append(index) } }
    var ready = steps.indices.filter { remaining[$0] == 0 }
    var done = Set<Int>()
    while let next = ready.popLast() {
      done.insert(next)
      for dependent in dependents[next] {
        remaining[dependent] -= 1
        if remaining[dependent] == 0 { ready.append(dependent) }
      }
    }
    guard var current = steps.indices.first(where: { !done.contains($0) }) else { return [] }
    var path: [Int] = []
    var position: [Int: Int] = [:]
    while position[current] == nil {
      position[current] = path.count
      path.append(current)
      current = steps[current].dependencies.first { !done.contains($0) } ?? current
    }
    // The walk goes against the data flow; reverse it so the message reads producer -> consumer, from the
    // first step of the cycle in config order.
    let cycle = Array(path[position[current]!...].reversed())
    let start = cycle.firstIndex(of: cycle.min()!)!
    return Array(cycle[start...] + cycle[..<start])
  }
}
