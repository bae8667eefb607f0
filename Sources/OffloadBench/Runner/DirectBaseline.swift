internal import InferenceBackendONNX
internal import InferenceRuntime
public import KServeProtocol
internal import Logging
internal import OffloadMeasurement
internal import TritonModelConfig

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// `--baseline direct`: the same model and request executed in this process straight on an ONNX Runtime
/// session (no server, no runtime scheduling), one thread, back to back: the ceiling each point is
/// compared with.
public enum DirectBaseline {
  /// Measures the model from `repository` for `duration`.
  /// - Throws: ``InferenceError`` when the model cannot be loaded or run locally.
  public static func measure(
    repository: URL, model: String, request: InferenceRequest, duration: Duration, onnxRuntimeLibrary: String?
  ) async throws -> BenchReport.Baseline {
    var logger = Logger(label: "offload.bench.baseline")
    logger.logLevel = .error
    let path: String
    do { path = try ONNXRuntimeLocator.resolve(explicit: onnxRuntimeLibrary) } catch {
      throw InferenceError(.unavailable, "the direct baseline needs ONNX Runtime: \(error)")
    }
    let backend = ONNXRuntimeBackend(libraryPath: path, logger: logger)
    let runtime = ModelRuntime(
      configuration: RuntimeConfiguration(repositories: [repository]), backends: BackendRegistry([backend]),
      logger: logger)
    try await runtime.load(modelNamed: model)
    let metadata = try runtime.metadata(name: model, version: "")
    let config = try runtime.config(name: model, version: "")
    guard let version = metadata.versions.compactMap(Int64.init).max() else {
      throw InferenceError(.unavailable, "model '\(model)' has no ready version in \(repository.path)")
    }
    let file = config.defaultModelFilename.isEmpty ? backend.defaultModelFilename : config.defaultModelFilename
    let instance = try backend.loadInstance(
      InstanceLoadContext(
        config: config,
        modelFile: repository.appendingPathComponent("\(model)/\(version)/\(file)"), version: version,
        instanceIndex: 0, logger: logger))
    let outputs = config.output.compactMap { output in
      DataType(config: output.dataType).map { OutputSpec(name: output.name, datatype: $0) }
    }
    let inputs = metadata.inputs.compactMap { spec in request.inputs.first { $0.name == spec.name } }
    let rows = Int(request.inputs.first?.shape.first ?? 1)
    for _ in 0..<10 { _ = try instance.execute(inputs: inputs, outputs: outputs) }
    let start = ContinuousClock.now
    let end = start + duration
    var calls = 0
    while ContinuousClock.now < end {
      _ = try instance.execute(inputs: inputs, outputs: outputs)
      calls += 1
    }
    let seconds = (ContinuousClock.now - start).inSeconds
    await runtime.shutdown()
    return BenchReport.Baseline(
      kind: "direct", inferencesPerSecond: Double(calls * rows) / seconds, latencyUs: seconds * 1e6 / Double(calls))
  }
}
