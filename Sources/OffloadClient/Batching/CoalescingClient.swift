internal import InferenceRuntime
public import KServeProtocol
internal import OffloadMeasurement
public import ServiceLifecycle
internal import Synchronization

/// Client-side batching: concurrent small requests for the same model (same inputs, same requested
/// outputs, same non-batch shapes) are merged into one request of up to `maxBatchSize` rows, sent
/// through `upstream`, and the response is split back row by row. Many event-loop threads sharing one
/// client then make few large requests.
///
/// It uses the server's own dynamic-batching state machine: a batch leaves when it is full or when its
/// oldest request has waited `maxDelay`; at most `maxConcurrentBatches` are in flight per model, and while
/// they are, new requests gather into the next batch. Only models whose first dimension is the batch
/// dimension may be coalesced: list them in `models` (or leave it `nil` to coalesce every model whose
/// inputs all have a leading dimension). ``run()`` must run for `maxDelay` to be honoured.
public final class CoalescingClient: Inferencing, Service, Sendable {
  /// Settings.
  public struct Configuration: Sendable, Equatable {
    /// Most rows in one merged request.
    public var maxBatchSize: Int
    /// Longest a request waits for others to join it.
    public var maxDelay: Duration
    /// Merged requests in flight per model at once.
    public var maxConcurrentBatches: Int
    /// Most requests waiting per model (more are rejected with UNAVAILABLE: bounded queues).
    public var maxQueueSize: Int
    /// Models to coalesce; `nil`: all.
    public var models: Set<String>?

    /// Creates settings.
    public init(
      maxBatchSize: Int = 64, maxDelay: Duration = .microseconds(500), maxConcurrentBatches: Int = 2,
      maxQueueSize: Int = 4096, models: Set<String>? = nil
    ) {
      self.maxBatchSize = max(maxBatchSize, 1)
      self.maxDelay = maxDelay
      self.maxConcurrentBatches = max(maxConcurrentBatches, 1)
      self.maxQueueSize = max(maxQueueSize, 1)
      self.models = models
    }
  }

  /// Settings.
  public let configuration: Configuration
  private let upstream: any Inferencing
  private let schedulers = Mutex<[String: DynamicBatchScheduler]>([:])
  private let timers = AsyncStream.makeStream(of: DynamicBatchScheduler.self)

  /// Wraps `upstream` (an ``InferenceClient``, a connection, or the runtime).
  public init(upstream: any Inferencing, configuration: Configuration = .init()) {
    self.upstream = upstream
    self.configuration = configuration
  }

  /// Serves the batches' delay timers until ``shutdown()``.
  public func run() async {
    await withDiscardingTaskGroup { group in
      await withGracefulShutdownHandler {
        for await scheduler in timers.stream { group.addTask { await scheduler.runTimer() } }
      } onGracefulShutdown: {
        self.timers.continuation.finish()
      }
      // Told to stop (shutdown() or the surrounding group's graceful shutdown): the timers end with this.
      await closeSchedulers()
    }
  }

  /// Sends what is queued and stops the timers.
  public func shutdown() async {
    timers.continuation.finish()
    await closeSchedulers()
  }

  private func closeSchedulers() async {
    let all = schedulers.withLock { Array($0.values) }
    for scheduler in all { await scheduler.close() }
  }

  /// Queues the request for a merged one (or sends it as it is when it cannot be merged).
  public func infer(_ request: InferenceRequest) async throws -> InferenceResponse {
    guard configuration.models?.contains(request.modelName) ?? true, let rows = Self.rows(of: request),
      rows <= configuration.maxBatchSize
    else {
      return try await upstream.infer(request)
    }
    let inputs = request.inputs.sorted { $0.name < $1.name }
    let outputs = request.outputs.map { OutputSpec(name: $0.name, datatype: .fp32) }
    let key =
      "\(request.modelName)\u{0}\(request.modelVersion)\u{0}\(inputs.map(\.name).joined(separator: ","))"
      + "\u{0}\(outputs.map(\.name).joined(separator: ","))"
    let scheduler = self.scheduler(for: key, request: request)
    let answer = try await scheduler.submit(
      inputs: inputs, outputs: outputs, rows: rows, priority: 0, timeoutNanos: nil)
    return InferenceResponse(
      modelName: request.modelName, modelVersion: request.modelVersion, id: request.id, outputs: answer.outputs,
      parameters: ["offload_client_batch_size": .int64(Int64(answer.batchRows))])
  }

  /// Rows of a request: the common first dimension of its inputs.
  static func rows(of request: InferenceRequest) -> Int? {
    guard let first = request.inputs.first?.shape.first, first > 0,
      request.inputs.allSatisfy({ $0.shape.count >= 2 && $0.shape[0] == first && $0.datatype != .bytes })
    else { return nil }
    return Int(first)
  }

  private func scheduler(for key: String, request: InferenceRequest) -> DynamicBatchScheduler {
    let (scheduler, created) = schedulers.withLock { schedulers -> (DynamicBatchScheduler, Bool) in
      if let existing = schedulers[key] { return (existing, false) }
      let upstream = self.upstream
      let name = request.modelName
      let version = request.modelVersion
      let made = DynamicBatchScheduler(
        policy: BatchingPolicy(
          maxBatchSize: configuration.maxBatchSize,
          maxQueueDelayNanos: configuration.maxDelay.clampedNanoseconds,
          maxTotalQueueSize: configuration.maxQueueSize),
        instanceCount: configuration.maxConcurrentBatches,
        statistics: StatisticsRecorder(name: name, version: version),
        modelDescription: "client batcher for model '\(name)'"
      ) { _, inputs, outputs in
        let merged = InferenceRequest(
          modelName: name, modelVersion: version, id: "", inputs: inputs,
          outputs: outputs.map { RequestedOutput(name: $0.name) })
        let response = try await upstream.infer(merged)
        return ExecutionResult(
          outputs: response.outputs, timings: ComputeTimings(inputNanos: 0, inferNanos: 0, outputNanos: 0))
      }
      schedulers[key] = made
      return (made, true)
    }
    if created { timers.continuation.yield(scheduler) }
    return scheduler
  }
}
