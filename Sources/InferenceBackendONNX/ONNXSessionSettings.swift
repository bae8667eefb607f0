internal import InferenceRuntime
internal import KServeProtocol
internal import TritonModelConfig

#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif

/// Reads ONNX Runtime session settings from config.pbtxt `parameters`, with the keys Triton's
/// onnxruntime backend uses, plus `allow_spinning`.
///
/// | key | default | meaning |
/// |---|---|---|
/// | `intra_op_thread_count` | shared | threads inside one operator, the session's own |
/// | `inter_op_thread_count` | 1 | threads across operators (parallel mode only) |
/// | `execution_mode` | 0 | 0 sequential, 1 parallel |
/// | `allow_spinning` | 0 | 1 lets idle ORT threads spin (costs CPU on small machines) |
///
/// A model that sets none of these runs on the process's shared ONNX Runtime pool (one intra-op pool of
/// `--onnxruntime-threads` threads, the machine's cores by default, no spinning, used by every model and
/// instance): a lone heavy model gets every core, concurrent executions share the same threads instead of
/// each session starting its own. Setting any of them gives the session its own pools, as Triton does.
///
/// `optimization { graph { level } }` maps to ORT's graph optimization level (-1 basic, 0 default=all, 1 extended).
enum ONNXSessionSettings {
  static func options(from config: Inference_ModelConfig) throws -> ORTSessionOptions {
    var options = ORTSessionOptions()
    func integer(_ key: String, range: ClosedRange<Int>) throws -> Int? {
      guard let text = config.parameters[key]?.stringValue else { return nil }
      guard let value = Int(text.trimmingWhitespace()), range.contains(value) else {
        throw InferenceError(
          .invalidArgument,
          "model '\(config.name)': parameter '\(key)' is '\(text)'; expected an integer in \(range.lowerBound)...\(range.upperBound)"
        )
      }
      return value
    }
    if let v = try integer("intra_op_thread_count", range: 0...1024) { options.intraOpThreads = v }
    if let v = try integer("inter_op_thread_count", range: 0...1024) { options.interOpThreads = v }
    if let v = try integer("execution_mode", range: 0...1) { options.sequentialExecution = v == 0 }
    if let text = config.parameters["allow_spinning"]?.stringValue {
      switch text.lowercased() {
      case "1", "true", "yes": options.allowSpinning = true
      case "0", "false", "no": options.allowSpinning = false
      default:
        throw InferenceError(
          .invalidArgument, "model '\(config.name)': parameter 'allow_spinning' is '\(text)'; use 0 or 1")
      }
    }
    if config.hasOptimization && config.optimization.hasGraph {
      switch config.optimization.graph.level {
      case -1: options.graphOptimizationLevel = 1  // basic
      case 1: options.graphOptimizationLevel = 2  // extended
      default: options.graphOptimizationLevel = 99  // all
      }
    }
    options.sharedThreadPool = ["intra_op_thread_count", "inter_op_thread_count", "execution_mode", "allow_spinning"]
      .allSatisfy { config.parameters[$0] == nil }
    return options
  }
}
