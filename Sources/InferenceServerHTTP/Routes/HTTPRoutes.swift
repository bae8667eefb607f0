internal import Hummingbird
internal import InferenceRuntime

/// The KServe v2 routes over one runtime, registered by protocol group (one `+Group` file each): every
/// group's routes are added through ``v2(_:_:)``, which puts that group's access control in front of them
/// when the policy restricts it.
struct HTTPRoutes: Sendable {
  typealias Context = BasicRequestContext

  let runtime: ModelRuntime
  let configuration: HTTPFrontEndConfiguration
  /// The server's log settings, read and changed by `/v2/logging`.
  let logSettings: LogSettingsStore

  /// The two ways a route names a model: its latest ready version, or one version.
  static let modelPrefixes = ["models/{model}", "models/{model}/versions/{version}"]

  /// `/v2` for the routes of `group`.
  func v2(_ router: Router<Context>, _ group: ProtocolGroup) -> RouterGroup<Context> {
    let v2 = router.group("v2")
    if configuration.accessPolicy.restricts(group) {
      v2.add(middleware: AccessControlMiddleware(group: group, policy: configuration.accessPolicy))
    }
    return v2
  }

  /// Model name and version (empty: the latest ready) from the path.
  static func modelAndVersion(_ context: Context) -> (name: String, version: String) {
    (context.parameters.get("model") ?? "", context.parameters.get("version") ?? "")
  }

  /// Registers every route.
  func add(to router: Router<Context>) {
    addHealth(to: router)
    addMetadata(to: router)
    addInference(to: router)
    addModelConfig(to: router)
    addStatistics(to: router)
    addRepository(to: router)
    addSharedMemory(to: router)
    addTrace(to: router)
    addLogging(to: router)
  }
}
