internal import DequeModule

/// Hands model instances to requests: a free instance runs a request at once, otherwise the request
/// waits in a bounded FIFO queue; a full queue rejects at once. Pure state, no effects: the caller
/// resumes waiters as the returned actions say.
public struct InstanceSchedulerStateMachine: Sendable {
  /// Identifies a waiting request.
  public typealias WaiterID = UInt64

  /// What to do after ``acquire(_:)``.
  public enum AcquireAction: Equatable, Sendable {
    /// Run on this instance now.
    case run(instance: Int)
    /// Suspend until a ``ReleaseAction/resume(waiter:instance:)`` names this waiter.
    case wait
    /// The queue is full (or the scheduler is closed): fail the request.
    case reject(RejectReason)
  }

  /// Why a request was rejected.
  public enum RejectReason: Equatable, Sendable {
    /// `maxQueueSize` requests are already waiting.
    case queueFull(limit: Int)
    /// The model is being unloaded.
    case closed
  }

  /// What to do after ``release(instance:)``.
  public enum ReleaseAction: Equatable, Sendable {
    /// Hand `instance` to `waiter`.
    case resume(waiter: WaiterID, instance: Int)
    /// Nothing is waiting; the instance is idle.
    case none
  }

  private var idle: [Int]
  private var waiting: Deque<WaiterID> = []
  private var closed = false
  /// The most requests that may wait.
  public let maxQueueSize: Int

  /// Creates a scheduler for `instanceCount` instances.
  /// - Parameters:
  ///   - instanceCount: Number of instances (at least 1).
  ///   - maxQueueSize: Bound on waiting requests.
  public init(instanceCount: Int, maxQueueSize: Int) {
    self.idle = Array((0..<max(instanceCount, 1)).reversed())
    self.maxQueueSize = maxQueueSize
  }

  /// Requests waiting now.
  public var queueDepth: Int { waiting.count }
  /// Instances idle now.
  public var idleInstances: Int { idle.count }

  /// A request wants an instance.
  public mutating func acquire(_ waiter: WaiterID) -> AcquireAction {
    if closed { return .reject(.closed) }
    if let instance = idle.popLast() { return .run(instance: instance) }
    guard waiting.count < maxQueueSize else { return .reject(.queueFull(limit: maxQueueSize)) }
    waiting.append(waiter)
    return .wait
  }

  /// A request finished with `instance`.
  public mutating func release(instance: Int) -> ReleaseAction {
    if let waiter = waiting.popFirst() { return .resume(waiter: waiter, instance: instance) }
    idle.append(instance)
    return .none
  }

  /// A waiting request gave up (cancelled). Returns `true` if it was still waiting.
  public mutating func cancel(_ waiter: WaiterID) -> Bool {
    guard let index = waiting.firstIndex(of: waiter) else { return false }
    waiting.remove(at: index)
    return true
  }

  /// Stops admitting requests; those already waiting keep their places and get instances as they free up
  /// (a model unloading lets its accepted requests finish, as Triton).
  public mutating func drain() {
    closed = true
  }

  /// Stops admitting requests; returns the waiters to fail.
  public mutating func close() -> [WaiterID] {
    closed = true
    defer { waiting.removeAll() }
    return Array(waiting)
  }
}
