internal import CoreMetrics
internal import Synchronization

/// The client's metrics through swift-metrics (export them with any backend, e.g. swift-prometheus):
///
/// | metric | labels | meaning |
/// |---|---|---|
/// | `offload_client_requests_total` | `path` (`remote`, `local`), `outcome` (`success`, `failure`) | requests by the path that answered |
/// | `offload_client_attempts_total` | `server`, `outcome` | remote attempts, retries included |
/// | `offload_client_retries_total` | | attempts after the first |
/// | `offload_client_fallbacks_total` | `reason` (`no_server`, `failed`) | requests sent to the local path although remote was allowed |
///
/// Handles are cached, so recording costs a dictionary lookup under a lock.
final class ClientMetrics: Sendable {
  private let factory: (any MetricsFactory)?
  private let counters = Mutex<[String: CoreMetrics.Counter]>([:])

  init(factory: (any MetricsFactory)?) { self.factory = factory }

  private func count(_ label: String, _ dimensions: [(String, String)]) {
    guard let factory else { return }
    let key = label + dimensions.map { "|\($0.0)=\($0.1)" }.joined()
    let counter = counters.withLock { counters in
      if let existing = counters[key] { return existing }
      let made = Counter(label: label, dimensions: dimensions, factory: factory)
      counters[key] = made
      return made
    }
    counter.increment()
  }

  func request(path: String, success: Bool) {
    count("offload_client_requests_total", [("path", path), ("outcome", success ? "success" : "failure")])
  }

  func attempt(server: String, success: Bool) {
    count("offload_client_attempts_total", [("server", server), ("outcome", success ? "success" : "failure")])
  }

  func retry() { count("offload_client_retries_total", []) }

  func fallback(reason: String) { count("offload_client_fallbacks_total", [("reason", reason)]) }
}
