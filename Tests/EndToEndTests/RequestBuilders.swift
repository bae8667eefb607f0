import Foundation
import KServeGRPC

/// Small builders for wire requests used across the end-to-end tests.
enum Requests {
  static func tensor(
    _ name: String, _ datatype: String, _ shape: [Int64]
  ) -> Inference_ModelInferRequest.InferInputTensor {
    var t = Inference_ModelInferRequest.InferInputTensor()
    t.name = name
    t.datatype = datatype
    t.shape = shape
    return t
  }

  static func floats(_ values: [Float]) -> Data { values.withUnsafeBytes { Data($0) } }

  static func decodeFloats(_ data: Data) -> [Float] { data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) } }

  /// A valid add_sub request with `rows` rows.
  static func addSub(rows: Int64 = 1, id: String = "ok") -> Inference_ModelInferRequest {
    var r = Inference_ModelInferRequest()
    r.modelName = "add_sub"
    r.id = id
    r.inputs = [tensor("INPUT0", "FP32", [rows, 16]), tensor("INPUT1", "FP32", [rows, 16])]
    let a = (0..<(Int(rows) * 16)).map { Float($0) }
    r.rawInputContents = [floats(a), floats(a.map { $0 * 2 })]
    return r
  }

  /// A valid ghost_mlp request.
  static func ghost(rows: Int64) -> Inference_ModelInferRequest {
    var r = Inference_ModelInferRequest()
    r.modelName = "ghost_mlp"
    r.inputs = [tensor("features", "FP32", [rows, 17])]
    r.rawInputContents = [floats((0..<(Int(rows) * 17)).map { Float($0 % 13) / 13 })]
    return r
  }
}
