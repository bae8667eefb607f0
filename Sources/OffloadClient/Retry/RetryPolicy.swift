public import KServeProtocol
internal import OffloadMeasurement

/// When and how a failed request is tried again.
///
/// Only failures that say nothing about the request itself are retried (by default UNAVAILABLE, which
/// covers a server that died, is draining, or has a full queue); each retry waits a jittered exponential
/// backoff and goes to another server holding the model where there is one. The overall deadline of a
/// call bounds every attempt and every wait.
public struct RetryPolicy: Sendable, Equatable {
  /// Which server a retry goes to.
  public enum ServerChoice: String, Sendable, Equatable {
    /// The same server again (e.g. one server behind a gateway).
    case same
    /// Another server holding the model, when there is one.
    case next
  }

  /// Attempts in all, first included (1: no retries).
  public var maxAttempts: Int
  /// Status codes worth another attempt.
  public var retryableCodes: Set<InferenceError.Code>
  /// Backoff before the first retry.
  public var initialBackoff: Duration
  /// Longest backoff.
  public var maxBackoff: Duration
  /// Growth per retry.
  public var multiplier: Double
  /// Server for retries.
  public var serverChoice: ServerChoice

  /// Creates a policy.
  public init(
    maxAttempts: Int = 4, retryableCodes: Set<InferenceError.Code> = [.unavailable],
    initialBackoff: Duration = .milliseconds(5), maxBackoff: Duration = .seconds(1), multiplier: Double = 2,
    serverChoice: ServerChoice = .next
  ) {
    self.maxAttempts = max(maxAttempts, 1)
    self.retryableCodes = retryableCodes
    self.initialBackoff = initialBackoff
    self.maxBackoff = maxBackoff
    self.multiplier = max(multiplier, 1)
    self.serverChoice = serverChoice
  }

  /// No retries.
  public static let none = RetryPolicy(maxAttempts: 1)

  /// Whether to try again after attempt number `attempt` (1-based) failed with `code`.
  public func shouldRetry(after attempt: Int, code: InferenceError.Code) -> Bool {
    attempt < maxAttempts && retryableCodes.contains(code)
  }

  /// The wait before retry number `retry` (1-based): "full jitter", uniformly random between zero and
  /// `initialBackoff × multiplier^(retry-1)` capped at `maxBackoff`, which spreads retries of many
  /// clients best.
  public func backoff(beforeRetry retry: Int, random: inout some RandomNumberGenerator) -> Duration {
    let initial = initialBackoff.inSeconds
    let ceiling = min(initial * pow(multiplier, Double(max(retry - 1, 0))), maxBackoff.inSeconds)
    guard ceiling > 0 else { return .zero }
    return .nanoseconds(Int64(Double.random(in: 0...ceiling, using: &random) * 1e9))
  }

  private func pow(_ base: Double, _ exponent: Double) -> Double {
    var result = 1.0
    var n = Int(min(exponent, 60))
    while n > 0 {
      result *= base
      n -= 1
    }
    return result
  }
}
