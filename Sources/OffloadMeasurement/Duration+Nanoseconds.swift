extension Duration {
  /// The duration in whole nanoseconds, clamped at zero (statistics never go negative).
  public var clampedNanoseconds: UInt64 {
    let (seconds, attoseconds) = components
    return UInt64(max(seconds, 0)) &* 1_000_000_000 &+ UInt64(max(attoseconds, 0) / 1_000_000_000)
  }

  /// The duration in seconds as a `Double` (for rates and backoff arithmetic).
  public var inSeconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
