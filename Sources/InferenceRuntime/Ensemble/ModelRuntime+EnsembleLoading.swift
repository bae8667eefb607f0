internal import KServeProtocol
internal import Logging
internal import Synchronization
internal import TritonModelConfig

#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif

extension ModelRuntime {
  /// The `platform:` of an ensemble.
  static let ensemblePlatform = "ensemble"

  /// The ensemble plan a model directory's configuration describes, or `nil` for any other model (or a
  /// config that does not parse: its own load reports that).
  func ensemblePlan(of model: DiscoveredModel, configOverride: Inference_ModelConfig?) -> EnsemblePlan? {
    guard
      var config = configOverride ?? (try? ModelConfigFile.read(modelDirectory: model.directory))?.config,
      config.platform == Self.ensemblePlatform
    else { return nil }
    if config.name.isEmpty { config.name = model.name }
    return try? EnsemblePlan(config: config)
  }

  /// Loads the composing models of an ensemble that are not loaded yet, as Triton does when an ensemble
  /// is loaded (composing ensembles load theirs in turn). A model already on the chain being loaded is
  /// skipped: the cycle is reported by the ensemble's own load.
  func loadComposingModels(of plan: EnsemblePlan, chain: [String]) async {
    for name in plan.composingModels where !chain.contains(name) {
      let loaded = state.withLock { $0.models[name]?.versions.values.contains { $0.state == .ready } ?? false }
      guard !loaded, let composing = repository.find(name) else { continue }
      logger.info(
        "loading a composing model of an ensemble", metadata: ["model": "\(name)", "ensemble": "\(plan.name)"])
      await load(composing, configOverride: nil, chain: chain)
    }
  }

  /// The record of an ensemble: its plan checked on its own, then against the composing models now ready.
  /// A composing model that is missing or not ready makes every version UNAVAILABLE with the reason.
  func makeEnsembleRecord(
    _ model: DiscoveredModel, config: Inference_ModelConfig, available: [Int64], logger: Logger
  ) -> ModelRecord {
    var config = config
    if config.name.isEmpty { config.name = model.name }
    let plan: EnsemblePlan
    do {
      guard config.name == model.name else {
        throw InferenceError(
          .invalidArgument,
          "config.pbtxt of model '\(model.name)' names it '\(config.name)'; the name must match the directory name")
      }
      guard config.maxBatchSize >= 0 else {
        throw InferenceError(
          .invalidArgument, "ensemble '\(model.name)': max_batch_size must be >= 0, got \(config.maxBatchSize)")
      }
      guard !available.isEmpty else {
        throw InferenceError(
          .notFound,
          "ensemble '\(model.name)' has no version directories; create an empty one: "
            + "\(model.directory.path)/1/")
      }
      plan = try EnsemblePlan(config: config)
    } catch {
      return failed(Self.reason(error), logger: logger)
    }
    if !plan.unusedInputs.isEmpty {
      logger.warning(
        "ensemble inputs that no step reads (clients must still send them)",
        metadata: ["inputs": "\(plan.unusedInputs.joined(separator: ", "))"])
    }
    let (selection, missing) = Self.selectVersions(config, of: model, available: available)
    var record = missing
    let servableOrReason: Result<Void, InferenceError> = Result { () throws(InferenceError) in
      let composing = try plan.steps.enumerated().map { index, step throws(InferenceError) in
        try composingServable(step, index: index, of: plan).config
      }
      try plan.check(config: config, composing: composing)
    }
    for version in selection.load {
      switch servableOrReason {
      case .success:
        let servable = ServableModel(
          name: model.name, version: version, config: config, instances: [],
          maxQueueSize: configuration.maxQueueSizePerModel, inlineExecutionLimit: configuration.inlineExecutionLimit,
          metricsFactory: metricsFactory, latencySummaries: latencySummaries,
          responseCache: config.responseCache.enable ? responseCache : nil, ensemble: plan)
        logger.info(
          "ensemble version ready",
          metadata: [
            "version": "\(version)", "steps": "\(plan.steps.count)",
            "composing": "\(plan.composingModels.joined(separator: ", "))",
          ])
        record.versions[version] = VersionRecord(state: .ready, reason: "", servable: servable)
      case .failure(let error):
        logger.error(
          "ensemble version failed to load", metadata: ["version": "\(version)", "reason": "\(error.message)"])
        var failed = VersionRecord(state: .unavailable, reason: error.message, servable: nil)
        failed.loadFailed = true
        record.versions[version] = failed
      }
    }
    return record
  }

  /// The ready version a step calls, checked for a cycle through composing ensembles.
  private func composingServable(
    _ step: EnsemblePlan.Step, index: Int, of plan: EnsemblePlan
  ) throws(InferenceError) -> ServableModel {
    let servable: ServableModel
    do {
      servable = try self.servable(name: step.modelName, version: step.modelVersion)
    } catch let error as InferenceError {
      throw InferenceError(
        .unavailable,
        "ensemble '\(plan.name)': composing model of \(step.describe(index)) is not available: \(error.message)")
    } catch {
      throw InferenceError(.unavailable, "ensemble '\(plan.name)': \(step.describe(index)): \(error)")
    }
    // A composing ensemble must not call this one, directly or through others.
    var path = [plan.name, servable.name]
    var frontier = [(servable, path)]
    var visited = Set<String>()
    while let (current, route) = frontier.popLast() {
      guard let inner = current.ensemble, visited.insert(current.name).inserted else { continue }
      for name in inner.composingModels {
        path = route + [name]
        if name == plan.name {
          throw InferenceError(
            .invalidArgument,
            "ensemble '\(plan.name)': the ensembles call each other in a cycle: " + path.joined(separator: " -> "))
        }
        if let next = try? self.servable(name: name, version: "") { frontier.append((next, path)) }
      }
    }
    return servable
  }
}
