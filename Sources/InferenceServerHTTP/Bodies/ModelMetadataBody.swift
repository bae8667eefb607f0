internal import Hummingbird
internal import InferenceRuntime
internal import KServeProtocol

/// `GET /v2/models/{model}[/versions/{version}]`: the model's versions, platform and tensors.
struct ModelMetadataBody: ResponseEncodable {
  struct Tensor: Encodable {
    var name: String
    var datatype: String
    var shape: [Int64]
  }

  var name: String
  var versions: [String]
  var platform: String
  var inputs: [Tensor]
  var outputs: [Tensor]

  init(_ metadata: ModelMetadata) {
    func tensor(_ t: ModelMetadata.Tensor) -> Tensor {
      Tensor(name: t.name, datatype: t.datatype.rawValue, shape: t.shape)
    }
    name = metadata.name
    versions = metadata.versions
    platform = metadata.platform
    inputs = metadata.inputs.map(tensor)
    outputs = metadata.outputs.map(tensor)
  }
}
