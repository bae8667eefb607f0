internal import DequeModule

/// Triton's dynamic batcher as a pure state machine: requests in, batches out. No clock, no effects:
/// every event takes `now` (nanoseconds on a monotonic clock) and returns the actions the driver performs.
///
/// Semantics (see docs/batching.md):
/// - Requests wait in one FIFO per priority level (level 1 first); requests whose queue timeout expired
///   with action DELAY move to their level's delayed FIFO, served after the level's other requests.
/// - When an instance is free, a batch is collected from the front of the queues in that order, taking
///   requests with the same `shapeKey` as the first one while the rows fit in `maxBatchSize`; collection
///   stops at the first request that does not fit (FIFO fairness).
/// - The batch runs at once if it is full, or at least the largest preferred size (then cut to the largest
///   preferred size it contains), or cannot grow (a later request does not fit), or the oldest request has
///   waited `maxQueueDelay`, or there is no delay; otherwise the driver is asked to wake the machine up
///   when the oldest request's delay ends.
/// - A request whose queue timeout expires before it is scheduled is rejected or delayed per its level's policy.
/// - With `preserveOrdering`, finished requests are released in arrival order.
/// - Unloading drains: no request is admitted, those waiting still run (``drain(now:)``); ``close()``
///   rejects those waiting instead.
public struct DynamicBatcherStateMachine: Sendable {
  /// Identifies a request.
  public typealias RequestID = UInt64

  /// A request to queue.
  public struct Request: Sendable, Equatable {
    /// Its id.
    public var id: RequestID
    /// Rows (batch dimension) it carries.
    public var rows: Int
    /// Requests with different keys (non-batch shapes) are never merged.
    public var shapeKey: [Int64]
    /// Priority level asked for (0 or out of range: the default level).
    public var priority: Int
    /// The request's own queue timeout in nanoseconds, if it set one.
    public var timeoutNanos: UInt64?

    /// Creates a request.
    public init(id: RequestID, rows: Int, shapeKey: [Int64] = [], priority: Int = 0, timeoutNanos: UInt64? = nil) {
      self.id = id
      self.rows = rows
      self.shapeKey = shapeKey
      self.priority = priority
      self.timeoutNanos = timeoutNanos
    }
  }

  /// Why a request failed without running.
  public enum Rejection: Sendable, Equatable {
    /// The level's or the model's queue is full.
    case queueFull(limit: Int)
    /// Its queue timeout expired (action REJECT).
    case timedOut
    /// The batcher is closed (model unloading).
    case closed
    /// It has more rows than `maxBatchSize`.
    case tooLarge(rows: Int, limit: Int)
  }

  /// What the driver must do.
  public enum Action: Sendable, Equatable {
    /// Run these requests as one batch on `instance`, in this order.
    case execute(instance: Int, requests: [RequestID])
    /// Fail a request.
    case reject(RequestID, Rejection)
    /// Hand these finished requests their results (in this order).
    case release([RequestID])
    /// Call ``tick(now:)`` at this time (replaces any earlier wake-up request).
    case wakeUp(at: UInt64)
  }

  struct Pending: Sendable {
    var request: Request
    var arrival: UInt64
    var deadline: UInt64?
    var sequence: UInt64
  }

  /// The policy.
  public let policy: BatchingPolicy
  private var normal: [Deque<Pending>]
  private var delayed: [Deque<Pending>]
  private var idleInstances: [Int]
  private var closed = false
  private var draining = false
  private var nextSequence: UInt64 = 0
  // preserve_ordering bookkeeping: sequence of every request accepted and not yet released.
  private var outstanding: Deque<(sequence: UInt64, id: RequestID)> = []
  private var done: Set<RequestID> = []
  private var scheduledWakeUp: UInt64?

  /// Creates a batcher for `instanceCount` instances.
  public init(policy: BatchingPolicy, instanceCount: Int) {
    self.policy = policy
    self.normal = Array(repeating: [], count: policy.priorityLevels)
    self.delayed = Array(repeating: [], count: policy.priorityLevels)
    self.idleInstances = Array((0..<max(instanceCount, 1)).reversed())
  }

  /// Requests waiting now.
  public var queueDepth: Int { normal.reduce(0) { $0 + $1.count } + delayed.reduce(0) { $0 + $1.count } }

  /// A request arrives.
  public mutating func enqueue(_ request: Request, now: UInt64) -> [Action] {
    if closed { return [.reject(request.id, .closed)] }
    guard request.rows >= 1, request.rows <= policy.maxBatchSize else {
      return [.reject(request.id, .tooLarge(rows: request.rows, limit: policy.maxBatchSize))]
    }
    let level = (1...policy.priorityLevels).contains(request.priority) ? request.priority : policy.defaultPriorityLevel
    let queuePolicy = policy.queuePolicy(level: level)
    let levelDepth = normal[level - 1].count + delayed[level - 1].count
    if queuePolicy.maxQueueSize > 0 && levelDepth >= queuePolicy.maxQueueSize {
      return [.reject(request.id, .queueFull(limit: queuePolicy.maxQueueSize))]
    }
    if queueDepth >= policy.maxTotalQueueSize {
      return [.reject(request.id, .queueFull(limit: policy.maxTotalQueueSize))]
    }
    var timeout = queuePolicy.defaultTimeoutNanos
    if queuePolicy.allowTimeoutOverride, let own = request.timeoutNanos { timeout = own }
    var stored = request
    stored.priority = level
    normal[level - 1].append(
      Pending(request: stored, arrival: now, deadline: timeout > 0 ? now &+ timeout : nil, sequence: nextSequence))
    if policy.preserveOrdering { outstanding.append((nextSequence, request.id)) }
    nextSequence += 1
    return schedule(now: now)
  }

  /// An execution finished; its requests are done (successfully or not) and the instance is free.
  public mutating func finished(instance: Int, requests: [RequestID], now: UInt64) -> [Action] {
    idleInstances.append(instance)
    var actions: [Action] = []
    if policy.preserveOrdering {
      done.formUnion(requests)
      var ready: [RequestID] = []
      while let first = outstanding.first, done.contains(first.id) {
        ready.append(first.id)
        done.remove(first.id)
        outstanding.removeFirst()
      }
      if !ready.isEmpty { actions.append(.release(ready)) }
    } else {
      actions.append(.release(requests))
    }
    return actions + schedule(now: now)
  }

  /// The wake-up the driver was asked for has come (or any time: ticking early is harmless).
  public mutating func tick(now: UInt64) -> [Action] {
    scheduledWakeUp = nil
    return schedule(now: now)
  }

  /// Stops accepting requests; those waiting still run (a model unloading lets its accepted requests
  /// finish, as Triton). Batches now form as soon as an instance is free: no request can join them any more,
  /// so waiting for `maxQueueDelay` would only delay them. Queue timeouts still apply.
  public mutating func drain(now: UInt64) -> [Action] {
    closed = true
    draining = true
    return schedule(now: now)
  }

  /// Stops accepting requests; every waiting one is rejected.
  public mutating func close() -> [Action] {
    closed = true
    var actions: [Action] = []
    for level in 0..<policy.priorityLevels {
      for pending in normal[level] + delayed[level] { actions.append(.reject(pending.request.id, .closed)) }
      normal[level].removeAll()
      delayed[level].removeAll()
    }
    actions += dropOutstanding(actions.compactMap { if case .reject(let id, _) = $0 { return id } else { return nil } })
    return actions
  }

  /// Adds requests queued since `batch` was formed to that batch, before it starts: the driver, when there is
  /// no queue delay, lets the requests that arrived together (one socket read, say) reach the queue before a
  /// batch it formed runs. Taken like ``collect``: from the front of the queues in level order, the batch's
  /// shape only, while the rows fit in `maxBatchSize`, stopping at the first request that does not fit or whose
  /// queue timeout has passed (``tick(now:)`` deals with it). Preferred sizes are not applied here.
  /// - Returns: The ids added, in order; the driver runs them with the batch and reports them to
  ///   ``finished(instance:requests:now:)`` with it.
  public mutating func topUp(rows: Int, shapeKey: [Int64], now: UInt64) -> [RequestID] {
    var added: [RequestID] = []
    var total = rows
    scan: for level in 0..<policy.priorityLevels {
      for queue in [normal[level], delayed[level]] {
        for pending in queue {
          guard pending.request.shapeKey == shapeKey, total + pending.request.rows <= policy.maxBatchSize,
            pending.deadline.map({ now < $0 }) ?? true
          else { break scan }
          added.append(pending.request.id)
          total += pending.request.rows
        }
      }
    }
    if !added.isEmpty { remove(added) }
    return added
  }

  // MARK: - Scheduling

  private mutating func schedule(now: UInt64) -> [Action] {
    var actions = expire(now: now)
    var batchWakeUp: UInt64?
    while !idleInstances.isEmpty, let (batch, runNow, wake) = collect(now: now) {
      guard runNow else {
        batchWakeUp = wake
        break
      }
      let instance = idleInstances.removeLast()
      remove(batch)
      actions.append(.execute(instance: instance, requests: batch))
    }
    let wake = [batchWakeUp, nextDeadline()].compactMap { $0 }.min()
    if let wake, wake != scheduledWakeUp {
      scheduledWakeUp = wake
      actions.append(.wakeUp(at: wake))
    }
    return actions
  }

  /// Applies queue timeouts: REJECT removes the request, DELAY moves it behind its level's other requests.
  private mutating func expire(now: UInt64) -> [Action] {
    var rejected: [RequestID] = []
    for level in 0..<policy.priorityLevels {
      let action = policy.queuePolicy(level: level + 1).timeoutAction
      var kept: Deque<Pending> = []
      for var pending in normal[level] {
        if let deadline = pending.deadline, now >= deadline {
          switch action {
          case .reject: rejected.append(pending.request.id)
          case .delay:
            pending.deadline = nil
            delayed[level].append(pending)
          }
        } else {
          kept.append(pending)
        }
      }
      normal[level] = kept
    }
    guard !rejected.isEmpty else { return [] }
    return rejected.map { .reject($0, .timedOut) } + dropOutstanding(rejected)
  }

  /// Rejected requests leave the ordering book; requests held behind them may now be released.
  private mutating func dropOutstanding(_ ids: [RequestID]) -> [Action] {
    guard policy.preserveOrdering, !ids.isEmpty else { return [] }
    let gone = Set(ids)
    outstanding.removeAll { gone.contains($0.id) }
    var ready: [RequestID] = []
    while let first = outstanding.first, done.contains(first.id) {
      ready.append(first.id)
      done.remove(first.id)
      outstanding.removeFirst()
    }
    return ready.isEmpty ? [] : [.release(ready)]
  }

  /// The next batch and whether it should run now; if not, when to look again.
  private func collect(now: UInt64) -> (batch: [RequestID], runNow: Bool, wakeUp: UInt64?)? {
    var batch: [RequestID] = []
    var sums: [Int] = []
    var rows = 0
    var key: [Int64]?
    var oldest = UInt64.max
    var blocked = false
    scan: for level in 0..<policy.priorityLevels {
      for queue in [normal[level], delayed[level]] {
        for pending in queue {
          if key == nil { key = pending.request.shapeKey }
          guard pending.request.shapeKey == key, rows + pending.request.rows <= policy.maxBatchSize else {
            blocked = true
            break scan
          }
          batch.append(pending.request.id)
          rows += pending.request.rows
          sums.append(rows)
          oldest = min(oldest, pending.arrival)
        }
      }
    }
    guard !batch.isEmpty else { return nil }
    let deadline = oldest &+ policy.maxQueueDelayNanos
    if let largest = policy.preferredBatchSizes.last, rows >= largest,
      let cut = sums.lastIndex(where: { policy.preferredBatchSizes.contains($0) })
    {
      return (Array(batch[...cut]), true, nil)
    }
    let runNow = draining || rows == policy.maxBatchSize || blocked || policy.maxQueueDelayNanos == 0 || now >= deadline
    return (batch, runNow, runNow ? nil : deadline)
  }

  private mutating func remove(_ ids: [RequestID]) {
    let taken = Set(ids)
    for level in 0..<policy.priorityLevels {
      normal[level].removeAll { taken.contains($0.request.id) }
      delayed[level].removeAll { taken.contains($0.request.id) }
    }
  }

  private func nextDeadline() -> UInt64? {
    normal.lazy.flatMap { $0 }.compactMap(\.deadline).min()
  }
}
