internal import KServeProtocol
internal import Logging
internal import Synchronization
public import TritonModelConfig

#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif

extension ModelRuntime {
  /// Loads every model of every repository. A model that fails is recorded UNAVAILABLE with its reason
  /// and the others still load. Marks the runtime ready when done.
  /// - Throws: ``InferenceError`` only when a repository directory does not exist.
  public func loadAll() async throws {
    try repository.validateRoots()
    let models = repository.discover()
    var wanted: Set<String>?
    if case .explicit(let names?) = configuration.modelControl, !names.contains("*") {
      wanted = Set(names)
      for name in names where !models.contains(where: { $0.name == name }) {
        logger.error(
          "--load-model names no model directory",
          metadata: ["model": "\(name)", "hint": "\(NameSuggestions.hint(for: name, in: models.map(\.name)))"])
      }
    }
    var polling = false
    if case .poll = configuration.modelControl { polling = true }
    // Ensembles after the models they compose (an ensemble loads composing models not loaded yet itself).
    let ensembles = Set(models.filter { ensemblePlan(of: $0, configOverride: nil) != nil }.map(\.name))
    let ordered = models.filter { !ensembles.contains($0.name) } + models.filter { ensembles.contains($0.name) }
    for model in ordered where wanted?.contains(model.name) ?? true {
      // Already loaded as a composing model of an ensemble listed before it.
      if state.withLock({ $0.models[model.name] != nil }) { continue }
      await load(model, configOverride: nil)
      // Only polling compares fingerprints; the other modes skip the file scan at start.
      if polling { fingerprints.withLock { $0[model.name] = ModelRepository.fingerprint(of: model.directory) } }
    }
    state.withLock { $0.started = true }
  }

  /// Polling mode's one pass: loads models that appeared, reloads those whose files changed (a failed
  /// reload keeps the previous version serving), unloads those whose directory is gone.
  /// ``run()`` calls it every poll interval; tests call it directly.
  public func pollRepositoryOnce() async {
    let models = repository.discover()
    let known = fingerprints.withLock { $0 }
    for model in models {
      let print = ModelRepository.fingerprint(of: model.directory)
      guard known[model.name] != print else { continue }
      logger.info(
        known[model.name] == nil ? "model appeared in the repository" : "model files changed; reloading",
        metadata: ["model": "\(model.name)"])
      await load(model, configOverride: nil)
      fingerprints.withLock { $0[model.name] = print }
    }
    let present = Set(models.map(\.name))
    for name in known.keys where !present.contains(name) {
      logger.info("model directory removed; unloading", metadata: ["model": "\(name)"])
      try? await unloadModel(name)
      fingerprints.withLock { $0[name] = nil }
    }
  }

  private func checkRequestsAllowed(_ verb: String, _ name: String) throws {
    guard configuration.modelControl.allowsRequests else {
      throw InferenceError(
        .failedPrecondition,
        "cannot \(verb) '\(name)': the model control mode is \(configuration.modelControl.name) "
          + (configuration.modelControl == .none
            ? "(models load at start only)" : "(the repository is polled for changes)")
          + "; restart with --model-control-mode explicit to load and unload models on request")
    }
  }

  /// Loads (or reloads) one model by name, as RepositoryModelLoad does.
  /// - Parameters:
  ///   - name: Model directory name.
  ///   - configOverride: A config to use instead of `config.pbtxt`.
  /// - Throws: ``InferenceError`` (notFound) when no repository holds the model, or the load failure.
  public func load(modelNamed name: String, configOverride: Inference_ModelConfig? = nil) async throws {
    try checkRequestsAllowed("load", name)
    guard let model = repository.find(name) else {
      let names = repository.discover().map(\.name)
      throw InferenceError(
        .notFound,
        "no model directory '\(name)' in the model repositories; " + NameSuggestions.hint(for: name, in: names))
    }
    await load(model, configOverride: configOverride)
    let record = state.withLock { $0.models[name] }
    if let failure = record?.reloadFailure {
      throw InferenceError(
        .invalidArgument, "failed to reload '\(name)': \(failure); the previously loaded version keeps serving")
    }
    if let failure = record?.failure { throw InferenceError(.invalidArgument, "failed to load '\(name)': \(failure)") }
    let failures = (record?.versions ?? [:]).filter { $0.value.state != .ready }
    if record?.versions.values.contains(where: { $0.state == .ready }) != true, let first = failures.first {
      throw InferenceError(.invalidArgument, "failed to load '\(name)' version \(first.key): \(first.value.reason)")
    }
  }

  /// Unloads a model: new requests fail with UNAVAILABLE, requests already waiting are rejected,
  /// executions in progress finish.
  /// - Parameter name: Model name.
  /// - Throws: ``InferenceError`` (notFound) for an unknown model.
  public func unload(modelNamed name: String) async throws {
    try checkRequestsAllowed("unload", name)
    try await unloadModel(name)
  }

  func unloadModel(_ name: String) async throws {
    let servables = try state.withLock { state -> [ServableModel] in
      guard var record = state.models[name] else {
        throw InferenceError(
          .notFound, "unknown model '\(name)'; " + NameSuggestions.hint(for: name, in: Array(state.models.keys)))
      }
      let servables = record.versions.values.compactMap(\.servable)
      for key in record.versions.keys {
        record.versions[key] = VersionRecord(state: .unavailable, reason: "unloaded", servable: nil)
      }
      state.models[name] = record
      return servables
    }
    for servable in servables { await servable.retire() }
    logger.info("model unloaded", metadata: ["model": "\(name)"])
  }

  func load(_ model: DiscoveredModel, configOverride: Inference_ModelConfig?, chain: [String] = []) async {
    var logger = self.logger
    logger[metadataKey: "model"] = "\(model.name)"
    if let plan = ensemblePlan(of: model, configOverride: configOverride) {
      await loadComposingModels(of: plan, chain: chain + [model.name])
    }
    let fresh = makeRecord(model, configOverride: configOverride, logger: logger)
    let (record, previous) = state.withLock { state in
      let previous = state.models[model.name]
      let record = Self.keepingServingVersions(fresh, previous: previous)
      state.models[model.name] = record
      return (record, previous)
    }
    if let failure = record.reloadFailure {
      logger.error("reload failed; the previous version keeps serving", metadata: ["reason": "\(failure)"])
    }
    // Timers only for servables this load created (kept ones already have theirs).
    let kept = Set((previous?.versions.values.compactMap(\.servable) ?? []).map(ObjectIdentifier.init))
    for servable in record.versions.values.compactMap(\.servable) where !kept.contains(ObjectIdentifier(servable)) {
      if let batcher = servable.batcher { timers.continuation.yield(batcher) }
      if let sequencer = servable.sequencer { timers.continuation.yield(sequencer) }
    }
    // Retire the versions the new record replaced.
    for old in previous?.versions.values.compactMap(\.servable) ?? [] {
      if record.versions[old.version]?.servable !== old { await old.retire() }
    }
  }

  /// A failed reload must not take down what serves: when the new record failed as a whole, the previous
  /// record stays (with the failure noted); when one version failed to load, the previous servable of
  /// that version stays. Versions that are gone from disk or from the version policy are still retired.
  static func keepingServingVersions(_ fresh: ModelRecord, previous: ModelRecord?) -> ModelRecord {
    guard let previous, previous.versions.values.contains(where: { $0.state == .ready }) else { return fresh }
    if let failure = fresh.failure {
      var kept = previous
      kept.reloadFailure = failure
      return kept
    }
    var merged = fresh
    for (version, old) in previous.versions where old.state == .ready {
      guard let new = merged.versions[version], new.state != .ready, new.loadFailed else { continue }
      merged.versions[version] = old
      merged.reloadFailure = "version \(version): \(new.reason)"
    }
    return merged
  }

  private func makeRecord(
    _ model: DiscoveredModel, configOverride: Inference_ModelConfig?, logger: Logger
  )
    -> ModelRecord
  {
    if let layoutError = model.layoutError { return failed(layoutError, logger: logger) }
    let completed: ModelConfigCompleter.Completed
    let available = ModelRepository.versions(in: model.directory)
    do {
      // An override replaces config.pbtxt entirely (as Triton's load `config` parameter does), so a
      // broken file on disk does not stop a corrected config from loading.
      let contents =
        try configOverride.map { .init(config: $0, fileExists: true, setsMaxBatchSize: true) }
        ?? ModelConfigFile.read(modelDirectory: model.directory)
      if contents.config.platform == Self.ensemblePlatform {
        return makeEnsembleRecord(model, config: contents.config, available: available, logger: logger)
      }
      completed = try ModelConfigCompleter(backends: backends).complete(
        name: model.name, directory: model.directory, contents: contents, versions: available)
    } catch {
      return failed(Self.reason(error), logger: logger)
    }
    let config = completed.config
    let (selection, missing) = Self.selectVersions(config, of: model, available: available)
    var record = missing
    for version in selection.load {
      record.versions[version] = loadVersion(
        version, of: model, config: config, backend: completed.backend, logger: logger)
    }
    return record
  }

  /// The versions the version policy loads, and a record holding those it names that are missing on disk.
  static func selectVersions(
    _ config: Inference_ModelConfig, of model: DiscoveredModel, available: [Int64]
  ) -> (VersionPolicy.Selection, ModelRecord) {
    let selection = VersionPolicy.select(config.hasVersionPolicy ? config.versionPolicy : nil, available: available)
    var record = ModelRecord()
    for version in selection.missing {
      record.versions[version] = VersionRecord(
        state: .unavailable, reason: "version directory \(model.directory.path)/\(version) does not exist",
        servable: nil)
    }
    return (selection, record)
  }

  private func loadVersion(
    _ version: Int64, of model: DiscoveredModel, config: Inference_ModelConfig, backend: any InferenceBackend,
    logger: Logger
  ) -> VersionRecord {
    let file = model.directory.appendingPathComponent(String(version)).appendingPathComponent(
      config.defaultModelFilename)
    guard FileManager.default.fileExists(atPath: file.path) else {
      return VersionRecord(state: .unavailable, reason: "model file \(file.path) is missing", servable: nil)
    }
    let count = config.instanceGroup.reduce(0) { $0 + Int($1.count) }
    do {
      let instances = try (0..<max(count, 1)).map { index in
        try backend.loadInstance(
          InstanceLoadContext(config: config, modelFile: file, version: version, instanceIndex: index, logger: logger))
      }
      // Readiness stays false until the warm-up samples ran on every instance.
      try ModelWarmup.run(config, modelDirectory: model.directory, instances: instances, logger: logger)
      if config.responseCache.enable, responseCache == nil {
        logger.warning(
          "the model enables response_cache but the server has no response cache; it runs uncached (start the server with --cache-config local,size=BYTES)",
          metadata: ["version": "\(version)"])
      }
      let sequence = try SequencePolicy(
        config: config, instanceCount: instances.count, maxBacklog: configuration.maxQueueSizePerModel,
        modelDirectory: model.directory)
      if sequence != nil, config.responseCache.enable {
        logger.warning(
          "a stateful model's answers depend on its sequence's earlier requests; it runs uncached (remove response_cache)",
          metadata: ["version": "\(version)"])
      }
      let servable = ServableModel(
        name: model.name, version: version, config: config, instances: instances,
        maxQueueSize: configuration.maxQueueSizePerModel, inlineExecutionLimit: configuration.inlineExecutionLimit,
        metricsFactory: metricsFactory, latencySummaries: latencySummaries,
        responseCache: config.responseCache.enable && sequence == nil ? responseCache : nil,
        labels: try Classification.labels(config, modelDirectory: model.directory), sequence: sequence)
      logger.info(
        "model version ready",
        metadata: ["version": "\(version)", "backend": "\(backend.name)", "instances": "\(instances.count)"])
      return VersionRecord(state: .ready, reason: "", servable: servable)
    } catch {
      let reason = Self.reason(error)
      logger.error("model version failed to load", metadata: ["version": "\(version)", "reason": "\(reason)"])
      var record = VersionRecord(state: .unavailable, reason: reason, servable: nil)
      record.loadFailed = true
      return record
    }
  }

  func failed(_ reason: String, logger: Logger) -> ModelRecord {
    logger.error("model failed to load", metadata: ["reason": "\(reason)"])
    var record = ModelRecord()
    record.failure = reason
    return record
  }

  static func reason(_ error: any Error) -> String {
    (error as? InferenceError)?.message ?? String(describing: error)
  }
}
