internal import InferenceRuntime
public import KServeGRPC
internal import KServeProtocol
internal import Logging

/// RPCs this server cannot serve (CUDA shared memory without a GPU), serves read-only (trace settings: no
/// tracing yet) or serves as settings (log settings): refusals name what to do instead.
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

  /// Reads and changes the log settings (Triton's fields; an empty request only reads them). A change
  /// takes effect for the next log line, server-wide.
  public func logSettings(
    request: Inference_LogSettingsRequest, context: GRPCCallContext
  ) async throws
    -> Inference_LogSettingsResponse
  {
    var changes: [String: LogSettingValue] = [:]
    for (key, value) in request.settings {
      switch value.parameterChoice {
      case .boolParam(let on): changes[key] = .bool(on)
      case .uint32Param(let number): changes[key] = .uint(UInt64(number))
      case .stringParam(let text): changes[key] = .string(text)
      case nil: throw InferenceError(.invalidArgument, "log setting '\(key)' has no value")
      }
    }
    let settings = changes.isEmpty ? logSettingsStore.settings : try logSettingsStore.apply(changes)
    var response = Inference_LogSettingsResponse()
    func set(_ key: String, _ choice: Inference_LogSettingsResponse.SettingValue.OneOf_ParameterChoice) {
      var value = Inference_LogSettingsResponse.SettingValue()
      value.parameterChoice = choice
      response.settings[key] = value
    }
    set("log_file", .stringParam(""))
    set("log_info", .boolParam(settings.info))
    set("log_warning", .boolParam(settings.warning))
    set("log_error", .boolParam(settings.error))
    set("log_verbose_level", .uint32Param(settings.verboseLevel))
    set("log_format", .stringParam(settings.format))
    return response
  }
}
