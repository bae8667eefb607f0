internal import Hummingbird
internal import InferenceRuntime

extension HTTPRoutes {
  /// Group `statistics`: every model's (`/v2/models/stats`) or one model's.
  func addStatistics(to router: Router<Context>) {
    let runtime = self.runtime
    let v2 = v2(router, .statistics)
    v2.get("models/stats") { _, _ in ModelStatisticsBody(try runtime.statistics(name: "", version: "")) }
    for prefix in Self.modelPrefixes {
      v2.get(RouterPath(prefix + "/stats")) { _, context in
        let (name, version) = Self.modelAndVersion(context)
        return ModelStatisticsBody(try runtime.statistics(name: name, version: version))
      }
    }
  }
}
