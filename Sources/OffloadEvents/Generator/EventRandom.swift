// The counter-based random numbers of the toy detector: SplitMix64 to derive
// seeds, xoshiro256** to draw, and the distributions the physics needs.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The SplitMix64 generator and its finaliser, used to turn (seed, event, stream)
/// into well-mixed 64-bit seeds.
public enum SplitMix64 {
  /// The SplitMix64 finaliser (a bijection of UInt64 with full avalanche).
  @inlinable
  public static func mix(_ value: UInt64) -> UInt64 {
    var z = value
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// One step of the SplitMix64 sequence: advances `state` and returns its output.
  @inlinable
  public static func next(_ state: inout UInt64) -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    return mix(state)
  }
}

/// A small, fast, deterministic pseudo-random generator (xoshiro256**) with the
/// distributions the toy detector uses.
///
/// Its output depends only on the seed it was created with: nothing here calls the
/// standard library's or Foundation's random functions. The bits are the same on every
/// platform; derived doubles that go through `log`, `exp` or `pow` are the same wherever
/// the same math library runs.
public struct EventRandom: RandomNumberGenerator, Sendable {
  private var s0: UInt64
  private var s1: UInt64
  private var s2: UInt64
  private var s3: UInt64
  /// The second normal deviate of the last polar-method pair, if not yet used.
  private var spareNormal: Double?

  /// A generator whose four state words are the next four SplitMix64 outputs from `seed`.
  public init(seed: UInt64) {
    var state = seed
    s0 = SplitMix64.next(&state)
    s1 = SplitMix64.next(&state)
    s2 = SplitMix64.next(&state)
    s3 = SplitMix64.next(&state)
    spareNormal = nil
  }

  /// The generator for one stream of one event: its seed mixes the run seed, the event
  /// index and the stream number, so any event can be generated on its own.
  public init(seed: UInt64, event: UInt64, stream: UInt64) {
    var key = SplitMix64.mix(seed &+ 0x6A09_E667_F3BC_C909)
    key = SplitMix64.mix(key ^ event)
    key = SplitMix64.mix(key ^ (stream &* 0x9E37_79B9_7F4A_7C15))
    self.init(seed: key)
  }

  /// The next 64 random bits (xoshiro256**).
  public mutating func next() -> UInt64 {
    let result = Self.rotate(s1 &* 5, 7) &* 9
    let t = s1 << 17
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = Self.rotate(s3, 45)
    return result
  }

  private static func rotate(_ value: UInt64, _ amount: UInt64) -> UInt64 {
    (value << amount) | (value >> (64 &- amount))
  }

  // MARK: Uniform

  /// Uniform in [0, 1), 53 random bits.
  public mutating func uniform() -> Double {
    Double(next() >> 11) * 0x1.0p-53
  }

  /// Uniform in (0, 1]: safe to take the logarithm of.
  public mutating func uniformPositive() -> Double {
    Double((next() >> 11) + 1) * 0x1.0p-53
  }

  /// Uniform in (0, 1), both ends excluded (52 random bits).
  public mutating func uniformOpen() -> Double {
    (Double(next() >> 12) + 0.5) * 0x1.0p-52
  }

  /// Uniform in [low, high).
  public mutating func uniform(_ low: Double, _ high: Double) -> Double {
    low + (high - low) * uniform()
  }

  /// Uniform integer in 0..<bound (Lemire's multiply-and-reject, unbiased). `bound` > 0.
  public mutating func integer(below bound: UInt64) -> UInt64 {
    precondition(bound > 0, "integer(below:) needs a positive bound")
    var product = next().multipliedFullWidth(by: bound)
    if product.low < bound {
      let threshold = (0 &- bound) % bound
      while product.low < threshold {
        product = next().multipliedFullWidth(by: bound)
      }
    }
    return product.high
  }

  /// Uniform integer in a closed range.
  public mutating func integer(in range: ClosedRange<Int>) -> Int {
    let width = UInt64(bitPattern: Int64(range.upperBound &- range.lowerBound)) &+ 1
    return range.lowerBound &+ Int(truncatingIfNeeded: integer(below: width))
  }

  /// True with probability `p` (a uniform draw below `p`).
  public mutating func bernoulli(_ p: Double) -> Bool {
    uniform() < p
  }

  /// −1 or +1 with equal probability.
  public mutating func sign() -> Double {
    uniform() < 0.5 ? -1.0 : 1.0
  }

  // MARK: Continuous distributions

  /// Standard normal deviate (Marsaglia's polar method; the pair's second deviate is kept).
  public mutating func normal() -> Double {
    if let spare = spareNormal {
      spareNormal = nil
      return spare
    }
    while true {
      let u = 2.0 * uniform() - 1.0
      let v = 2.0 * uniform() - 1.0
      let s = u * u + v * v
      if s > 0.0 && s < 1.0 {
        let factor = (-2.0 * log(s) / s).squareRoot()
        spareNormal = v * factor
        return u * factor
      }
    }
  }

  /// Normal deviate with the given mean and standard deviation.
  public mutating func normal(mean: Double, sd: Double) -> Double {
    mean + sd * normal()
  }

  /// Exponential deviate with the given mean (`scale`).
  public mutating func exponential(scale: Double = 1.0) -> Double {
    -log(uniformPositive()) * scale
  }

  /// Gamma(shape k, scale θ) deviate, mean kθ (Marsaglia–Tsang; k < 1 by boosting with U^(1/k)).
  public mutating func gamma(shape: Double, scale: Double = 1.0) -> Double {
    precondition(shape > 0, "gamma needs a positive shape")
    if shape < 1.0 {
      return gamma(shape: shape + 1.0, scale: scale) * pow(uniformPositive(), 1.0 / shape)
    }
    if shape == 1.0 { return exponential(scale: scale) }
    let d = shape - 1.0 / 3.0
    let c = 1.0 / (9.0 * d).squareRoot()
    while true {
      var x: Double
      var v: Double
      repeat {
        x = normal()
        v = 1.0 + c * x
      } while v <= 0.0
      v = v * v * v
      let u = uniformPositive()
      let x2 = x * x
      if u < 1.0 - 0.0331 * x2 * x2 { return d * v * scale }
      if log(u) < 0.5 * x2 + d * (1.0 - v + log(v)) { return d * v * scale }
    }
  }

  /// χ² deviate with `degreesOfFreedom` (> 0) degrees of freedom: 2 · Gamma(ndf/2).
  public mutating func chiSquare(_ degreesOfFreedom: Double) -> Double {
    2.0 * gamma(shape: 0.5 * degreesOfFreedom)
  }

  /// Beta(a, b) deviate, from two gamma deviates.
  public mutating func beta(_ a: Double, _ b: Double) -> Double {
    let x = gamma(shape: a)
    let y = gamma(shape: b)
    return x / (x + y)
  }

  /// Fills `output` with a Dirichlet(α, …, α) draw of `output.count` components (normalised gammas).
  public mutating func dirichlet(alpha: Double, into output: inout [Double]) {
    var sum = 0.0
    for i in output.indices {
      let g = gamma(shape: alpha)
      output[i] = g
      sum += g
    }
    for i in output.indices { output[i] /= sum }
  }

  // MARK: Discrete distributions

  /// Poisson deviate with mean `lambda` ≥ 0: multiplication of uniforms below 10,
  /// Hörmann's transformed rejection (PTRS) from 10 on.
  public mutating func poisson(_ lambda: Double) -> Int {
    if lambda <= 0 { return 0 }
    if lambda < 10 { return poissonSmall(expMinusLambda: exp(-lambda)) }
    let slam = lambda.squareRoot()
    let loglam = log(lambda)
    let b = 0.931 + 2.53 * slam
    let a = -0.059 + 0.02483 * b
    let invAlpha = 1.1239 + 1.1328 / (b - 3.4)
    let vr = 0.9277 - 3.6224 / (b - 2.0)
    while true {
      let u = uniform() - 0.5
      let v = uniformPositive()
      let us = 0.5 - abs(u)
      let k = ((2.0 * a / us + b) * u + lambda + 0.43).rounded(.down)
      if us >= 0.07 && v <= vr { return Int(k) }
      if k < 0 || (us < 0.013 && v > us) { continue }
      if log(v) + log(invAlpha) - log(a / (us * us) + b) <= -lambda + k * loglam - lgamma(k + 1.0) {
        return Int(k)
      }
    }
  }

  /// Poisson deviate by multiplying uniforms, for a small mean λ given as e^(−λ)
  /// (callers drawing many deviates of one mean compute it once). O(λ) draws.
  public mutating func poissonSmall(expMinusLambda limit: Double) -> Int {
    var count = 0
    var product = uniform()
    while product > limit {
      count += 1
      product *= uniform()
    }
    return count
  }

  /// The `quantile`-quantile of Poisson(`lambda`): the smallest k with P(X ≤ k) ≥ quantile.
  /// Maps one uniform number to a Poisson count monotonically (`lambda` ≤ 700).
  /// Costs O(k) steps.
  public static func poissonQuantile(_ lambda: Double, _ quantile: Double) -> Int {
    if lambda <= 0 { return 0 }
    var term = exp(-lambda)
    var cumulative = term
    var k = 0
    while cumulative < quantile && k < 100_000 {
      k += 1
      term *= lambda / Double(k)
      cumulative += term
      if Double(k) > lambda && term < cumulative * 1e-17 { break }  // no longer changes the sum
    }
    return k
  }

  /// Binomial(n, p) deviate by counting Bernoulli trials (the toy only needs small n).
  public mutating func binomial(_ n: Int, _ p: Double) -> Int {
    var count = 0
    for _ in 0..<max(n, 0) where uniform() < p { count += 1 }
    return count
  }

  /// Index drawn with probability proportional to `weights` (non-negative, positive sum).
  public mutating func categorical(_ weights: [Double]) -> Int {
    let total = weights.reduce(0, +)
    var target = uniform() * total
    for (i, w) in weights.enumerated() {
      if target < w { return i }
      target -= w
    }
    return weights.count - 1
  }

  /// A uniformly random permutation of 0..<count (Fisher–Yates).
  public mutating func permutation(_ count: Int) -> [Int] {
    var result = Array(0..<count)
    var i = count - 1
    while i > 0 {
      let j = Int(integer(below: UInt64(i + 1)))
      result.swapAt(i, j)
      i -= 1
    }
    return result
  }
}
