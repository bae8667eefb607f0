internal import Hummingbird
internal import InferenceRuntime

/// One registered system shared-memory region, as the status calls report it.
struct SharedMemoryRegionBody: ResponseEncodable {
  var name: String
  var key: String
  var offset: Int
  var byteSize: Int

  enum CodingKeys: String, CodingKey {
    case name, key, offset
    case byteSize = "byte_size"
  }

  init(_ status: SharedMemoryRegionStatus) {
    name = status.name
    key = status.key
    offset = status.offset
    byteSize = status.byteSize
  }
}

/// `POST /v2/systemsharedmemory/region/{region}/register` request.
struct SharedMemoryRegisterRequestBody: Decodable {
  /// The `shm_open` name.
  var key: String
  /// Checked by the route (must not be negative).
  var offset: Int64?
  /// Checked by the route (must not be negative).
  var byteSize: Int64

  enum CodingKeys: String, CodingKey {
    case key, offset
    case byteSize = "byte_size"
  }
}
