internal import ArgumentParser
internal import KServeProtocol
internal import OffloadBench
internal import OffloadClient
internal import OffloadMeasurement

#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif

/// `offload bench`: a perf_analyzer-class load generator against any KServe v2 gRPC server.
struct BenchCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bench",
    abstract: "Measure throughput and latency of a model on a server (Offload or Triton), as perf_analyzer does.",
    discussion: """
      Closed loop (--concurrency-range) or open loop (--request-rate-range, constant or Poisson arrivals). \
      Each point: warm-up, then measurement windows until the last --stability-windows agree within \
      --stability-percentage (or --max-trials). Reports client latency percentiles (HDR histogram), errors by \
      status, the server's queue/compute breakdown from ModelStatistics, client and server CPU per request, and \
      the ratio to a direct in-process ONNX Runtime baseline. Writes JSON and CSV (schema in docs/bench.md) and \
      plots with --plot.
      """)

  @OptionGroup var client: ClientOptions

  @Option(name: [.customShort("m"), .customLong("model")], help: "Model name.")
  var model: String

  @Option(name: [.customShort("x"), .customLong("model-version")], help: "Model version (default: the server's).")
  var version: String = ""

  @Option(name: [.customShort("b"), .customLong("batch-size")], help: "Rows per request.")
  var batchSize: Int = 1

  @Option(name: .customLong("concurrency-range"), help: "START[:END[:STEP]] requests in flight (closed loop).")
  var concurrencyRange: String?

  @Option(name: .customLong("request-rate-range"), help: "START[:END[:STEP]] requests per second (open loop).")
  var requestRateRange: String?

  @Option(name: .customLong("request-distribution"), help: "Open-loop arrivals: constant or poisson.")
  var distribution: String = "constant"

  @Option(name: [.customShort("p"), .customLong("measurement-interval")], help: "Window length in milliseconds.")
  var windowMillis: Int = 2000

  @Option(name: .customLong("warmup-ms"), help: "Load before measuring each point, in milliseconds.")
  var warmUpMillis: Int = 1000

  @Option(name: [.customShort("s"), .customLong("stability-percentage")], help: "Allowed spread between windows, %.")
  var stabilityPercentage: Double = 10

  @Option(name: .customLong("stability-windows"), help: "Consecutive windows that must agree.")
  var stabilityWindows: Int = 3

  @Option(name: [.customShort("r"), .customLong("max-trials")], help: "Most windows per point.")
  var maxTrials: Int = 10

  @Option(name: .customLong("percentile"), help: "Latency the stability rule compares: 50, 90, 95, 99 (0: mean).")
  var percentile: Double = 0

  @Option(name: .customLong("input-data"), help: "random, zero, or a directory with one raw file per input name.")
  var inputData: String = "random"

  @Option(name: .customLong("shape"), help: "NAME:D1,D2,...: full shape of an input with variable dimensions.")
  var shapes: [String] = []

  @Option(name: .customLong("shared-memory"), help: "none or system (system needs server support: not yet).")
  var sharedMemory: String = "none"

  @Option(name: .customLong("server-pid"), help: "PID of a local server process, to report its CPU per request.")
  var serverPID: Int32?

  @Option(
    name: .customLong("baseline"),
    help: "direct: also run the model in-process on ONNX Runtime (needs --model-repository).")
  var baseline: String?

  @Option(
    name: [.customShort("f"), .customLong("output-dir")], help: "Directory for report.json and report.csv (and plots).")
  var outputDirectory: String?

  @Flag(help: "Draw plots (PNG and SVG, matplotlib) into --output-dir with dev/plot-bench.py.")
  var plot = false

  func validate() throws {
    guard sharedMemory == "none" else {
      throw ValidationError(
        "--shared-memory \(sharedMemory): the server does not offer system shared memory yet; use none")
    }
    guard concurrencyRange == nil || requestRateRange == nil else {
      throw ValidationError("give either --concurrency-range or --request-rate-range, not both")
    }
    guard ArrivalSchedule.Distribution(rawValue: distribution) != nil else {
      throw ValidationError("--request-distribution must be constant or poisson")
    }
    guard baseline == nil || baseline == "direct" else { throw ValidationError("--baseline must be direct") }
    guard baseline == nil || !client.modelRepositories.isEmpty else {
      throw ValidationError("--baseline direct runs the model in-process: give --model-repository DIR")
    }
    guard !plot || outputDirectory != nil else { throw ValidationError("--plot needs --output-dir DIR") }
    guard batchSize >= 1, windowMillis >= 10 else {
      throw ValidationError("--batch-size must be >= 1 and --measurement-interval >= 10 ms")
    }
  }

  func run() async throws {
    try await client.onEventLoops { try await runOnEventLoops() }
  }

  private func runOnEventLoops() async throws {
    let load: BenchConfiguration.Load
    do {
      if let requestRateRange {
        load = .requestRate(
          try SweepRange<Double>(parsing: requestRateRange), ArrivalSchedule.Distribution(rawValue: distribution)!)
      } else {
        load = .concurrency(try SweepRange<Int>(parsing: concurrencyRange ?? "1"))
      }
    } catch let error as InferenceError {
      throw ValidationError(error.message)
    }
    let shapeOverrides = try InferCommand.pairs(
      shapes.map { String($0.map { $0 == ":" ? "=" : $0 }) }, option: "--shape"
    )
    .mapValues { text in text.split(separator: ",").compactMap { Int64($0) } }
    let startedAt = Date.now.ISO8601Format()
    let offload = try client.makeClient()
    let configuration = BenchConfiguration(
      model: model, version: version, load: load, window: .milliseconds(windowMillis),
      warmUp: .milliseconds(warmUpMillis),
      stability: StabilityRule(percentage: stabilityPercentage, windows: stabilityWindows, maxTrials: maxTrials),
      stabilityPercentile: percentile, timeout: client.timeout, serverPID: serverPID)

    var report = try await offload.withRunning {
      let signature = try await offload.signature(of: model, version: version)
      var generator = SeededGenerator(seed: 1)
      let inputs = try signature.inputs.map { description in
        let file =
          ["random", "zero"].contains(inputData)
          ? nil : URL(fileURLWithPath: inputData).appendingPathComponent(description.name).path
        return try InputFactory.make(
          description, shape: shapeOverrides[description.name], file: file, batchSize: batchSize,
          zero: inputData == "zero", random: &generator)
      }
      let request = InferenceRequest(modelName: model, modelVersion: version, inputs: inputs)
      let discovery = try client.discovery()
      let (endpoints, _) = await discovery.resolve()
      let points: [BenchPoint]
      if client.mode != "local", let first = endpoints.first, endpoints.count == 1 {
        let statistics = try makeTransport(to: first, options: try client.connectionOptions())
        points = try await withThrowingTaskGroup(of: Void.self) { group in
          group.addTask { try await statistics.run() }
          defer { statistics.close() }
          return try await BenchRunner(
            configuration: configuration, target: offload, statistics: statistics, request: request
          ).run()
        }
      } else {
        // Several servers: statistics of one server would not describe the load; report client figures only.
        points = try await BenchRunner(configuration: configuration, target: offload, statistics: nil, request: request)
          .run()
      }
      var baselineResult: BenchReport.Baseline?
      if baseline == "direct" {
        StandardError.write("[bench] direct baseline: \(model) in-process on ONNX Runtime\n")
        baselineResult = try await DirectBaseline.measure(
          repository: URL(fileURLWithPath: client.modelRepositories[0]), model: model, request: request,
          duration: .milliseconds(windowMillis),
          onnxRuntimeLibrary: client.onnxRuntimeLibrary
            ?? ProcessInfo.processInfo.environment["OFFLOAD_ONNXRUNTIME_LIBRARY"])
      }
      return BenchReport(
        startedAt: startedAt, model: model, modelVersion: version, url: discovery.description,
        protocol: client.protocolName,
        batchSize: batchSize, loadMode: requestRateRange == nil ? "concurrency" : "request_rate",
        distribution: requestRateRange == nil ? nil : distribution, windowMs: windowMillis,
        stabilityPercentage: stabilityPercentage, stabilityWindows: stabilityWindows, maxTrials: maxTrials,
        stabilityPercentile: percentile, baseline: baselineResult, points: points)
    }
    if let base = report.baseline?.inferencesPerSecond, base > 0 {
      for i in report.points.indices { report.points[i].ratioToBaseline = report.points[i].inferencesPerSecond / base }
    }
    print(report.summaryTable())
    if let base = report.baseline {
      print(
        String(
          cFormat: "direct ONNX Runtime baseline: %.0f infer/s (%.1f µs per call)", base.inferencesPerSecond,
          base.latencyUs))
    }
    if let outputDirectory {
      let directory = URL(fileURLWithPath: outputDirectory)
      try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
      try report.json().write(to: directory.appendingPathComponent("report.json"))
      try report.csv().write(to: directory.appendingPathComponent("report.csv"), atomically: true, encoding: .utf8)
      print("wrote \(directory.path)/report.json and report.csv")
      if plot { try Self.plot(directory) }
    }
  }

  /// Runs dev/plot-bench.py (matplotlib) from the project's venv.
  static func plot(_ directory: URL) throws {
    let environment = ProcessInfo.processInfo.environment
    let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    let script =
      environment["OFFLOAD_PLOT_SCRIPT"].map { URL(fileURLWithPath: $0) }
      ?? cwd.appendingPathComponent("dev/plot-bench.py")
    guard FileManager.default.fileExists(atPath: script.path) else {
      throw ValidationError(
        "--plot needs dev/plot-bench.py: run from the Offload checkout or set OFFLOAD_PLOT_SCRIPT")
    }
    let venvPython = cwd.appendingPathComponent(".venv/bin/python")
    let python = FileManager.default.isExecutableFile(atPath: venvPython.path) ? venvPython.path : "python3"
    let status = try ChildProcess.run(
      [python, script.path, directory.appendingPathComponent("report.json").path, directory.path])
    guard status == 0 else {
      throw ValidationError("plotting failed (exit \(status)); is matplotlib installed (dev/python-env.sh)?")
    }
  }
}
