internal import InferenceRuntime
public import KServeGRPC
internal import KServeProtocol
internal import Logging

/// System shared-memory registration: the runtime's ``SharedMemoryRegistry``, shared with HTTP.
extension GRPCInferenceServiceHandler {
  public func systemSharedMemoryStatus(
    request: Inference_SystemSharedMemoryStatusRequest, context: GRPCCallContext
  ) async throws -> Inference_SystemSharedMemoryStatusResponse {
    var response = Inference_SystemSharedMemoryStatusResponse()
    for region in try runtime.sharedMemory.status(name: request.name) {
      var status = Inference_SystemSharedMemoryStatusResponse.RegionStatus()
      status.name = region.name
      status.key = region.key
      status.offset = UInt64(region.offset)
      status.byteSize = UInt64(region.byteSize)
      response.regions[region.name] = status
    }
    return response
  }

  public func systemSharedMemoryRegister(
    request: Inference_SystemSharedMemoryRegisterRequest, context: GRPCCallContext
  ) async throws -> Inference_SystemSharedMemoryRegisterResponse {
    guard let offset = Int(exactly: request.offset), let byteSize = Int(exactly: request.byteSize) else {
      throw InferenceError(.invalidArgument, "shared memory region '\(request.name)': offset or byte_size too large")
    }
    try runtime.sharedMemory.register(name: request.name, key: request.key, offset: offset, byteSize: byteSize)
    logger.info(
      "registered system shared memory region",
      metadata: ["region": "\(request.name)", "key": "\(request.key)", "bytes": "\(byteSize)"])
    return .init()
  }

  public func systemSharedMemoryUnregister(
    request: Inference_SystemSharedMemoryUnregisterRequest, context: GRPCCallContext
  ) async throws -> Inference_SystemSharedMemoryUnregisterResponse {
    try runtime.sharedMemory.unregister(name: request.name)
    return .init()
  }
}
