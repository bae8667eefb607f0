internal import Hummingbird
internal import InferenceRuntime

extension HTTPRoutes {
  /// Group `metadata`: the server's (`GET /v2`) and a model's.
  func addMetadata(to router: Router<Context>) {
    let runtime = self.runtime
    let server = ServerMetadataBody(
      name: configuration.serverName, version: configuration.serverVersion, extensions: configuration.extensions)
    let v2 = v2(router, .metadata)
    v2.get { _, _ in server }
    for prefix in Self.modelPrefixes {
      v2.get(RouterPath(prefix)) { _, context in
        let (name, version) = Self.modelAndVersion(context)
        return ModelMetadataBody(try runtime.metadata(name: name, version: version))
      }
    }
  }
}
