import Foundation
import InferenceBackendONNX
import InferenceRuntime
import KServeProtocol
import Logging
import TritonModelConfig

/// Measures ONNX Runtime thread settings on one model: latency, throughput and CPU time per inference
/// (user + system, from getrusage), to choose the backend's defaults.
enum ThreadSettingsBench {
  static func run(
    backend: ONNXRuntimeBackend, config base: Inference_ModelConfig, modelFile: URL, request: InferenceRequest,
    batch: Int, seconds: Double, logger: Logger
  ) async throws {
    print(
      "\n| \(base.name) batch \(batch): intra_op threads | spinning | p50 µs | p99 µs | inferences/s | CPU µs per inference |"
    )
    print("|---|---|---|---|---|---|")
    let outputs = base.output.map { OutputSpec(name: $0.name, datatype: DataType(config: $0.dataType)!) }
    for (threads, spinning) in [(1, false), (2, false), (2, true)] {
      var config = base
      var parameter = Inference_ModelParameter()
      parameter.stringValue = String(threads)
      config.parameters["intra_op_thread_count"] = parameter
      parameter.stringValue = spinning ? "1" : "0"
      config.parameters["allow_spinning"] = parameter
      let instance = try backend.loadInstance(
        InstanceLoadContext(config: config, modelFile: modelFile, version: 1, instanceIndex: 0, logger: logger))
      let cpuBefore = cpuMicros()
      let stats = try await FoundationBench.measure(seconds: seconds, rows: batch, concurrency: 1) {
        _ = try instance.execute(inputs: request.inputs, outputs: outputs)
      }
      let cpu = (cpuMicros() - cpuBefore) / Double((stats.samplesNanos.count + 50) * batch)
      print(
        "| | \(threads) | \(spinning ? "yes" : "no") | \(String(format: "%.0f", stats.percentile(50))) | "
          + "\(String(format: "%.0f", stats.percentile(99))) | \(String(format: "%.0f", stats.rowsPerSecond)) | "
          + "\(String(format: "%.2f", cpu)) |")
    }
  }

  /// Process CPU time (user + system) in microseconds.
  static func cpuMicros() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    func micros(_ t: timeval) -> Double { Double(t.tv_sec) * 1e6 + Double(t.tv_usec) }
    return micros(usage.ru_utime) + micros(usage.ru_stime)
  }
}
