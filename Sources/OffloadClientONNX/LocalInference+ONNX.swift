public import InferenceBackendONNX
public import InferenceRuntime
public import OffloadClient

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

extension LocalInference.Source {
  /// Offload's runtime with its ONNX Runtime backend over these repositories: the models `offload serve`
  /// would serve from them, in the client's process.
  /// - Parameters:
  ///   - repositories: Model repositories (Triton's layout).
  ///   - onnxRuntimeLibrary: `libonnxruntime.so` to load; `nil` finds it the way `offload serve` does.
  public static func repositories(_ repositories: [URL], onnxRuntimeLibrary: String? = nil) -> Self {
    .repositories(repositories) { logger in
      let path = try ONNXRuntimeLocator.resolve(explicit: onnxRuntimeLibrary)
      // One thread: the fallback runs inside a job that was given its own core(s), next to other jobs.
      return BackendRegistry([ONNXRuntimeBackend(libraryPath: path, sharedIntraOpThreads: 1, logger: logger)])
    }
  }
}
