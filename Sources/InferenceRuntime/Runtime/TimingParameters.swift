internal import KServeProtocol

/// Beyond Triton: a request that sets the parameter `offload_timing: true` gets, as response parameters,
/// its own server-side timings and the model's queue depth, so a client can balance load between
/// servers without scraping metrics. `offload_timing: "queue"` asks for `offload_queue_ns` alone (what
/// the client's power-of-two-choices balancer reads; one map entry to encode and decode instead of six).
///
/// | response parameter | type | meaning |
/// |---|---|---|
/// | `offload_queue_ns` | int64 | time the request waited for an instance or a batch |
/// | `offload_compute_input_ns` | int64 | input preparation of the execution that carried it |
/// | `offload_compute_infer_ns` | int64 | engine time of that execution |
/// | `offload_compute_output_ns` | int64 | output collection of that execution |
/// | `offload_batch_size` | int64 | rows in that execution (more than the request's own when batched) |
/// | `offload_queue_depth` | int64 | requests waiting for this model version when the response left |
public enum TimingParameters {
  /// The request parameter that asks for timings.
  public static let request = "offload_timing"
  /// The value of ``request`` that asks for the queue time only.
  public static let queueOnly = "queue"

  /// The response parameters a request's `offload_timing` asks for, `nil` for none.
  static func requested(
    by parameter: InferenceParameter?, queueNanos: UInt64, timings: @autoclosure () -> ComputeTimings,
    executedRows: Int, queueDepth: @autoclosure () -> Int
  ) -> [String: InferenceParameter]? {
    switch parameter {
    case .bool(true)?:
      values(queueNanos: queueNanos, timings: timings(), executedRows: executedRows, queueDepth: queueDepth())
    case .string(queueOnly)?:
      ["offload_queue_ns": .int64(Int64(clamping: queueNanos))]
    default:
      nil
    }
  }

  static func values(
    queueNanos: UInt64, timings: ComputeTimings, executedRows: Int, queueDepth: Int
  )
    -> [String: InferenceParameter]
  {
    [
      "offload_queue_ns": .int64(Int64(clamping: queueNanos)),
      "offload_compute_input_ns": .int64(Int64(clamping: timings.inputNanos)),
      "offload_compute_infer_ns": .int64(Int64(clamping: timings.inferNanos)),
      "offload_compute_output_ns": .int64(Int64(clamping: timings.outputNanos)),
      "offload_batch_size": .int64(Int64(executedRows)),
      "offload_queue_depth": .int64(Int64(queueDepth)),
    ]
  }
}
