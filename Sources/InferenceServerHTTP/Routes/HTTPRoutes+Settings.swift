internal import Hummingbird
internal import InferenceRuntime
internal import KServeProtocol

extension HTTPRoutes {
  /// Group `trace`: trace settings, server-wide and per model; reported, not changeable (no tracing yet).
  func addTrace(to router: Router<Context>) {
    let limit = configuration.maxBodyBytes
    let v2 = v2(router, .trace)
    for path in ["trace/setting", "models/{model}/trace/setting"] {
      v2.get(RouterPath(path)) { _, _ in TraceSettingsBody() }
      v2.post(RouterPath(path)) { request, _ in
        let update = try await HTTPRequestBody.decode(
          SettingsUpdateRequestBody.self, from: request, limit: limit, what: "trace settings")
        guard update.fields.isEmpty else {
          throw InferenceError(
            .unimplemented, "request tracing is not implemented by this server yet; trace settings cannot be changed")
        }
        return TraceSettingsBody()
      }
    }
  }

  /// Group `logging`: the log settings, read (`GET`) and changed (`POST` with Triton's fields; the answer
  /// is the settings after the change).
  func addLogging(to router: Router<Context>) {
    let limit = configuration.maxBodyBytes
    let store = logSettings
    let v2 = v2(router, .logging)
    v2.get("logging") { _, _ in LogSettingsBody(store.settings) }
    v2.post("logging") { request, _ in
      let update = try await HTTPRequestBody.decode(
        LogSettingsUpdateRequestBody.self, from: request, limit: limit, what: "log settings")
      return LogSettingsBody(try store.apply(update.changes))
    }
  }
}
