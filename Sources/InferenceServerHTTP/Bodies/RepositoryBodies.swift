internal import Hummingbird
internal import InferenceRuntime
internal import KServeProtocol

/// `POST /v2/repository/index` request: `{"ready": true}` lists only ready versions.
struct RepositoryIndexRequestBody: Decodable {
  var ready: Bool?
}

/// One row of the repository index (version and reason only when there are any, as Triton writes it).
struct RepositoryIndexEntryBody: ResponseEncodable {
  var name: String
  var version: String?
  var state: String
  var reason: String?

  init(_ entry: ModelIndexEntry) {
    name = entry.name
    version = entry.version.isEmpty ? nil : entry.version
    state = entry.state.rawValue
    reason = entry.reason.isEmpty ? nil : entry.reason
  }
}

/// `POST /v2/repository/models/{model}/load` request: `parameters.config` may hold a model configuration
/// as a JSON string (Triton's override); other parameters are accepted and ignored.
struct ModelLoadRequestBody: Decodable {
  var parameters: [String: JSONValue]?
}
