import KServeProtocol
import OffloadClient
import Testing

@Suite(.timeLimit(.minutes(1))) struct RetryPolicyTests {
  static let allCodes: [InferenceError.Code] = [
    .invalidArgument, .notFound, .unavailable, .internal, .unimplemented, .resourceExhausted,
    .failedPrecondition, .alreadyExists, .deadlineExceeded, .cancelled, .unauthenticated,
  ]

  /// Duration in nanoseconds, as a Double.
  static func nanos(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1e9 + Double(duration.components.attoseconds) * 1e-9
  }

  @Test func retriesUntilMaxAttemptsForRetryableCodes() {
    let policy = RetryPolicy(maxAttempts: 3)
    #expect(policy.shouldRetry(after: 1, code: .unavailable))
    #expect(policy.shouldRetry(after: 2, code: .unavailable))
    #expect(!policy.shouldRetry(after: 3, code: .unavailable))
    #expect(!policy.shouldRetry(after: 4, code: .unavailable))
  }

  @Test func byDefaultOnlyUnavailableIsRetried() {
    let policy = RetryPolicy()
    for code in Self.allCodes {
      #expect(policy.shouldRetry(after: 1, code: code) == (code == .unavailable), "\(code)")
    }
  }

  @Test func chosenCodesAreRetried() {
    let policy = RetryPolicy(maxAttempts: 5, retryableCodes: [.unavailable, .resourceExhausted])
    #expect(policy.shouldRetry(after: 1, code: .resourceExhausted))
    #expect(policy.shouldRetry(after: 4, code: .unavailable))
    #expect(!policy.shouldRetry(after: 1, code: .invalidArgument))
    #expect(!policy.shouldRetry(after: 1, code: .deadlineExceeded))
    #expect(!policy.shouldRetry(after: 5, code: .resourceExhausted))
  }

  @Test func noRetriesPolicyNeverRetries() {
    #expect(RetryPolicy.none.maxAttempts == 1)
    for attempt in 1...5 {
      for code in Self.allCodes {
        #expect(!RetryPolicy.none.shouldRetry(after: attempt, code: code), "attempt \(attempt), \(code)")
      }
    }
  }

  @Test func outOfRangeSettingsAreClamped() {
    let policy = RetryPolicy(maxAttempts: 0, multiplier: 0.5)
    #expect(policy.maxAttempts == 1)
    #expect(policy.multiplier == 1)
    #expect(!policy.shouldRetry(after: 1, code: .unavailable))
  }

  @Test func backoffStaysBetweenZeroAndTheGrowingCeiling() {
    let policy = RetryPolicy(initialBackoff: .milliseconds(10), maxBackoff: .milliseconds(200), multiplier: 2)
    var random = SeededGenerator(seed: 31)
    // Ceilings in milliseconds for retries 1...8: 10, 20, 40, 80, 160, then capped at 200.
    let ceilings: [Double] = [10, 20, 40, 80, 160, 200, 200, 200]
    for (index, ceilingMs) in ceilings.enumerated() {
      let retry = index + 1
      let samples = (0..<1_000).map { _ in Self.nanos(policy.backoff(beforeRetry: retry, random: &random)) }
      #expect(samples.min()! >= 0, "retry \(retry)")
      #expect(samples.max()! <= ceilingMs * 1e6 + 1, "retry \(retry)")
      // Full jitter: the samples reach close to the ceiling, not just a corner of the range.
      #expect(samples.max()! > ceilingMs * 1e6 * 0.9, "retry \(retry)")
      #expect(samples.min()! < ceilingMs * 1e6 * 0.1, "retry \(retry)")
    }
  }

  @Test func longestObservedBackoffGrowsWithEachRetryUntilTheCap() {
    let policy = RetryPolicy(initialBackoff: .milliseconds(5), maxBackoff: .seconds(1), multiplier: 2)
    var random = SeededGenerator(seed: 32)
    let longest = (1...6).map { retry in
      (0..<2_000).map { _ in Self.nanos(policy.backoff(beforeRetry: retry, random: &random)) }.max()!
    }
    for (earlier, later) in zip(longest, longest.dropFirst()) {
      #expect(later > earlier)
      #expect(later > 1.5 * earlier)  // roughly doubles
    }
    let capped = (0..<2_000).map { _ in Self.nanos(policy.backoff(beforeRetry: 20, random: &random)) }.max()!
    #expect(capped <= 1e9 + 1)
    #expect(capped > 0.9e9)
  }

  @Test func multiplierOfOneKeepsTheCeilingConstant() {
    let policy = RetryPolicy(initialBackoff: .milliseconds(3), maxBackoff: .seconds(1), multiplier: 1)
    var random = SeededGenerator(seed: 33)
    for retry in [1, 2, 5, 10] {
      let samples = (0..<500).map { _ in Self.nanos(policy.backoff(beforeRetry: retry, random: &random)) }
      #expect(samples.max()! <= 3e6 + 1, "retry \(retry)")
    }
  }

  @Test func zeroInitialBackoffWaitsNothing() {
    let policy = RetryPolicy(initialBackoff: .zero)
    var random = SeededGenerator(seed: 34)
    for retry in 1...4 { #expect(policy.backoff(beforeRetry: retry, random: &random) == .zero) }
  }

  @Test func sameSeedGivesTheSameBackoffs() {
    let policy = RetryPolicy()
    var first = SeededGenerator(seed: 35)
    var second = SeededGenerator(seed: 35)
    let a = (1...5).map { policy.backoff(beforeRetry: $0, random: &first) }
    let b = (1...5).map { policy.backoff(beforeRetry: $0, random: &second) }
    #expect(a == b)
  }
}
