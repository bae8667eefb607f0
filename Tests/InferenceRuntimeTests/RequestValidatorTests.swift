import Foundation
import InferenceRuntime
import KServeProtocol
import Testing
import TritonModelConfig

@Suite(.timeLimit(.minutes(1))) struct RequestValidatorTests {
  static func config(maxBatchSize: Int32 = 8) -> Inference_ModelConfig {
    var config = Inference_ModelConfig()
    config.name = "m"
    config.maxBatchSize = maxBatchSize
    var a = Inference_ModelInput()
    a.name = "A"
    a.dataType = .typeFp32
    a.dims = [4]
    var b = Inference_ModelInput()
    b.name = "B"
    b.dataType = .typeString
    b.dims = [-1]
    config.input = [a, b]
    var out = Inference_ModelOutput()
    out.name = "Y"
    out.dataType = .typeFp32
    out.dims = [4]
    config.output = [out]
    return config
  }

  static let validator = RequestValidator(config: config(), modelDescription: "model 'm' version 1")

  static func a(rows: Int64 = 2, bytes: Int? = nil) -> InferenceTensor {
    InferenceTensor(name: "A", datatype: .fp32, shape: [rows, 4], data: Data(count: bytes ?? Int(rows) * 16))
  }

  static func b(rows: Int64 = 2) -> InferenceTensor {
    InferenceTensor(
      name: "B", datatype: .bytes, shape: [rows, 1],
      data: BytesTensorCodec.encode((0..<Int(rows)).map { _ in Array("x".utf8) }))
  }

  static func request(_ inputs: [InferenceTensor], outputs: [String] = []) -> InferenceRequest {
    InferenceRequest(modelName: "m", inputs: inputs, outputs: outputs.map { RequestedOutput(name: $0) })
  }

  @Test func validRequestIsOrderedByModelInputs() throws {
    let validated = try Self.validator.validate(Self.request([Self.b(), Self.a()]))
    #expect(validated.inputs.map(\.name) == ["A", "B"])
    #expect(validated.batchSize == 2)
    #expect(validated.outputs.map(\.name) == ["Y"])
  }

  @Test(arguments: [
    ("missing input", request([a()]), "missing input 'B'"),
    (
      "unknown input", request([a(), b(), InferenceTensor(name: "C", datatype: .fp32, shape: [2, 4], data: Data())]),
      "unknown input 'C'"
    ),
    (
      "empty name", request([a(), b(), InferenceTensor(name: "", datatype: .fp32, shape: [1], data: Data())]),
      "empty name"
    ),
    ("duplicate", request([a(), a(), b()]), "given twice"),
    (
      "wrong datatype",
      request([InferenceTensor(name: "A", datatype: .fp64, shape: [2, 4], data: Data(count: 64)), b()]), "expects FP32"
    ),
    (
      "wrong shape",
      request([InferenceTensor(name: "A", datatype: .fp32, shape: [2, 5], data: Data(count: 40)), b()]),
      "expects [batch,4]"
    ),
    ("byte count", request([a(bytes: 31), b()]), "has 31 bytes of data"),
    ("batch too big", request([a(rows: 9), b(rows: 9)]), "outside 1...8"),
    ("batch zero", request([a(rows: 0), b(rows: 0)]), "outside 1...8"),
    ("batch mismatch", request([a(rows: 2), b(rows: 3)]), "share the first dimension"),
    ("unknown output", request([a(), b()], outputs: ["Z"]), "unknown requested output 'Z'"),
    (
      "bytes count",
      request([a(), InferenceTensor(name: "B", datatype: .bytes, shape: [2, 1], data: BytesTensorCodec.encode([[1]]))]),
      "holds 1 element(s)"
    ),
    (
      "negative dim", request([a(), InferenceTensor(name: "B", datatype: .bytes, shape: [2, -1], data: Data())]),
      "expects [batch,-1]"
    ),
  ])
  func badRequestsAreRejectedWithTheirCause(_ label: String, _ request: InferenceRequest, _ fragment: String) {
    #expect(
      performing: { _ = try Self.validator.validate(request) },
      throws: { error in
        guard let error = error as? InferenceError else { return false }
        return error.code == .invalidArgument && error.message.contains(fragment)
          && error.message.hasPrefix("model 'm' version 1")
      })
  }

  @Test("an output requested twice is answered once, as in Triton")
  func duplicateOutputAnsweredOnce() throws {
    let validated = try Self.validator.validate(Self.request([Self.a(), Self.b()], outputs: ["Y", "Y"]))
    #expect(validated.outputs.map(\.name) == ["Y"])
  }

  @Test func nonBatchingModelTakesTheShapeAsIs() throws {
    let validator = RequestValidator(config: Self.config(maxBatchSize: 0), modelDescription: "m")
    let a = InferenceTensor(name: "A", datatype: .fp32, shape: [4], data: Data(count: 16))
    let b = InferenceTensor(name: "B", datatype: .bytes, shape: [0], data: Data())
    #expect(try validator.validate(Self.request([a, b])).batchSize == 1)
  }
}
