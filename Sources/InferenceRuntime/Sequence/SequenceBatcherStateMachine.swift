internal import DequeModule

/// Triton's sequence batcher for one stateful model version, as a pure state machine: no clock, no tasks.
/// Its driver (``SequenceBatchScheduler``) passes the time in and performs the actions.
///
/// A sequence (one `sequence_id`) holds a *slot* from its first request (`sequence_start`) until its last
/// (`sequence_end`) has run, or until it has been idle for `max_sequence_idle_microseconds`. Requests of one
/// sequence run one at a time, in arrival order. An execution takes at most one request per sequence.
/// - `direct`: each slot belongs to one instance (a model with `max_batch_size` N has N slots per instance);
///   an idle instance runs the waiting requests of its own sequences.
/// - `oldest`: `max_candidate_sequences` slots shared by all instances; an idle instance runs the waiting
///   requests of the sequences whose next request is oldest, up to the batch size (or the largest
///   `preferred_batch_size`; a partial batch is cut to the largest preferred size it reaches).
/// A new sequence that finds every slot taken waits in a backlog (bounded) until one frees, as in Triton.
public struct SequenceBatcherStateMachine: Sendable {
  /// A sequence's correlation id (`sequence_id`: an unsigned integer or a string).
  public enum SequenceID: Hashable, Sendable, CustomStringConvertible {
    case number(UInt64)
    case string(String)

    public var description: String {
      switch self {
      case .number(let value): return String(value)
      case .string(let value): return "'\(value)'"
      }
    }
  }

  /// How sequences share the instances.
  public enum Strategy: Sendable, Equatable {
    /// One slot per sequence on one instance; `slots` per instance.
    case direct
    /// `candidates` slots shared by every instance.
    case oldest(candidates: Int)
  }

  /// The parts of the configuration the machine needs.
  public struct Configuration: Sendable, Equatable {
    /// How sequences share the instances.
    public var strategy: Strategy
    /// Instances of the model version.
    public var instanceCount: Int
    /// Requests per execution at most (`max_batch_size`, at least 1); also the direct strategy's slots per
    /// instance.
    public var maxBatchSize: Int
    /// How long a sequence may go without a request before its slot is freed.
    public var idleNanos: UInt64
    /// How long a partial batch may wait for more sequences' requests (0: it runs at once).
    public var maxQueueDelayNanos: UInt64
    /// New sequences that may wait for a slot.
    public var maxBacklog: Int
    /// `oldest`'s `preferred_batch_size`, ascending (empty: the batch size is the target).
    public var preferredBatchSizes: [Int]

    /// Creates a configuration.
    public init(
      strategy: Strategy, instanceCount: Int, maxBatchSize: Int, idleNanos: UInt64, maxQueueDelayNanos: UInt64 = 0,
      maxBacklog: Int, preferredBatchSizes: [Int] = []
    ) {
      self.strategy = strategy
      self.instanceCount = max(instanceCount, 1)
      self.maxBatchSize = max(maxBatchSize, 1)
      self.idleNanos = idleNanos
      self.maxQueueDelayNanos = maxQueueDelayNanos
      self.maxBacklog = max(maxBacklog, 0)
      self.preferredBatchSizes = Array(Set(preferredBatchSizes.filter { $0 > 0 && $0 <= max(maxBatchSize, 1) }))
        .sorted()
    }

    /// The size a batch waits for: the largest preferred size, or the batch size.
    var target: Int { preferredBatchSizes.last ?? maxBatchSize }

    /// Slots in all.
    public var slotCount: Int {
      switch strategy {
      case .direct: return instanceCount * maxBatchSize
      case .oldest(let candidates): return max(candidates, 1)
      }
    }
  }

  /// One request of a sequence.
  public struct Request: Sendable, Equatable {
    /// The driver's id for it.
    public var id: UInt64
    /// Its sequence.
    public var sequence: SequenceID
    /// `sequence_start`: the sequence begins (again) with it.
    public var start: Bool
    /// `sequence_end`: the sequence ends after it.
    public var end: Bool

    /// Creates a request.
    public init(id: UInt64, sequence: SequenceID, start: Bool, end: Bool) {
      self.id = id
      self.sequence = sequence
      self.start = start
      self.end = end
    }
  }

  /// Why a request was refused.
  public enum Rejection: Sendable, Equatable {
    /// The sequence is not active and the request does not start it.
    case notStarted(SequenceID)
    /// Every slot is taken and the backlog of new sequences is full.
    case backlogFull(slots: Int, backlog: Int)
    /// The model version is being unloaded.
    case closed
  }

  /// What the driver must do.
  public enum Action: Sendable, Equatable {
    /// Run these requests (in this order, one per sequence) as one execution on the instance.
    case execute(instance: Int, requests: [Request])
    /// Fail the request.
    case reject(Request, Rejection)
    /// The sequence's slot was freed (ended, or idle): drop what the driver keeps for it (its state).
    case released(SequenceID, idle: Bool)
    /// Call ``tick(now:)`` at this time (replaces any earlier wake-up).
    case wakeUp(at: UInt64)
  }

  private struct Pending: Sendable {
    var request: Request
    var arrival: UInt64
  }

  private struct Sequence: Sendable {
    /// The instance of its slot (direct), or -1 for a shared slot (oldest); `nil` while in the backlog.
    var instance: Int?
    var queue: Deque<Pending> = []
    var running = false
    var lastActivity: UInt64
  }

  private let configuration: Configuration
  private var sequences: [SequenceID: Sequence] = [:]
  private var backlog: Deque<SequenceID> = []
  /// Direct: free slots per instance. Oldest: free shared slots in `freeShared`.
  private var freeSlots: [Int]
  private var freeShared: Int
  private var busy: [Bool]
  private var closed = false
  private var lastWakeUp: UInt64?

  /// Creates the machine.
  public init(_ configuration: Configuration) {
    self.configuration = configuration
    freeSlots = Array(repeating: configuration.maxBatchSize, count: configuration.instanceCount)
    freeShared = configuration.slotCount
    busy = Array(repeating: false, count: configuration.instanceCount)
  }

  /// Requests waiting (not running).
  public var queueDepth: Int { sequences.values.reduce(0) { $0 + $1.queue.count } }

  /// Sequences holding a slot.
  public var activeSequences: Int { sequences.values.count(where: { $0.instance != nil }) }

  /// Sequences waiting for a slot.
  public var backlogged: Int { backlog.count }

  /// A request arrives.
  public mutating func enqueue(_ request: Request, now: UInt64) -> [Action] {
    guard !closed else { return [.reject(request, .closed)] }
    let pending = Pending(request: request, arrival: now)
    if sequences[request.sequence] != nil {
      sequences[request.sequence]!.queue.append(pending)
      return schedule(now: now)
    }
    guard request.start else { return [.reject(request, .notStarted(request.sequence))] }
    var sequence = Sequence(instance: nil, queue: [pending], lastActivity: now)
    if let instance = takeSlot() {
      sequence.instance = instance
    } else {
      guard backlog.count < configuration.maxBacklog else {
        return [.reject(request, .backlogFull(slots: configuration.slotCount, backlog: configuration.maxBacklog))]
      }
      backlog.append(request.sequence)
    }
    sequences[request.sequence] = sequence
    return schedule(now: now)
  }

  /// An execution ended (successfully or not): its sequences may run their next requests; those whose
  /// request carried `sequence_end` free their slots.
  public mutating func finished(instance: Int, requests: [Request], now: UInt64) -> [Action] {
    busy[instance] = false
    var actions: [Action] = []
    for request in requests {
      guard var sequence = sequences[request.sequence] else { continue }
      sequence.running = false
      sequence.lastActivity = now
      sequences[request.sequence] = sequence
      guard request.end else { continue }
      // Requests queued behind the end belong to a new sequence with the same id only if the next starts it.
      var rejected: [Pending] = []
      while let head = sequence.queue.first, !head.request.start {
        rejected.append(sequence.queue.removeFirst())
      }
      actions += rejected.map { .reject($0.request, .notStarted(request.sequence)) }
      if sequence.queue.isEmpty {
        actions += release(request.sequence, idle: false)
      } else {
        // The next sequence with this id keeps the slot; its state starts afresh.
        sequences[request.sequence] = sequence
        actions.append(.released(request.sequence, idle: false))
      }
    }
    return actions + schedule(now: now)
  }

  /// The time passed: frees the slots of idle sequences and runs partial batches whose delay is over.
  public mutating func tick(now: UInt64) -> [Action] {
    lastWakeUp = nil
    var actions: [Action] = []
    let idle = sequences.filter { _, sequence in
      sequence.instance != nil && !sequence.running && sequence.queue.isEmpty
        && now &- sequence.lastActivity >= configuration.idleNanos
    }
    for id in idle.keys.sorted(by: { idle[$0]!.lastActivity < idle[$1]!.lastActivity }) {
      actions += release(id, idle: true)
    }
    return actions + schedule(now: now)
  }

  /// Unloading: new requests are refused; those waiting are rejected when `rejectWaiting`, otherwise they
  /// still run (a drain).
  public mutating func close(rejectWaiting: Bool) -> [Action] {
    closed = true
    guard rejectWaiting else { return [] }
    var actions: [Action] = []
    for id in sequences.keys {
      let queue = sequences[id]!.queue
      sequences[id]!.queue.removeAll()
      actions += queue.map { .reject($0.request, .closed) }
    }
    backlog.removeAll()
    return actions
  }

  private mutating func takeSlot() -> Int? {
    switch configuration.strategy {
    case .direct:
      // The instance with the most free slots, so sequences spread over the instances.
      guard let instance = freeSlots.indices.max(by: { freeSlots[$0] < freeSlots[$1] }), freeSlots[instance] > 0
      else { return nil }
      freeSlots[instance] -= 1
      return instance
    case .oldest:
      guard freeShared > 0 else { return nil }
      freeShared -= 1
      return -1
    }
  }

  /// Frees a sequence's slot and gives it to the oldest backlogged sequence.
  private mutating func release(_ id: SequenceID, idle: Bool) -> [Action] {
    guard let sequence = sequences.removeValue(forKey: id), let instance = sequence.instance else { return [] }
    if instance >= 0 { freeSlots[instance] += 1 } else { freeShared += 1 }
    while let next = backlog.first, sequences[next] != nil {
      guard let slot = takeSlot() else { break }
      backlog.removeFirst()
      sequences[next]!.instance = slot
    }
    return [.released(id, idle: idle)]
  }

  /// Starts executions on idle instances and asks for the next wake-up.
  private mutating func schedule(now: UInt64) -> [Action] {
    var actions: [Action] = []
    var wake: UInt64?
    for instance in busy.indices where !busy[instance] {
      // Sequences with a slot usable by this instance, a waiting request and none running, oldest first.
      let ready = sequences.filter { _, sequence in
        guard let slot = sequence.instance, !sequence.running, !sequence.queue.isEmpty else { return false }
        return slot == instance || slot == -1
      }
      guard !ready.isEmpty else { continue }
      var chosen = ready.keys.sorted { ready[$0]!.queue.first!.arrival < ready[$1]!.queue.first!.arrival }
        .prefix(configuration.target)
      let oldest = ready[chosen.first!]!.queue.first!.arrival
      if chosen.count < configuration.target, configuration.maxQueueDelayNanos > 0,
        now &- oldest < configuration.maxQueueDelayNanos
      {
        let due = oldest &+ configuration.maxQueueDelayNanos
        wake = min(wake ?? due, due)
        continue
      }
      // A partial batch is cut to the largest preferred size it reaches (the rest wait for the next one).
      if let preferred = configuration.preferredBatchSizes.last(where: { $0 <= chosen.count }) {
        chosen = chosen.prefix(preferred)
      }
      busy[instance] = true
      var requests: [Request] = []
      for id in chosen {
        let pending = sequences[id]!.queue.removeFirst()
        sequences[id]!.running = true
        requests.append(pending.request)
      }
      actions.append(.execute(instance: instance, requests: requests))
    }
    // The next idle sequence's deadline.
    for sequence in sequences.values
    where sequence.instance != nil && !sequence.running && sequence.queue.isEmpty {
      let due = sequence.lastActivity &+ configuration.idleNanos
      wake = min(wake ?? due, due)
    }
    if let wake, wake != lastWakeUp {
      lastWakeUp = wake
      actions.append(.wakeUp(at: wake))
    }
    return actions
  }
}
