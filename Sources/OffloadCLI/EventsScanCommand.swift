internal import ArgumentParser
internal import KServeGRPC
internal import OffloadClient
internal import OffloadEvents
internal import OffloadMeasurement
internal import Synchronization

#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif

/// `offload events scan`: the scaling study. Sweeps worker threads for each mode against one server and
/// reports event throughput, the server's model utilisation (busy compute time over wall time, from its
/// statistics) and where remote-async stops gaining (the saturation point).
struct EventsScanCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "scan",
    abstract: "Sweep client threads × modes (remote, sync-remote, local) against one server; table, JSON, CSV.")

  @OptionGroup var workflow: WorkflowOptions
  @OptionGroup var client: ClientOptions

  @Option(name: .customLong("thread-counts"), help: "Worker thread counts, comma-separated.")
  var threadCounts: String = "1,2,4"

  @Option(name: .customLong("modes"), help: "Modes, comma-separated.")
  var modes: String = "remote,sync-remote,local"

  @Option(name: .customLong("streams-per-thread"), help: "Events in flight per worker thread.")
  var streamsPerThread: Int = 2

  @Option(name: .customLong("json"), help: "Write the results as JSON here.")
  var jsonPath: String?

  @Option(name: .customLong("csv"), help: "Write the results as CSV here.")
  var csvPath: String?

  struct Row: Codable {
    var mode: String
    var threads: Int
    var streams: Int
    var eventsPerSecond: Double
    var processCPUMillisecondsPerEvent: Double
    var inferenceWaitMillisecondsPerEvent: Double
    var serverModelUtilisation: Double?
  }

  func run() async throws {
    try await client.onEventLoops { try await runOnEventLoops() }
  }

  private func runOnEventLoops() async throws {
    try workflow.validateWorkflow()
    let threads = threadCounts.split(separator: ",").compactMap { Int($0) }
    guard !threads.isEmpty, threads.allSatisfy({ $0 >= 1 }) else {
      throw ValidationError("--thread-counts: positive integers, e.g. 1,2,4")
    }
    let modeList = modes.split(separator: ",").map(String.init)
    let steps = ReconstructionWorkModule.calibratedSteps(microseconds: workflow.workMicroseconds)
    let modules = DemoWorkflow.modules(models: try workflow.toyModels(), workSteps: steps)
    let source = try workflow.source()
    let endpoint = await (try client.discovery()).resolve().endpoints.first
    var rows: [Row] = []
    for mode in modeList {
      let (offload, style) = try client.eventsClient(mode: mode)
      try await offload.withRunning {
        // Warm-up: connections, model sessions, caches.
        let warm = try EventProcessor(
          modules: modules, source: source, inference: offload,
          configuration: .init(
            threads: 1, streams: 2, events: workflow.firstEvent..<(workflow.firstEvent + 20), style: style))
        _ = try await warm.run { _ in }
        for count in threads {
          let streams = count * streamsPerThread
          let processor = try EventProcessor(
            modules: modules, source: source, inference: offload,
            configuration: .init(threads: count, streams: streams, events: workflow.range, style: style))
          let busyBefore = mode == "local" ? nil : try? await Self.serverBusySeconds(endpoint, client)
          let summary = try await processor.run { _ in }
          let busyAfter = mode == "local" ? nil : try? await Self.serverBusySeconds(endpoint, client)
          let utilisation = busyBefore.flatMap { before in busyAfter.map { ($0 - before) / summary.wallSeconds } }
          let events = Double(max(1, summary.events))
          let row = Row(
            mode: mode, threads: count, streams: streams, eventsPerSecond: summary.eventsPerSecond,
            processCPUMillisecondsPerEvent: summary.processCPUSeconds * 1e3 / events,
            inferenceWaitMillisecondsPerEvent: summary.inferenceWaitSeconds * 1e3 / events,
            serverModelUtilisation: utilisation)
          StandardError.write(
            "\(mode) threads \(count): \(String(cFormat: "%.1f", row.eventsPerSecond)) events/s"
              + (utilisation.map { String(cFormat: ", server models busy %.0f %%", $0 * 100) } ?? "") + "\n")
          rows.append(row)
        }
      }
    }
    print(Self.table(rows))
    if let jsonPath {
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
      try encoder.encode(rows).write(to: URL(fileURLWithPath: jsonPath))
    }
    if let csvPath {
      var csv =
        "mode,threads,streams,events_per_second,process_cpu_ms_per_event,inference_wait_ms_per_event,"
        + "server_model_utilisation\n"
      for r in rows {
        csv +=
          "\(r.mode),\(r.threads),\(r.streams),\(r.eventsPerSecond),\(r.processCPUMillisecondsPerEvent),"
          + "\(r.inferenceWaitMillisecondsPerEvent),\(r.serverModelUtilisation.map { "\($0)" } ?? "")\n"
      }
      try csv.write(toFile: csvPath, atomically: true, encoding: .utf8)
    }
  }

  /// Seconds the server's model instances spent computing so far (all models, from ModelStatistics).
  static func serverBusySeconds(_ endpoint: ServerEndpoint?, _ options: ClientOptions) async throws -> Double {
    guard let endpoint else { throw ValidationError("no server") }
    let connection = try makeTransport(to: endpoint, options: try options.connectionOptions())
    return try await withThrowingTaskGroup(of: Void.self) { group in
      group.addTask { try await connection.run() }
      defer { connection.close() }
      let stats = try await connection.statistics("", version: "", timeout: .seconds(10))
      let nanos = stats.reduce(UInt64(0)) { total, model in
        let s = model.inferenceStats
        return total + s.computeInput.ns + s.computeInfer.ns + s.computeOutput.ns
      }
      return Double(nanos) * 1e-9
    }
  }

  /// The table, with each mode's throughput relative to local at the same thread count and the point
  /// where remote-async gains less than 5 % from doubling threads.
  static func table(_ rows: [Row]) -> String {
    var lines = [
      "| mode | threads | streams | events/s | vs local | CPU ms/event (client) | inference wait ms/event | server models busy |",
      "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows {
      let local = rows.first { $0.mode == "local" && $0.threads == r.threads }?.eventsPerSecond
      lines.append(
        "| \(r.mode) | \(r.threads) | \(r.streams) | \(String(cFormat: "%.1f", r.eventsPerSecond)) | "
          + "\(local.map { String(cFormat: "%.2f", r.eventsPerSecond / $0) } ?? "") | "
          + "\(String(cFormat: "%.2f | %.2f", r.processCPUMillisecondsPerEvent, r.inferenceWaitMillisecondsPerEvent)) | "
          + "\(r.serverModelUtilisation.map { String(cFormat: "%.0f %%", $0 * 100) } ?? "") |")
    }
    let remote = rows.filter { $0.mode == "remote" }.sorted { $0.threads < $1.threads }
    if let saturated = zip(remote, remote.dropFirst()).first(where: { $1.eventsPerSecond < $0.eventsPerSecond * 1.05 })
    {
      lines.append(
        "\nremote-async saturates at \(saturated.0.threads) client thread(s) for this server "
          + "(going to \(saturated.1.threads) gains < 5 %): about \(saturated.0.threads) client threads per server.")
    } else if let last = remote.last {
      lines.append("\nremote-async did not saturate up to \(last.threads) client threads.")
    }
    return lines.joined(separator: "\n")
  }
}
