public import InferenceRuntime
public import KServeProtocol
public import Logging
internal import OffloadMeasurement
internal import Synchronization

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// The in-process path: the same runtime as `offload serve`, over the same model repository, started in the
/// client's process. Used for local-only mode and as the fallback when no server has the model. The ONNX
/// Runtime backend comes with the `OffloadClientONNX` library (`.repositories(_:onnxRuntimeLibrary:)`), so
/// a client that needs no fallback does not link it.
public final class LocalInference: Sendable {
  /// What runs the requests.
  public struct Source: Sendable {
    /// Makes the backends of a runtime over repositories (it may throw: a library not found).
    public typealias Backends = @Sendable (Logger) throws -> BackendRegistry

    enum Kind: Sendable {
      case repositories([URL], Backends)
      case custom(any Inferencing)
    }

    let kind: Kind

    /// Offload's runtime over these repositories, with the backends `backends` makes. With ONNX Runtime,
    /// import `OffloadClientONNX` and use its `repositories(_:onnxRuntimeLibrary:)`, which finds the library
    /// the way `offload serve` does.
    public static func repositories(_ repositories: [URL], backends: @escaping Backends) -> Source {
      Source(kind: .repositories(repositories, backends))
    }

    /// Anything that runs inference (e.g. a runtime the application already has).
    public static func custom(_ inferencing: any Inferencing) -> Source {
      Source(kind: .custom(inferencing))
    }
  }

  /// When the repositories are loaded.
  public enum Start: String, Sendable {
    /// When the client starts (first fallback request pays nothing).
    case eager
    /// On the first request that needs it (no cost while servers answer).
    case onDemand = "on-demand"
  }

  /// Starts the runtime once, however many requests ask at the same time: the first caller starts it in
  /// its own task, later ones wait for that outcome (a failure too is kept and given to every later caller,
  /// unless the first caller was cancelled meanwhile: then the next caller starts it again).
  private final class Starter: Sendable {
    private enum State {
      case idle
      case starting([CheckedContinuation<any Inferencing, any Error>])
      case done(Result<any Inferencing, any Error>)
    }

    private let state = Mutex(State.idle)

    func start(_ make: @Sendable () async throws -> any Inferencing) async throws -> any Inferencing {
      let first = state.withLock { state -> Bool in
        guard case .idle = state else { return false }
        state = .starting([])
        return true
      }
      guard first else {
        return try await withCheckedThrowingContinuation { continuation in
          let outcome = state.withLock { state -> Result<any Inferencing, any Error>? in
            switch state {
            case .idle: preconditionFailure("the starter went back to idle")
            case .starting(let waiters):
              state = .starting(waiters + [continuation])
              return nil
            case .done(let outcome): return outcome
            }
          }
          if let outcome { continuation.resume(with: outcome) }
        }
      }
      let outcome: Result<any Inferencing, any Error>
      do { outcome = .success(try await make()) } catch { outcome = .failure(error) }
      // A start that failed because its caller was cancelled is not an answer to keep: the next caller starts
      // again. (A start that succeeded is kept whatever happened to its caller.)
      var failed = false
      if case .failure = outcome { failed = true }
      let retry = failed && Task.isCancelled
      let waiters = state.withLock { state in
        defer { state = retry ? .idle : .done(outcome) }
        guard case .starting(let waiters) = state else { return [CheckedContinuation<any Inferencing, any Error>]() }
        return waiters
      }
      for waiter in waiters { waiter.resume(with: outcome) }
      return try outcome.get()
    }
  }

  private let source: Source
  /// When it starts.
  public let start: Start
  private let logger: Logger
  private let ready: Mutex<(any Inferencing)?>
  private let starter = Starter()
  private let runtimes = AsyncStream.makeStream(of: ModelRuntime.self)
  private let startNanos = Mutex<UInt64?>(nil)
  private let shutDown = Mutex(false)

  /// Creates the local path; nothing is loaded until ``run()`` (eager) or the first request.
  public init(_ source: Source, start: Start = .onDemand, logger: Logger = Logger(label: "offload.client.local")) {
    self.source = source
    self.start = start
    self.logger = logger
    if case .custom(let inferencing) = source.kind {
      self.ready = Mutex(inferencing)
    } else {
      self.ready = Mutex(nil)
    }
  }

  /// How long loading took, once it has.
  public var startDuration: Duration? { startNanos.withLock { $0 }.map { .nanoseconds(Int64($0)) } }

  /// Loads eagerly when so configured, then serves the runtime's batching timers until ``shutdown()``.
  public func run() async {
    if start == .eager {
      do { _ = try await inferencing() } catch {
        logger.error(
          "local inference failed to start; requests that need it will fail", metadata: ["error": "\(error)"])
      }
    }
    for await runtime in runtimes.stream {
      await runtime.run()
    }
  }

  /// Retires the local models.
  public func shutdown() async {
    runtimes.continuation.finish()
    let first = shutDown.withLock { done in
      defer { done = true }
      return !done
    }
    guard first else { return }
    if let runtime = ready.withLock({ $0 }) as? ModelRuntime { await runtime.shutdown() }
  }

  /// Runs a request in-process, starting the runtime first if needed.
  public func infer(_ request: InferenceRequest) async throws -> InferenceResponse {
    try await inferencing().infer(request)
  }

  func inferencingForMetadata() async throws -> any Inferencing { try await inferencing() }

  private func inferencing() async throws -> any Inferencing {
    if let ready = ready.withLock({ $0 }) { return ready }
    guard case .repositories(let repositories, let makeBackends) = source.kind else {
      throw InferenceError(.internal, "local inference has no source")
    }
    let logger = self.logger
    let runtimes = self.runtimes.continuation
    let made = try await starter.start {
      let began = ContinuousClock.now
      let backends: BackendRegistry
      do { backends = try makeBackends(logger) } catch {
        throw InferenceError(.unavailable, "local inference cannot start: \(error)")
      }
      let runtime = ModelRuntime(
        configuration: RuntimeConfiguration(repositories: repositories), backends: backends, logger: logger)
      try await runtime.loadAll()
      runtimes.yield(runtime)
      let took = ContinuousClock.now - began
      self.startNanos.withLock { $0 = took.clampedNanoseconds }
      let ready = runtime.repositoryIndex(readyOnly: true).map(\.name)
      logger.notice(
        "local inference ready",
        metadata: ["start_ms": "\(Double(took.clampedNanoseconds) / 1e6)", "models": "\(ready.sorted())"])
      return runtime
    }
    ready.withLock { $0 = made }
    return made
  }
}
