public import Foundation
public import InferenceRuntime

/// Everything `offload serve` can be told, as plain data with documented defaults
/// (see docs/configuration.md). The CLI fills it from flags and the environment.
public struct ServerConfiguration: Sendable {
  /// gRPC endpoint settings.
  public struct GRPC: Sendable {
    /// Address to bind (`0.0.0.0` serves every interface).
    public var host: String = "0.0.0.0"
    /// Port; 0 picks a free one (tests).
    public var port: Int = 8001
    /// Largest request message the transport accepts before resetting the stream. Kept above
    /// ``RuntimeConfiguration/maxRequestBytes`` so that requests just above the server's own limit
    /// get a clear RESOURCE_EXHAUSTED rather than a reset.
    public var maxTransportMessageBytes: Int = 512 << 20
  }

  /// ONNX Runtime settings.
  public struct ONNXRuntime: Sendable {
    /// Path of `libonnxruntime.so`; `nil` uses the default search (see ``ONNXRuntimeLocator``).
    public var libraryPath: String?
  }

  /// The runtime core's settings.
  public var runtime: RuntimeConfiguration
  /// gRPC endpoint.
  public var grpc = GRPC()
  /// ONNX Runtime.
  public var onnxRuntime = ONNXRuntime()
  /// HTTP port (reserved: the HTTP/REST front end is not implemented yet).
  public var httpPort: Int = 8000
  /// Metrics port (reserved: the metrics endpoint is not implemented yet).
  public var metricsPort: Int = 8002

  /// The defaults for a set of repositories, adjusted by `configure`.
  /// - Parameters:
  ///   - repositories: Model repository directories.
  ///   - configure: Changes to the defaults.
  public static func defaults(repositories: [URL], configure: (inout Self) -> Void = { _ in }) -> Self {
    var config = Self(runtime: RuntimeConfiguration(repositories: repositories))
    configure(&config)
    return config
  }
}
