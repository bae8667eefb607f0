internal import Hummingbird

/// `GET /v2`: the server's name, version and protocol extensions.
struct ServerMetadataBody: ResponseEncodable {
  var name: String
  var version: String
  var extensions: [String]
}
