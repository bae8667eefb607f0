internal import Synchronization

/// The latency summaries of every loaded model version (the data of Triton's `nv_inference_*_summary_us`).
/// swift-prometheus has no summary type, so the runtime keeps them and the metrics endpoint renders
/// ``heldSeries()`` after the registry's output.
///
/// Series are reference-counted by (model, version): a reload of a version shares the series of the version
/// it replaces (its `_sum` and `_count` go on, as Triton's reporter and the `nv_*` counters do), and the
/// series disappear from the output when the last holder releases them (the version is unloaded).
public final class LatencySummaryRegistry: Sendable {
  private struct Key: Hashable {
    var model: String
    var version: String
  }

  private struct Entry {
    var series: ModelLatencySummaries
    var holders: Int
  }

  /// The settings every series is created with.
  public let configuration: LatencySummaryConfiguration
  /// Time zero of every series' windows.
  public let origin: ContinuousClock.Instant
  private let entries = Mutex<[Key: Entry]>([:])

  /// Creates an empty registry.
  /// - Parameters:
  ///   - configuration: Quantiles and window.
  ///   - origin: Time zero of the windows (tests pass later instants to the series' `observe` and to
  ///     the snapshots they render).
  public init(configuration: LatencySummaryConfiguration, origin: ContinuousClock.Instant = .now) {
    self.configuration = configuration
    self.origin = origin
  }

  /// The series of a model version, created on first use; each call must be balanced by ``release(_:)``.
  /// - Parameters:
  ///   - model: Model name.
  ///   - version: Version.
  public func acquire(model: String, version: String) -> ModelLatencySummaries {
    entries.withLock { held in
      let key = Key(model: model, version: version)
      if var entry = held[key] {
        entry.holders += 1
        held[key] = entry
        return entry.series
      }
      let series = ModelLatencySummaries(model: model, version: version, configuration: configuration, origin: origin)
      held[key] = Entry(series: series, holders: 1)
      return series
    }
  }

  /// Gives back a series from ``acquire(model:version:)``; the last release removes it from the output.
  /// Observations made on it afterwards are harmless and unreported.
  public func release(_ series: ModelLatencySummaries) {
    entries.withLock { held in
      let key = Key(model: series.model, version: series.version)
      guard var entry = held[key], entry.series === series else { return }
      entry.holders -= 1
      held[key] = entry.holders > 0 ? entry : nil
    }
  }

  /// The series of a model version, if it is held.
  public func series(model: String, version: String) -> ModelLatencySummaries? {
    entries.withLock { $0[Key(model: model, version: version)]?.series }
  }

  /// Every held series, sorted by model name, then version number ("2" before "10"; non-numeric ones last,
  /// by text): what the metrics endpoint renders (InferenceServer's `LatencySummaryExposition`).
  public func heldSeries() -> [ModelLatencySummaries] {
    entries.withLock { $0.values.map(\.series) }.sorted(by: Self.precedes)
  }

  /// Output order: by model name, then by version number ("2" before "10"; non-numeric ones last, by text).
  private static func precedes(_ a: ModelLatencySummaries, _ b: ModelLatencySummaries) -> Bool {
    if a.model != b.model { return a.model < b.model }
    let (x, y) = (Int64(a.version) ?? .max, Int64(b.version) ?? .max)
    return x != y ? x < y : a.version < b.version
  }
}
