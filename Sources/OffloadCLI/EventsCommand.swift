internal import ArgumentParser
internal import InferenceRuntime
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

/// `offload events`: the event-processing demo (run, generate, merge, scan).
struct EventsCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "events",
    abstract: "Process toy detector events with ExternalWork-style modules that run the zoo models.",
    subcommands: [EventsRunCommand.self, EventsScanCommand.self, EventsMergeCommand.self, EventsGenerateCommand.self],
    defaultSubcommand: EventsRunCommand.self)
}

/// What `run` and `scan` share: the workflow and how events are processed.
struct WorkflowOptions: ParsableArguments {
  @Option(help: "Workflow (demo).")
  var workflow: String = "demo"

  @Option(help: "Number of events (from --first-event).")
  var events: UInt64 = 1000

  @Option(name: .customLong("first-event"), help: "First event index.")
  var firstEvent: UInt64 = 0

  @Option(help: "Generator seed (the same seed gives the same events).")
  var seed: UInt64 = 1

  @Option(name: .customLong("work-us"), help: "CPU microseconds of reconstruction work per event besides inference.")
  var workMicroseconds: Double = 2000

  @Option(help: "Models to run, comma-separated (default: all five zoo models).")
  var models: String = ToyModel.allCases.map(\.rawValue).joined(separator: ",")

  @Option(name: .customLong("input"), help: "Read events from this events file (.npz) instead of generating them.")
  var inputFile: String?

  func toyModels() throws -> [ToyModel] {
    try models.split(separator: ",").map { name in
      guard let model = ToyModel(rawValue: String(name)) else {
        throw ValidationError(
          "--models: unknown model '\(name)'; choose from \(ToyModel.allCases.map(\.rawValue).joined(separator: ", "))")
      }
      return model
    }
  }

  func validateWorkflow() throws {
    guard workflow == "demo" else { throw ValidationError("--workflow: only 'demo' exists") }
  }

  func source() throws -> any EventSource {
    if let inputFile { return try FileSource(url: URL(fileURLWithPath: inputFile)) }
    return GeneratorSource(generator: EventGenerator(seed: seed))
  }

  var range: Range<UInt64> { firstEvent..<(firstEvent + events) }
}

extension ClientOptions {
  /// The client for an events mode, and how its inference is awaited.
  func eventsClient(mode eventsMode: String) throws -> (InferenceClient, InferenceStyle) {
    var options = self
    let style: InferenceStyle
    switch eventsMode {
    case "remote", "remote-with-fallback":
      style = .asynchronous
    case "sync-remote":
      options.mode = "remote"
      style = .blocking
    case "local":
      style = .blocking
    default:
      throw ValidationError("--mode must be remote, remote-with-fallback, sync-remote or local")
    }
    if options.mode != "remote", options.modelRepositories.isEmpty { options.modelRepositories = ["models"] }
    return (try options.makeClient(), style)
  }
}

struct EventsRunCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run",
    abstract: "Run a workflow over an event range; print throughput, time split and physics; write results.",
    discussion: """
      --mode remote: inference on the servers, awaited without holding a worker thread (ExternalWork); \
      sync-remote: the worker thread waits for each answer; local: the models run in this process \
      (--model-repository, default ./models); remote-with-fallback: remote, local when no server answers.
      """)

  @OptionGroup var workflow: WorkflowOptions
  @OptionGroup var client: ClientOptions

  @Option(help: "Worker threads.")
  var threads: Int = 2

  @Option(help: "Events in flight (default: 2 × threads).")
  var streams: Int?

  @Option(help: "Process part i of N of the event range (i/N, 0-based), for batch jobs; merge with `events merge`.")
  var shard: String?

  @Option(name: .customLong("output"), help: "Write per-event results here (.npz; numpy.load opens it).")
  var output: String?

  @Option(name: .customLong("summary-json"), help: "Write the run summary as JSON here.")
  var summaryJSON: String?

  @Flag(name: .customLong("no-progress"), help: "No progress line on stderr.")
  var noProgress = false

  func run() async throws {
    try await client.onEventLoops { try await runOnEventLoops() }
  }

  private func runOnEventLoops() async throws {
    try workflow.validateWorkflow()
    var range = workflow.range
    if let shard { range = try EventShard(parsing: shard).range(of: range) }
    let (offload, style) = try client.eventsClient(mode: client.mode)
    let steps = ReconstructionWorkModule.calibratedSteps(microseconds: workflow.workMicroseconds)
    let processor = try EventProcessor(
      modules: DemoWorkflow.modules(models: try workflow.toyModels(), workSteps: steps),
      source: try workflow.source(), inference: offload,
      configuration: .init(threads: threads, streams: streams ?? 2 * threads, events: range, style: style))
    let results = Mutex(EventResults())
    let progress = noProgress ? nil : ProgressLine(total: UInt64(range.count))
    let onProgress: (@Sendable (UInt64) -> Void)? = progress.map { line in { @Sendable _ in line.advance() } }
    let collect: @Sendable (EventData) throws -> Void = { event in try results.withLock { try $0.append(event) } }
    let summary = try await offload.withRunning {
      try await processor.run(progress: onProgress, consume: collect)
    }
    progress?.finish()
    let collected = results.withLock { $0 }
    if let output { try collected.write(to: URL(fileURLWithPath: output)) }
    let physics = PhysicsSummary(collected)
    let report = EventsReport(
      mode: client.mode, threads: threads, streams: streams ?? 2 * threads, range: range, summary: summary,
      physics: physics)
    print(report.text)
    if let summaryJSON { try report.json().write(to: URL(fileURLWithPath: summaryJSON)) }
  }
}

struct EventsMergeCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "merge", abstract: "Merge shard results into one file equal to a single job's, and print physics.")

  @Option(name: .customLong("output"), help: "Merged results file.")
  var output: String

  @Argument(help: "Shard results files.")
  var shards: [String]

  func run() async throws {
    let merged = try EventResults.merge(try shards.map { try EventResults(contentsOf: URL(fileURLWithPath: $0)) })
    try merged.write(to: URL(fileURLWithPath: output))
    print(
      "merged \(shards.count) file(s): events \(merged.eventIndex.first ?? 0)..<\((merged.eventIndex.last ?? 0) + 1)")
    for line in PhysicsSummary(merged).lines { print("  " + line) }
  }
}

struct EventsGenerateCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "generate", abstract: "Write generated toy events to an events file (.npz) for later runs or Python.")

  @Option(help: "Number of events.")
  var events: UInt64 = 100

  @Option(name: .customLong("first-event"), help: "First event index.")
  var firstEvent: UInt64 = 0

  @Option(help: "Generator seed.")
  var seed: UInt64 = 1

  @Option(name: .customLong("output"), help: "Events file to write.")
  var output: String

  func run() async throws {
    let generator = EventGenerator(seed: seed)
    let events = (firstEvent..<(firstEvent + events)).map { generator.event(at: $0) }
    try EventFile.write(events, configurationJSON: nil, to: URL(fileURLWithPath: output))
    print("wrote \(events.count) events to \(output)")
  }
}

/// A one-line progress display on stderr, redrawn at most every 0.25 s.
final class ProgressLine: Sendable {
  let total: UInt64
  let state = Mutex<(done: UInt64, last: ContinuousClock.Instant, start: ContinuousClock.Instant)>(
    (0, .now, .now))

  init(total: UInt64) { self.total = total }

  func advance() {
    let line: String? = state.withLock { state in
      state.done += 1
      let now = ContinuousClock.now
      guard now - state.last >= .milliseconds(250) || state.done == total else { return nil }
      state.last = now
      let elapsed = (now - state.start).inSeconds
      let rate = elapsed > 0 ? Double(state.done) / elapsed : 0
      let width = 30
      let filled = total > 0 ? Int(Double(width) * Double(state.done) / Double(total)) : width
      return "\r[\(String(repeating: "#", count: filled))\(String(repeating: ".", count: width - filled))] "
        + "\(state.done)/\(total) events, \(String(cFormat: "%.1f", rate)) ev/s"
    }
    if let line { StandardError.write(line) }
  }

  func finish() { StandardError.write("\n") }
}

/// The end-of-run summary.
struct EventsReport {
  var mode: String
  var threads: Int
  var streams: Int
  var range: Range<UInt64>
  var summary: EventRunSummary
  var physics: PhysicsSummary

  var text: String {
    let s = summary
    var lines = [
      "events \(range.lowerBound)..<\(range.upperBound) (\(s.events)), mode \(mode), \(threads) thread(s), \(streams) stream(s)",
      String(
        cFormat: "throughput %.1f events/s; wall %.2f s; process CPU %.2f s (%.2f ms/event)", s.eventsPerSecond,
        s.wallSeconds, s.processCPUSeconds, s.events > 0 ? s.processCPUSeconds * 1e3 / Double(s.events) : 0),
      String(
        cFormat: "time per event: inference wait %.2f ms, worker %.2f ms; %ld inference requests",
        s.events > 0 ? s.inferenceWaitSeconds * 1e3 / Double(s.events) : 0,
        s.events > 0 ? s.workerSeconds * 1e3 / Double(s.events) : 0, s.requests),
    ]
    for (label, seconds) in s.moduleSeconds.sorted(by: { $0.key < $1.key }) {
      let padded = String(label.prefix(16)) + String(repeating: " ", count: max(0, 16 - label.count))
      let perEvent = String(cFormat: "%8.3f", seconds * 1e3 / Double(max(1, s.events)))
      lines.append("  \(padded) \(perEvent) ms/event on a worker")
    }
    lines.append("physics:")
    lines += physics.lines.map { "  " + $0 }
    return lines.joined(separator: "\n")
  }

  func json() throws -> Data {
    struct Payload: Encodable {
      var mode: String
      var threads: Int
      var streams: Int
      var firstEvent: UInt64
      var events: UInt64
      var eventsPerSecond: Double
      var wallSeconds: Double
      var processCPUSeconds: Double
      var inferenceWaitSeconds: Double
      var moduleSeconds: [String: Double]
      var requests: Int
      var physics: PhysicsSummary
    }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    return try encoder.encode(
      Payload(
        mode: mode, threads: threads, streams: streams, firstEvent: range.lowerBound, events: summary.events,
        eventsPerSecond: summary.eventsPerSecond, wallSeconds: summary.wallSeconds,
        processCPUSeconds: summary.processCPUSeconds, inferenceWaitSeconds: summary.inferenceWaitSeconds,
        moduleSeconds: summary.moduleSeconds, requests: summary.requests, physics: physics))
  }
}
