internal import Hummingbird
internal import InferenceRuntime
internal import Logging
internal import NIOCore
internal import OffloadMeasurement
internal import Prometheus
internal import Synchronization

/// `GET /metrics` in Prometheus text format on the metrics port, served by Hummingbird: the per-model
/// `nv_*` metrics the runtime records, process and response-cache gauges refreshed at each scrape, the host's
/// CPU utilization and memory sampled every `interval` (Triton's per-interval metrics), then the latency
/// summaries when they are enabled (rendered by the runtime: swift-prometheus has no summary type).
final class MetricsEndpoint: Sendable {
  let registry: PrometheusCollectorRegistry
  private let application: Application<RouterResponder<BasicRequestContext>>
  private let port = BoundPort()
  private let gauges: ProcessGauges
  private let interval: Duration

  init(
    registry: PrometheusCollectorRegistry, summaries: LatencySummaryRegistry?, cache: ResponseCache? = nil,
    host: String, port: Int, interval: Duration = .seconds(2), logger: Logger
  ) {
    self.registry = registry
    self.interval = interval
    let gauges = ProcessGauges(registry: registry)
    self.gauges = gauges
    let cacheGauges = cache.map { CacheGauges(cache: $0, registry: registry) }
    let router = Router()
    router.get("metrics") { _, _ -> Response in
      gauges.updateProcess()
      cacheGauges?.update()
      var bytes = registry.emitToBuffer()
      if let summaries {
        if let last = bytes.last, last != UInt8(ascii: "\n") { bytes.append(UInt8(ascii: "\n")) }
        bytes.append(contentsOf: LatencySummaryExposition.text(summaries).utf8)
      }
      return Response(
        status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
        body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
    let box = self.port
    self.application = Application(
      router: router,
      configuration: .init(address: .hostname(host, port: port), serverName: "offload-metrics"),
      onServerRunning: { channel in
        let bound = channel.localAddress?.port ?? port
        box.set(bound)
      },
      logger: logger)
  }

  /// Serves until cancelled or graceful shutdown, sampling the per-interval gauges meanwhile.
  func run() async throws {
    try await withThrowingDiscardingTaskGroup { group in
      group.addTask { await self.sampleHost() }
      try await application.run()
      group.cancelAll()
    }
  }

  /// Samples the host gauges now and then every `interval` until cancelled: the CPU utilization is the share
  /// of the last interval, whoever scrapes and however often.
  private func sampleHost() async {
    let clock = ContinuousClock()
    var next = clock.now
    while !Task.isCancelled {
      gauges.updateHost()
      next = next.advanced(by: interval)
      do {
        try await clock.sleep(until: next)
      } catch {
        return
      }
    }
  }

  /// The bound port (waits until the listener is up).
  func boundPort() async -> Int { await port.value() }
}

/// The listener's port, set once when the server is up; readers wait for it.
final class BoundPort: Sendable {
  private let state = Mutex<(port: Int?, waiters: [CheckedContinuation<Int, Never>])>((nil, []))

  func set(_ port: Int) {
    let waiters = state.withLock { state in
      state.port = port
      defer { state.waiters = [] }
      return state.waiters
    }
    for waiter in waiters { waiter.resume(returning: port) }
  }

  func value() async -> Int {
    await withCheckedContinuation { continuation in
      let known = state.withLock { state -> Int? in
        if let port = state.port { return port }
        state.waiters.append(continuation)
        return nil
      }
      if let known { continuation.resume(returning: known) }
    }
  }
}

/// Process gauges (read from /proc at each scrape) and the host's CPU utilization and memory (sampled every
/// metrics interval, as Triton's `nv_cpu_*`).
final class ProcessGauges: Sendable {
  let residentBytes: Prometheus.Gauge
  let cpuSeconds: Prometheus.Gauge
  let memoryTotal: Prometheus.Gauge
  let memoryUsed: Prometheus.Gauge
  let cpuUtilization: Prometheus.Gauge
  /// /proc/stat totals (busy, all) at the previous sample.
  private let lastCPU = Mutex<(busy: Double, total: Double)?>(nil)

  init(registry: PrometheusCollectorRegistry) {
    func gauge(_ name: String, _ unit: String, _ help: String) -> Prometheus.Gauge {
      registry.makeGauge(descriptor: MetricNameDescriptor(metricName: name, unitName: unit, helpText: help))
    }
    residentBytes = gauge("process_resident_memory", "bytes", "Resident memory of the server process")
    cpuSeconds = gauge("process_cpu_seconds", "total", "User + system CPU time of the server process")
    memoryTotal = gauge("nv_cpu_memory_total", "bytes", "Total system memory")
    memoryUsed = gauge("nv_cpu_memory_used", "bytes", "Used system memory (total - available)")
    // A ratio has no unit suffix: the empty unit is left out of the name (`nv_cpu_utilization`).
    cpuUtilization = gauge(
      "nv_cpu_utilization", "", "Host CPU utilization (0.0 to 1.0) over the last metrics interval")
  }

  /// Busy and total jiffies of all CPUs from the first line of /proc/stat.
  static func cpuTimes() -> (busy: Double, total: Double)? {
    guard let stat = ProcFile.text("/proc/stat"),
      let line = stat.split(separator: "\n").first, line.hasPrefix("cpu ")
    else { return nil }
    let values = line.split(separator: " ").dropFirst().compactMap { Double($0) }
    guard values.count >= 4 else { return nil }
    let idle = values[3] + (values.count > 4 ? values[4] : 0)  // idle + iowait
    let total = values.prefix(8).reduce(0, +)  // user … steal; guest time is already in user
    return (total - idle, total)
  }

  /// The process's own gauges, at each scrape.
  func updateProcess() {
    let page = ProcFile.pageSize
    if let statm = ProcFile.text("/proc/self/statm") {
      let fields = statm.split(separator: " ")
      if fields.count > 1, let pages = Double(fields[1]) { residentBytes.set(pages * page) }
    }
    if let seconds = ProcessCPUTime.seconds() { cpuSeconds.set(seconds) }
  }

  /// The host's CPU utilization since the previous sample and its memory, every metrics interval.
  func updateHost() {
    if let now = Self.cpuTimes() {
      let previous = lastCPU.withLock { last -> (busy: Double, total: Double)? in
        defer { last = now }
        return last
      }
      // The first sample has no interval behind it: the share since boot, so the gauge exists from the start
      // (SuperSONIC counts servers by it).
      let base = previous ?? (busy: 0, total: 0)
      if now.total > base.total {
        cpuUtilization.set(min(max((now.busy - base.busy) / (now.total - base.total), 0), 1))
      }
    }
    if let meminfo = ProcFile.text("/proc/meminfo") {
      var values: [String: Double] = [:]
      for line in meminfo.split(separator: "\n") {
        let parts = line.split(separator: " ", omittingEmptySubsequences: true)
        if parts.count >= 2, let kib = Double(parts[1]) { values[String(parts[0].dropLast())] = kib * 1024 }
      }
      if let total = values["MemTotal"] {
        memoryTotal.set(total)
        memoryUsed.set(total - (values["MemAvailable"] ?? 0))
      }
    }
  }
}
