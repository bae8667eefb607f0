public import KServeGRPC
internal import KServeProtocol

/// RPCs this server cannot serve (CUDA shared memory without a GPU) or serves read-only (trace settings: no
/// tracing yet): refusals name what to do instead.
extension GRPCInferenceServiceHandler {
  static let cudaSharedMemory = InferenceError(
    .unimplemented, "CUDA shared memory is not available on this server (no GPU); send tensor data in the request")

  public func cudaSharedMemoryStatus(
    request: Inference_CudaSharedMemoryStatusRequest, context: GRPCCallContext
  )
    async throws -> Inference_CudaSharedMemoryStatusResponse
  { throw Self.cudaSharedMemory }

  public func cudaSharedMemoryRegister(
    request: Inference_CudaSharedMemoryRegisterRequest, context: GRPCCallContext
  )
    async throws -> Inference_CudaSharedMemoryRegisterResponse
  { throw Self.cudaSharedMemory }

  public func cudaSharedMemoryUnregister(
    request: Inference_CudaSharedMemoryUnregisterRequest, context: GRPCCallContext
  )
    async throws -> Inference_CudaSharedMemoryUnregisterResponse
  { throw Self.cudaSharedMemory }

  /// Reports the trace settings (tracing is off); changing them is not implemented yet.
  public func traceSetting(
    request: Inference_TraceSettingRequest, context: GRPCCallContext
  ) async throws
    -> Inference_TraceSettingResponse
  {
    guard request.settings.isEmpty else {
      throw InferenceError(
        .unimplemented, "request tracing is not implemented by this server yet; trace settings cannot be changed")
    }
    let current: [(String, String)] = [
      ("trace_level", "OFF"), ("trace_rate", "1000"), ("trace_count", "-1"), ("log_frequency", "0"),
      ("trace_file", ""), ("trace_mode", "triton"),
    ]
    var response = Inference_TraceSettingResponse()
    for (key, value) in current {
      var setting = Inference_TraceSettingResponse.SettingValue()
      setting.value = [value]
      response.settings[key] = setting
    }
    return response
  }
}
