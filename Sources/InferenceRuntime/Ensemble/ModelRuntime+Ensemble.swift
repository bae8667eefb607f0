internal import KServeProtocol

#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif

extension ModelRuntime {
  /// What an ensemble request produced and what its steps cost together.
  struct EnsembleAnswer: Sendable {
    var outputs: [InferenceTensor]
    var queueNanos: UInt64
    var timings: ComputeTimings
  }

  /// How deep ensembles may nest (an ensemble whose step is an ensemble ...): a guard against a cycle
  /// that reloads created after both ensembles were checked.
  static let maxEnsembleDepth = 16

  @TaskLocal static var ensembleDepth = 0

  /// Request parameters a step inherits from the ensemble request (scheduling, not response shaping).
  private static let inheritedParameters = ["priority", "timeout", "sequence_id", "sequence_start", "sequence_end"]

  /// Runs one ensemble request: each step goes to its composing model as an ordinary request (that model's
  /// scheduler, batcher, statistics and cache apply) as soon as the tensors it reads exist; steps whose inputs
  /// are ready together run concurrently. Tensors pass between steps by reference (no copy of their bytes).
  /// - Returns: The ensemble's outputs in the order of `outputs`, and the steps' summed queue and compute time.
  /// - Throws: The first failing step's error, with the ensemble and the step named; the other steps are
  ///   cancelled.
  func runEnsemble(
    _ plan: EnsemblePlan, of model: ServableModel, request: InferenceRequest, inputs: [InferenceTensor],
    outputs: [OutputSpec]
  ) async throws -> EnsembleAnswer {
    let depth = Self.ensembleDepth + 1
    guard depth <= Self.maxEnsembleDepth else {
      throw InferenceError(
        .invalidArgument,
        "ensemble '\(plan.name)' nests ensembles more than \(Self.maxEnsembleDepth) deep; the composing models "
          + "probably form a cycle: check which ensembles call each other")
    }
    var tensors: [String: InferenceTensor] = [:]
    for input in inputs { tensors[input.name] = input }
    var parameters: [String: InferenceParameter] = [:]
    for key in Self.inheritedParameters { parameters[key] = request.parameters[key] }
    var progress = EnsembleProgress(plan)
    var queueNanos: UInt64 = 0
    var timings = ComputeTimings(inputNanos: 0, inferNanos: 0, outputNanos: 0)

    func stepRequest(_ index: Int) -> InferenceRequest {
      let step = plan.steps[index]
      let stepInputs = step.inputs.compactMap { binding -> InferenceTensor? in
        // An optional ensemble input the client left out stays out (the composing model decides).
        guard var tensor = tensors[binding.ensembleTensor] else { return nil }
        tensor.name = binding.modelTensor
        tensor.parameters = [:]
        return tensor
      }
      return InferenceRequest(
        modelName: step.modelName, modelVersion: step.modelVersion, id: request.id, inputs: stepInputs,
        outputs: step.outputs.map { RequestedOutput(name: $0.modelTensor) }, parameters: parameters)
    }
    func absorb(_ index: Int, _ answer: Answer) throws {
      let step = plan.steps[index]
      for binding in step.outputs {
        guard var tensor = answer.response.outputs.first(where: { $0.name == binding.modelTensor }) else {
          throw InferenceError(
            .internal,
            "ensemble '\(plan.name)': \(step.describe(index)) returned no output '\(binding.modelTensor)'")
        }
        tensor.name = binding.ensembleTensor
        tensor.parameters = [:]
        tensors[binding.ensembleTensor] = tensor
      }
      queueNanos &+= answer.queueNanos
      timings.inputNanos &+= answer.timings.inputNanos
      timings.inferNanos &+= answer.timings.inferNanos
      timings.outputNanos &+= answer.timings.outputNanos
    }

    try await Self.$ensembleDepth.withValue(depth) {
      try await withThrowingTaskGroup(of: (Int, Answer).self) { group in
        var ready = progress.initiallyReady
        var running = 0
        while true {
          // A chain runs inline: one ready step and nothing else in flight needs no child task.
          if ready.count == 1, running == 0 {
            let index = ready.removeFirst()
            try absorb(index, try await runStep(index, of: plan, stepRequest(index)))
            ready += progress.complete(index)
            continue
          }
          for index in ready {
            let stepRequest = stepRequest(index)
            group.addTask { (index, try await self.runStep(index, of: plan, stepRequest)) }
            running += 1
          }
          ready.removeAll()
          guard running > 0, let (index, answer) = try await group.next() else { break }
          running -= 1
          try absorb(index, answer)
          ready += progress.complete(index)
        }
      }
    }
    let produced = try outputs.map { spec -> InferenceTensor in
      guard let tensor = tensors[spec.name] else {
        throw InferenceError(.internal, "ensemble '\(plan.name)': no step produced the output '\(spec.name)'")
      }
      return tensor
    }
    return EnsembleAnswer(outputs: produced, queueNanos: queueNanos, timings: timings)
  }

  /// Runs one step and names the ensemble and the step in its failure (the status code is the step's).
  private func runStep(_ index: Int, of plan: EnsemblePlan, _ request: InferenceRequest) async throws -> Answer {
    do {
      return try await answer(request)
    } catch let error as InferenceError {
      throw InferenceError(
        error.code, "ensemble '\(plan.name)' \(plan.steps[index].describe(index)): \(error.message)")
    }
  }
}
