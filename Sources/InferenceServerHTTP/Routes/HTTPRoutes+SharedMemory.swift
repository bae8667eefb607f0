internal import Hummingbird
internal import InferenceRuntime
internal import KServeProtocol

extension HTTPRoutes {
  /// Group `shared-memory`: system shared-memory regions (the runtime's registry, shared with gRPC); CUDA
  /// shared memory answers 501 (no GPU).
  func addSharedMemory(to router: Router<Context>) {
    let runtime = self.runtime
    let limit = configuration.maxBodyBytes
    let v2 = v2(router, .sharedMemory)
    for path in ["systemsharedmemory/status", "systemsharedmemory/region/{region}/status"] {
      v2.get(RouterPath(path)) { _, context in
        try runtime.sharedMemory.status(name: context.parameters.get("region") ?? "").map(SharedMemoryRegionBody.init)
      }
    }
    v2.post("systemsharedmemory/region/{region}/register") { request, context in
      let name = context.parameters.get("region") ?? ""
      let what = "registering shared memory region '\(name)'"
      let body = try await HTTPRequestBody.decode(
        SharedMemoryRegisterRequestBody.self, from: request, limit: limit, what: what)
      guard !body.key.isEmpty else {
        throw InferenceError(.invalidArgument, "\(what) needs a 'key' string (the shm_open name)")
      }
      for (field, value) in [("offset", body.offset ?? 0), ("byte_size", body.byteSize)] where value < 0 {
        throw InferenceError(.invalidArgument, "\(what): '\(field)' must be a non-negative integer, not \(value)")
      }
      let offset = Int(body.offset ?? 0)
      let byteSize = Int(body.byteSize)
      try runtime.sharedMemory.register(name: name, key: body.key, offset: offset, byteSize: byteSize)
      return Response(status: .ok)
    }
    for path in ["systemsharedmemory/region/{region}/unregister", "systemsharedmemory/unregister"] {
      v2.post(RouterPath(path)) { _, context in
        try runtime.sharedMemory.unregister(name: context.parameters.get("region") ?? "")
        return Response(status: .ok)
      }
    }
    let noCUDA = InferenceError(
      .unimplemented, "CUDA shared memory is not available on this server: it has no GPU; use system shared memory")
    for path in ["cudasharedmemory/status", "cudasharedmemory/region/{region}/status"] {
      v2.get(RouterPath(path)) { _, _ -> Response in throw noCUDA }
    }
    for path in [
      "cudasharedmemory/region/{region}/register", "cudasharedmemory/region/{region}/unregister",
      "cudasharedmemory/unregister",
    ] {
      v2.post(RouterPath(path)) { _, _ -> Response in throw noCUDA }
    }
  }
}
