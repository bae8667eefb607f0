internal import InferenceRuntime
internal import Prometheus

/// Triton's server-wide response-cache metrics, read from the cache at scrape time: `nv_cache_num_entries`,
/// `nv_cache_num_lookups`, `nv_cache_num_hits`, `nv_cache_num_misses`, `nv_cache_num_evictions`,
/// `nv_cache_util` (fraction of the configured size in use) and the total `nv_cache_lookup_duration` /
/// `nv_cache_insertion_duration` in µs. Exported only when the server has a cache (`--cache-config`).
final class CacheGauges: Sendable {
  private let cache: ResponseCache
  private let entries, lookups, hits, misses, evictions, utilization, lookupMicros, insertionMicros: Prometheus.Gauge

  init(cache: ResponseCache, registry: PrometheusCollectorRegistry) {
    func gauge(_ name: String, _ help: String) -> Prometheus.Gauge {
      registry.makeGauge(descriptor: MetricNameDescriptor(metricName: name, unitName: "", helpText: help))
    }
    self.cache = cache
    entries = gauge("nv_cache_num_entries", "Number of responses stored in the response cache")
    lookups = gauge("nv_cache_num_lookups", "Number of response cache lookups")
    hits = gauge("nv_cache_num_hits", "Number of response cache hits")
    misses = gauge("nv_cache_num_misses", "Number of response cache misses")
    evictions = gauge("nv_cache_num_evictions", "Number of response cache evictions")
    utilization = gauge("nv_cache_util", "Fraction of the response cache's size in use (0.0 to 1.0)")
    lookupMicros = gauge("nv_cache_lookup_duration", "Total time of response cache lookups (hits and misses), in us")
    insertionMicros = gauge("nv_cache_insertion_duration", "Total time of response cache insertions, in us")
  }

  func update() {
    let counts = cache.counts
    entries.set(Double(counts.entries))
    lookups.set(Double(counts.lookups))
    hits.set(Double(counts.hits))
    misses.set(Double(counts.lookups - counts.hits))
    evictions.set(Double(counts.evictions))
    utilization.set(min(Double(counts.bytes) / Double(cache.capacity), 1))
    lookupMicros.set(Double(counts.lookupNanos / 1_000))
    insertionMicros.set(Double(counts.insertionNanos / 1_000))
  }
}
