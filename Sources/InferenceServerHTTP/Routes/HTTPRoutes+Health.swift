internal import Hummingbird
internal import InferenceRuntime
internal import KServeProtocol

extension HTTPRoutes {
  /// Group `health`: server liveness and readiness (200 or 503, no body), model readiness (200, or 400 with
  /// the reason as Triton answers: KServe reads any 4xx as "not ready").
  func addHealth(to router: Router<Context>) {
    let runtime = self.runtime
    let v2 = v2(router, .health)
    v2.get("health/live") { _, _ in Response(status: runtime.isLive ? .ok : .serviceUnavailable) }
    v2.get("health/ready") { _, _ in Response(status: runtime.isReady ? .ok : .serviceUnavailable) }
    for prefix in Self.modelPrefixes {
      v2.get(RouterPath(prefix + "/ready")) { _, context in
        let (name, version) = Self.modelAndVersion(context)
        if runtime.isModelReady(name: name, version: version) { return Response(status: .ok) }
        var reason = "model '\(name)'\(version.isEmpty ? "" : " version \(version)") is not ready"
        do { _ = try runtime.servable(name: name, version: version) } catch let error as InferenceError {
          reason = error.message
        }
        throw InferenceError(.invalidArgument, reason)
      }
    }
  }
}
