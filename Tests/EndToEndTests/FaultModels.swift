import Foundation
import InferenceBackendFault
import InferenceRuntime
import KServeGRPC
import KServeProtocol
import OffloadTestSupport

/// Temporary repositories of fault-injection models (`backend: "fault"`, see `FaultInjectionBackend`) and
/// requests for them: `ACTION` (INT32 [rows, 1]: 0 echo, 1 fail, 2 hang, 3 release hangs) and `INPUT0`
/// (FP32 [rows, n]), answered with `OUTPUT0` = `INPUT0`.
enum FaultModels {
  /// One model of a repository.
  struct Model {
    var name: String
    var config: String
    /// The text of `1/model.fault` (directives such as `fail_signature`; empty for none).
    var file: String

    init(_ name: String, config: String = FaultModels.config(), file: String = "") {
      self.name = name
      self.config = config
      self.file = file
    }
  }

  /// A fault model's config.pbtxt: no dynamic batching unless `extra` adds it.
  static func config(
    maxBatchSize: Int = 8, instances: Int = 1, parameters: [String: String] = [:], extra: String = ""
  ) -> String {
    FaultInjectionBackend.config(maxBatchSize: maxBatchSize, instances: instances, parameters: parameters, extra: extra)
  }

  /// Writes a repository of `models` to a new temporary directory; the caller removes it.
  static func repository(_ models: [Model]) throws -> URL {
    let repository = try TemporaryRepository()
    for model in models {
      try repository.addModel(model.name, config: model.config, versions: [1: model.file], filename: "model.fault")
    }
    return repository.root
  }

  /// A wire request of one row.
  static func request(
    _ model: String, action: Int32, values: [Float] = [1, 2, 3], id: String = ""
  ) -> Inference_ModelInferRequest {
    var r = Inference_ModelInferRequest()
    r.modelName = model
    r.id = id
    r.inputs = [
      Requests.tensor("ACTION", "INT32", [1, 1]), Requests.tensor("INPUT0", "FP32", [1, Int64(values.count)]),
    ]
    r.rawInputContents = [withUnsafeBytes(of: action.littleEndian) { Data($0) }, Requests.floats(values)]
    return r
  }

  /// The same request as the client library sends it.
  static func inferenceRequest(
    _ model: String, action: Int32, values: [Float] = [1, 2, 3], id: String = ""
  ) -> InferenceRequest {
    FaultInjectionBackend.request(model: model, action: action, values: values, id: id)
  }

  /// The same request as a KServe v2 JSON body (HTTP/REST).
  static func json(action: Int32, values: [Float] = [1, 2, 3]) -> Data {
    let data = values.map { "\($0)" }.joined(separator: ",")
    return Data(
      """
      {"inputs":[{"name":"ACTION","shape":[1,1],"datatype":"INT32","data":[\(action)]},
      {"name":"INPUT0","shape":[1,\(values.count)],"datatype":"FP32","data":[\(data)]}]}
      """.utf8)
  }
}
