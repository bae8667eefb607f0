internal import InferenceRuntime
public import KServeGRPC
internal import KServeProtocol

/// Triton's LogSettings RPC over the server's shared ``LogSettingsStore``.
extension GRPCInferenceServiceHandler {
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
