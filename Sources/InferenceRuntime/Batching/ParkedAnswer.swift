internal import KServeProtocol
internal import Synchronization

/// A queued request's side of its answer, kept in a scheduler's locked state: the caller's continuation
/// while it waits, and the answer once there is one. Whichever comes second completes the request.
protocol ParkedAnswer {
  associatedtype Answer: Sendable
  /// The waiting caller.
  var continuation: CheckedContinuation<Answer, any Error>? { get set }
  /// The answer, once the request may be given it.
  var deliverable: Result<Answer, any Error>? { get }
}

extension Dictionary where Key == UInt64, Value: ParkedAnswer {
  /// The answer of request `id` when it is deliverable (its entry is then removed); otherwise `nil`, and
  /// `continuation` is left in the entry for the scheduler to resume.
  mutating func park(
    _ id: UInt64, _ continuation: CheckedContinuation<Value.Answer, any Error>
  ) -> Result<Value.Answer, any Error>? {
    guard let entry = self[id] else { return .failure(InferenceError(.internal, "lost request \(id)")) }
    if let answer = entry.deliverable {
      self[id] = nil
      return answer
    }
    self[id]?.continuation = continuation
    return nil
  }
}

extension Mutex where Value: ~Copyable {
  /// Waits for an answer that a scheduler delivers through this state: `park` returns it when it is already
  /// there, or keeps the continuation (``Dictionary/park(_:_:)``).
  func waitForAnswer<Answer: Sendable>(
    _ park: (inout sending Value, CheckedContinuation<Answer, any Error>) -> Result<Answer, any Error>?
  ) async throws -> Answer {
    try await withCheckedThrowingContinuation { continuation in
      if let ready = withLock({ park(&$0, continuation) }) { continuation.resume(with: ready) }
    }
  }
}
