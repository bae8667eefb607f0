internal import OffloadMeasurement

/// Stands for the rest of an experiment's reconstruction: a fixed amount of deterministic CPU work per
/// event (a dependent chain of integer mixing steps the optimiser cannot skip), calibrated once to
/// microseconds on this machine.
public struct ReconstructionWorkModule: SynchronousModule {
  /// Mixing steps per event.
  public let steps: Int

  public var label: String { "reconstruction" }
  public var consumes: [String] { [EventData.detectorProduct] }
  public var produces: [String] { ["reconstruction"] }

  /// Creates the module with a number of steps (see ``calibratedSteps(microseconds:)``).
  public init(steps: Int) { self.steps = max(0, steps) }

  public func produce(_ event: inout EventData) throws {
    event.products["reconstruction"] = .scalar(Double(Self.work(seed: event.index, steps: steps) >> 11))
  }

  /// The work itself: a SplitMix64-style chain.
  static func work(seed: UInt64, steps: Int) -> UInt64 {
    var x = seed &+ 0x9E37_79B9_7F4A_7C15
    for _ in 0..<steps {
      x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
      x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
      x ^= x >> 31
    }
    return x
  }

  /// Steps that take about `microseconds` of CPU here, measured over a short loop.
  public static func calibratedSteps(microseconds: Double) -> Int {
    guard microseconds > 0 else { return 0 }
    let probe = 2_000_000
    let start = ContinuousClock.now
    let sink = work(seed: 1, steps: probe)
    let seconds = (ContinuousClock.now - start).inSeconds
    precondition(sink != 42 || seconds >= 0)  // keeps the probe alive
    return max(1, Int(Double(probe) * microseconds * 1e-6 / max(seconds, 1e-9)))
  }
}
