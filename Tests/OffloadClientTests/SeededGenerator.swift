import Testing

/// SplitMix64: a tiny deterministic random number generator, so tests that need randomness (jitter,
/// power-of-two-choices) give the same answer on every run and every platform.
struct SeededGenerator: RandomNumberGenerator, Sendable {
  private var state: UInt64

  init(seed: UInt64) { state = seed }

  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

@Suite(.timeLimit(.minutes(1))) struct SeededGeneratorTests {
  @Test func sameSeedGivesTheSameSequenceAndDifferentSeedsDiffer() {
    var first = SeededGenerator(seed: 1)
    var again = SeededGenerator(seed: 1)
    var other = SeededGenerator(seed: 2)
    let a = (0..<16).map { _ in first.next() }
    let b = (0..<16).map { _ in again.next() }
    let c = (0..<16).map { _ in other.next() }
    #expect(a == b)
    #expect(a != c)
    #expect(Set(a).count == a.count)
  }

  @Test func uniformDoublesCoverTheRange() {
    var random = SeededGenerator(seed: 7)
    let samples = (0..<1_000).map { _ in Double.random(in: 0..<1, using: &random) }
    #expect(samples.min()! < 0.05)
    #expect(samples.max()! > 0.95)
    let mean = samples.reduce(0, +) / Double(samples.count)
    #expect(abs(mean - 0.5) < 0.05)
  }
}
