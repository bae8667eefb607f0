public import KServeProtocol
internal import NIOPosix
internal import OffloadMeasurement
internal import Synchronization

/// How an asynchronous module's inference is waited for.
public enum InferenceStyle: String, Sendable, CaseIterable {
  /// ExternalWork: the worker thread is free while the request is in flight.
  case asynchronous
  /// The worker thread blocks until the answer is back (a module without ExternalWork, or in-process
  /// inference run on the worker).
  case blocking
}

/// Where events come from: called on a worker thread for each index of the run.
public protocol EventSource: Sendable {
  /// The products the source writes.
  var produces: [String] { get }
  /// Makes event `index`.
  func event(at index: UInt64) throws -> EventData
}

/// Settings of one run.
public struct EventProcessorConfiguration: Sendable {
  /// Worker threads that run module code (CMSSW's threads).
  public var threads: Int
  /// Events in flight at once (CMSSW's streams).
  public var streams: Int
  /// Event indices to process.
  public var events: Range<UInt64>
  /// How inference is awaited.
  public var style: InferenceStyle
  /// How far past the first undelivered event a stream may start (default 4 × streams).
  public var reorderWindow: Int?

  /// Creates a configuration.
  public init(threads: Int, streams: Int, events: Range<UInt64>, style: InferenceStyle, reorderWindow: Int? = nil) {
    self.threads = threads
    self.streams = streams
    self.events = events
    self.style = style
    self.reorderWindow = reorderWindow
  }
}

/// Where a run's time went.
public struct EventRunSummary: Sendable {
  /// Events delivered.
  public var events: UInt64
  /// Wall-clock seconds from the first event to the last delivery.
  public var wallSeconds: Double
  /// CPU seconds this process used meanwhile (all threads, user + system).
  public var processCPUSeconds: Double
  /// Seconds worker threads spent in each module (and `source`), summed over events.
  public var moduleSeconds: [String: Double]
  /// Seconds events spent waiting for inference answers, summed over events and modules.
  public var inferenceWaitSeconds: Double
  /// Inference requests sent.
  public var requests: Int

  /// Events per second.
  public var eventsPerSecond: Double { wallSeconds > 0 ? Double(events) / wallSeconds : 0 }
  /// Worker seconds outside inference waits, summed over modules.
  public var workerSeconds: Double { moduleSeconds.values.reduce(0, +) }
}

/// Runs events through modules with a fixed pool of worker threads and a fixed number of events in
/// flight; delivers results in event order.
public final class EventProcessor: Sendable {
  let modules: [any EventModule]
  let source: any EventSource
  let inference: any Inferencing
  let configuration: EventProcessorConfiguration

  /// Creates a processor.
  /// - Throws: ``WorkflowError`` when module dependencies are not satisfied or a setting is out of range.
  public init(
    modules: [any EventModule], source: any EventSource, inference: any Inferencing,
    configuration: EventProcessorConfiguration
  ) throws {
    guard configuration.threads >= 1, configuration.streams >= 1 else {
      throw WorkflowError(
        "threads and streams must be at least 1 (got \(configuration.threads), \(configuration.streams))")
    }
    try modules.checkDependencies(sourceProducts: Set(source.produces))
    self.modules = modules
    self.source = source
    self.inference = inference
    self.configuration = configuration
  }

  final class Accounting: Sendable {
    let moduleNanos = Mutex<[String: UInt64]>([:])
    let waitNanos = Atomic<UInt64>(0)
    let requests = Atomic<Int>(0)
    func add(_ label: String, _ nanos: UInt64) { moduleNanos.withLock { $0[label, default: 0] += nanos } }
  }

  /// Processes every event of the range.
  /// - Parameters:
  ///   - progress: Called after each delivered event with the number delivered so far.
  ///   - consume: Receives each finished event, in index order, one at a time.
  /// - Returns: Timing summary.
  /// - Throws: The first error of any module, source or inference call; the run stops.
  public func run(
    progress: (@Sendable (UInt64) -> Void)? = nil, consume: @escaping @Sendable (EventData) throws -> Void
  ) async throws -> EventRunSummary {
    let pool = NIOThreadPool(numberOfThreads: configuration.threads)
    pool.start()
    defer { pool.shutdownGracefully { _ in } }
    let workers = Workers(pool: pool, slots: WorkerSlots(count: configuration.threads))
    let dispatcher = EventDispatcher(
      range: configuration.events, window: configuration.reorderWindow ?? 4 * configuration.streams
    ) { event in
      try consume(event)
      progress?(event.index)
    }
    let accounting = Accounting()
    let cpuStart = ProcessCPUTime.seconds() ?? 0
    let start = ContinuousClock.now
    do {
      try await withThrowingTaskGroup(of: Void.self) { group in
        for _ in 0..<configuration.streams {
          group.addTask {
            do {
              while let index = await dispatcher.claim() {
                let event = try await self.process(index, workers: workers, accounting: accounting)
                try await dispatcher.finish(event)
              }
            } catch {
              // Streams waiting for the failed event's slot in the window must not wait forever.
              await dispatcher.abandon()
              throw error
            }
          }
        }
        try await group.waitForAll()
      }
    } catch {
      await dispatcher.abandon()
      throw error
    }
    let wall = ContinuousClock.now - start
    return EventRunSummary(
      events: await dispatcher.delivered,
      wallSeconds: wall.inSeconds,
      processCPUSeconds: (ProcessCPUTime.seconds() ?? 0) - cpuStart,
      moduleSeconds: accounting.moduleNanos.withLock { $0 }.mapValues { Double($0) * 1e-9 },
      inferenceWaitSeconds: Double(accounting.waitNanos.load(ordering: .relaxed)) * 1e-9,
      requests: accounting.requests.load(ordering: .relaxed))
  }

  /// The run's worker threads and the slots that count them (see ``WorkerSlots``).
  struct Workers: Sendable {
    let pool: NIOThreadPool
    let slots: WorkerSlots

    /// Runs `body` on a worker thread, the slot already held.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
      try await pool.runIfActive(body)
    }
  }

  /// Runs `body` on a worker thread, holding a slot, and charges its duration to `label`.
  private func onWorker<T: Sendable>(
    _ workers: Workers, _ accounting: Accounting, _ label: String, _ body: @escaping @Sendable () throws -> T
  ) async throws -> T {
    try await workers.slots.withSlot {
      try await workers.run {
        let start = ContinuousClock.now
        defer { accounting.add(label, (ContinuousClock.now - start).clampedNanoseconds) }
        return try body()
      }
    }
  }

  private func process(_ index: UInt64, workers: Workers, accounting: Accounting) async throws -> EventData {
    let source = self.source
    var event = try await onWorker(workers, accounting, "source") { try source.event(at: index) }
    for module in modules {
      let current = event
      switch module {
      case let module as any SynchronousModule:
        event = try await onWorker(workers, accounting, module.label) {
          var copy = current
          try module.produce(&copy)
          return copy
        }
      case let module as any AsynchronousModule:
        event = try await runAsynchronous(module, current, workers: workers, accounting: accounting)
      default:
        throw WorkflowError("module '\(module.label)' is neither synchronous nor asynchronous")
      }
    }
    return event
  }

  private func runAsynchronous(
    _ module: any AsynchronousModule, _ event: EventData, workers: Workers, accounting: Accounting
  ) async throws -> EventData {
    let inference = self.inference
    switch configuration.style {
    case .asynchronous:
      let requests = try await onWorker(workers, accounting, module.label) { try module.acquire(event) }
      let waitStart = ContinuousClock.now
      let responses = try await Self.send(requests, to: inference)
      accounting.waitNanos.add((ContinuousClock.now - waitStart).clampedNanoseconds, ordering: .relaxed)
      accounting.requests.add(requests.count, ordering: .relaxed)
      return try await onWorker(workers, accounting, module.label) {
        var copy = event
        try module.produce(&copy, responses: responses)
        return copy
      }
    case .blocking:
      // The module holds its worker slot for the whole module, waiting included; the wait is charged to
      // the inference, the rest to the module.
      return try await workers.slots.withSlot {
        let start = ContinuousClock.now
        let requests = try await workers.run { try module.acquire(event) }
        let waitStart = ContinuousClock.now
        let responses = try await Self.send(requests, to: inference)
        let waitEnd = ContinuousClock.now
        let produced = try await workers.run {
          var copy = event
          try module.produce(&copy, responses: responses)
          return copy
        }
        let wait = (waitEnd - waitStart).clampedNanoseconds
        accounting.waitNanos.add(wait, ordering: .relaxed)
        accounting.requests.add(requests.count, ordering: .relaxed)
        accounting.add(module.label, (ContinuousClock.now - start).clampedNanoseconds - wait)
        return produced
      }
    }
  }

  /// Sends a module's requests concurrently; answers in request order.
  static func send(_ requests: [InferenceRequest], to inference: any Inferencing) async throws -> [InferenceResponse] {
    if requests.count == 1 { return [try await inference.infer(requests[0])] }
    return try await withThrowingTaskGroup(of: (Int, InferenceResponse).self) { group in
      for (i, request) in requests.enumerated() {
        group.addTask { (i, try await inference.infer(request)) }
      }
      var responses = [InferenceResponse?](repeating: nil, count: requests.count)
      for try await (i, response) in group { responses[i] = response }
      return responses.map { $0! }
    }
  }
}
