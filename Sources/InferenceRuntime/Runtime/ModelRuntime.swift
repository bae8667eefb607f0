public import CoreMetrics
public import KServeProtocol
public import Logging
public import ServiceLifecycle
internal import Synchronization
public import TritonModelConfig

#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif

/// The runtime core (Triton's "core" analogue): owns the model repository, loads models through
/// backends, tracks each version's state, validates and runs requests. Knows no network protocol;
/// front ends translate their wire types to ``InferenceRequest`` and back.
public final class ModelRuntime: Inferencing, Service, Sendable {
  struct VersionRecord: Sendable {
    var state: ModelState
    var reason: String
    var servable: ServableModel?
    /// Loading this version was attempted and failed (as opposed to missing from disk).
    var loadFailed = false
  }

  struct ModelRecord: Sendable {
    var versions: [Int64: VersionRecord] = [:]
    /// A failure of the whole model (config, layout), before versions could be loaded.
    var failure: String?
    /// The last reload failed and the previously loaded versions kept serving; why.
    var reloadFailure: String?
  }

  struct State: Sendable {
    var models: [String: ModelRecord] = [:]
    var started = false
    var draining = false
  }

  /// The configuration it was created with.
  public let configuration: RuntimeConfiguration
  let repository: ModelRepository
  let backends: BackendRegistry
  let logger: Logger
  let metricsFactory: (any MetricsFactory)?
  let state = Mutex(State())
  /// Batchers whose wake-up loops ``run()`` must serve.
  let timers = AsyncStream.makeStream(of: (any TimerDriven).self)
  /// Set by ``shutdown()``: the poller stops.
  let timersFinished = Mutex(false)
  /// Polling mode: a fingerprint of each loaded model's files.
  let fingerprints = Mutex<[String: String]>([:])
  /// Client-registered system shared-memory regions, shared by every front end.
  public let sharedMemory: SharedMemoryRegistry
  /// Triton's latency summaries of every loaded version, when ``RuntimeConfiguration/latencySummaries`` is
  /// set; the metrics endpoint renders them.
  public let latencySummaries: LatencySummaryRegistry?
  /// The response cache, when ``RuntimeConfiguration/responseCacheBytes`` is positive.
  public let responseCache: ResponseCache?

  /// Creates a runtime. Nothing is loaded until ``loadAll()``.
  /// - Parameters:
  ///   - configuration: Repository paths and limits.
  ///   - backends: The backends models may use.
  ///   - logger: Where lifecycle events are logged.
  ///   - metricsFactory: Where per-model metrics (Triton's `nv_*` names) go; `nil` records statistics only.
  public init(
    configuration: RuntimeConfiguration, backends: BackendRegistry, logger: Logger,
    metricsFactory: (any MetricsFactory)? = nil
  ) {
    self.metricsFactory = metricsFactory
    self.configuration = configuration
    self.repository = ModelRepository(roots: configuration.repositories)
    self.backends = backends
    self.logger = logger
    self.sharedMemory = SharedMemoryRegistry(isEnabled: configuration.allowClientSharedMemory)
    self.latencySummaries = configuration.latencySummaries.map { LatencySummaryRegistry(configuration: $0) }
    self.responseCache =
      configuration.responseCacheBytes > 0 ? ResponseCache(capacity: configuration.responseCacheBytes) : nil
  }

  /// Serves the dynamic batchers' timers (queue delays and timeouts) until ``shutdown()``. Models with a
  /// `dynamic_batching` block need it running; everything else works without it.
  public func run() async {
    await withDiscardingTaskGroup { group in
      if case .poll(let interval) = configuration.modelControl {
        group.addTask {
          while !Task.isCancelled, !self.timersFinished.withLock({ $0 }) {
            try? await Task.sleep(for: interval)
            if Task.isCancelled || self.timersFinished.withLock({ $0 }) { return }
            await self.pollRepositoryOnce()
          }
        }
      }
      for await batcher in timers.stream {
        group.addTask { await batcher.runTimer() }
      }
      // Shutdown: the poller ends at its next wake-up.
      group.cancelAll()
    }
  }

  /// Retires every model (waiting requests are rejected, executions finish) and ends ``run()``.
  public func shutdown() async {
    let servables = state.withLock { state in
      state.models.values.flatMap { $0.versions.values.compactMap(\.servable) }
    }
    for servable in servables { await servable.retire(draining: false) }
    timersFinished.withLock { $0 = true }
    timers.continuation.finish()
  }

  /// The server is live while the process runs.
  public var isLive: Bool { true }

  /// Ready once the initial load finished, until shutdown begins.
  public var isReady: Bool {
    state.withLock { state in
      guard state.started, !state.draining else { return false }
      guard configuration.strictReadiness else { return true }
      // Strict: no model whose configuration or a version failed to load (a failed reload keeps the old
      // versions serving and does not count; unloaded or never-loaded models do not count either).
      return state.models.values.allSatisfy { record in
        record.failure == nil && !record.versions.values.contains { $0.loadFailed }
      }
    }
  }

  /// Marks the runtime as draining: readiness turns false; requests in flight continue.
  public func beginDraining() {
    state.withLock { $0.draining = true }
  }

  /// Whether ``beginDraining()`` was called: the server is shutting down and lets requests in flight finish.
  public var isDraining: Bool { state.withLock { $0.draining } }

  /// Every known model version with its state, sorted by name then version.
  /// - Parameter readyOnly: Only ready versions.
  public func repositoryIndex(readyOnly: Bool = false) -> [ModelIndexEntry] {
    let models = state.withLock { $0.models }
    var entries: [ModelIndexEntry] = []
    for name in models.keys.sorted() {
      let record = models[name]!
      if let failure = record.failure, !readyOnly {
        entries.append(ModelIndexEntry(name: name, version: "", state: .unavailable, reason: failure))
      }
      for version in record.versions.keys.sorted() {
        let v = record.versions[version]!
        if readyOnly && v.state != .ready { continue }
        // A ready version kept after a failed reload says so in its reason.
        let reason =
          v.state == .ready ? record.reloadFailure.map { "reload failed, still serving: \($0)" } ?? "" : v.reason
        entries.append(ModelIndexEntry(name: name, version: String(version), state: v.state, reason: reason))
      }
    }
    if !readyOnly {
      // Models present on disk but never loaded (e.g. added after start) are listed as Triton does.
      for model in repository.discover() where models[model.name] == nil {
        entries.append(ModelIndexEntry(name: model.name, version: "", state: .unknown, reason: ""))
      }
    }
    return entries
  }

  /// Whether a model version is ready to serve.
  /// - Parameters:
  ///   - name: Model name.
  ///   - version: Version string, empty for any ready version.
  public func isModelReady(name: String, version: String) -> Bool {
    (try? servable(name: name, version: version)) != nil
  }

  /// Metadata of a model (version empty: the highest ready version).
  /// - Throws: ``InferenceError`` (notFound / unavailable / invalidArgument).
  public func metadata(name: String, version: String) throws -> ModelMetadata {
    let model = try servable(name: name, version: version)
    let versions = state.withLock { state in
      (state.models[name]?.versions ?? [:]).filter { $0.value.state == .ready }.keys.sorted().map(String.init)
    }
    return model.metadata(versions: versions)
  }

  /// The completed configuration of a model version.
  /// - Throws: ``InferenceError`` (notFound / unavailable / invalidArgument).
  public func config(name: String, version: String) throws -> Inference_ModelConfig {
    try servable(name: name, version: version).config
  }

  /// Statistics of ready model versions; an empty name means every model, an empty version every version.
  /// - Throws: ``InferenceError`` when a named model or version is not ready.
  public func statistics(name: String, version: String) throws -> [ModelStatistics] {
    if !name.isEmpty {
      if !version.isEmpty { return [try servable(name: name, version: version).statistics.snapshot] }
      _ = try servable(name: name, version: "")
    }
    let models = state.withLock { $0.models }
    return models.keys.sorted().filter { name.isEmpty || $0 == name }.flatMap { key in
      models[key]!.versions.keys.sorted().compactMap { models[key]!.versions[$0]!.servable?.statistics.snapshot }
    }
  }

  /// Finds the ready version that serves a request.
  /// - Parameters:
  ///   - name: Model name.
  ///   - version: Version string; empty selects the highest ready version.
  /// - Throws: ``InferenceError``: notFound for an unknown model or version (with the closest names),
  ///   invalidArgument for a malformed version, unavailable for a version that is not ready.
  public func servable(name: String, version: String) throws -> ServableModel {
    let (record, known): (ModelRecord?, [String]) = state.withLock { state in
      guard let record = state.models[name] else { return (nil, Array(state.models.keys)) }
      return (record, [])
    }
    guard let record else {
      guard !name.isEmpty else {
        throw InferenceError(.invalidArgument, "the request names no model; set the model name")
      }
      throw InferenceError(.notFound, "unknown model '\(name)'; " + NameSuggestions.hint(for: name, in: known))
    }
    if version.isEmpty {
      if let best = record.versions.keys.sorted().reversed().lazy.compactMap({ record.versions[$0]!.servable }).first {
        return best
      }
      let reasons =
        record.failure
        ?? record.versions.sorted { $0.key < $1.key }.map { "version \($0.key): \($0.value.reason)" }
        .joined(separator: "; ")
      throw InferenceError(.unavailable, "model '\(name)' has no ready version: \(reasons)")
    }
    guard let number = Int64(version), number > 0 else {
      throw InferenceError(.invalidArgument, "model '\(name)': version '\(version)' is not a positive integer")
    }
    guard let entry = record.versions[number] else {
      let available = record.versions.keys.sorted().map(String.init).joined(separator: ", ")
      throw InferenceError(
        .notFound,
        "model '\(name)' has no version \(version); "
          + (available.isEmpty ? "it has no loaded versions" : "available versions: \(available)"))
    }
    guard let servable = entry.servable, entry.state == .ready else {
      throw InferenceError(
        .unavailable, "model '\(name)' version \(version) is not ready (\(entry.state.rawValue)): \(entry.reason)")
    }
    return servable
  }
}
