import Foundation
import InferenceRuntime
import KServeProtocol
import Synchronization

/// A test backend: model files are `model.fake`; the signature is fixed per backend; an instance echoes
/// input i as output i (same bytes), or fails when the file says "fail-load".
final class FakeBackend: InferenceBackend, Sendable {
  let name = "fake"
  let platforms = ["fake_platform"]
  let defaultModelFilename = "model.fake"
  let declared: ModelSignature
  let loads = Mutex(0)
  let executions = Executions()

  final class Executions: Sendable {
    let count = Mutex(0)
  }

  init(_ signature: ModelSignature) {
    self.declared = signature
  }

  func signature(of modelFile: URL) throws -> ModelSignature {
    let text = (try? String(contentsOf: modelFile, encoding: .utf8)) ?? ""
    if text.contains("corrupt") {
      throw InferenceError(.invalidArgument, "corrupt model file \(modelFile.lastPathComponent)")
    }
    return declared
  }

  func loadInstance(_ context: InstanceLoadContext) throws -> any ModelInstance {
    let text = (try? String(contentsOf: context.modelFile, encoding: .utf8)) ?? ""
    if text.contains("fail-load") { throw InferenceError(.internal, "instance refused to load") }
    loads.withLock { $0 += 1 }
    return EchoInstance(executions: executions)
  }
}

struct EchoInstance: ModelInstance {
  var executions: FakeBackend.Executions? = nil

  func execute(inputs: [InferenceTensor], outputs: [OutputSpec]) throws -> ExecutionResult {
    executions?.count.withLock { $0 += 1 }
    let tensors = outputs.enumerated().map { index, spec in
      let source = inputs[min(index, inputs.count - 1)]
      return InferenceTensor(name: spec.name, datatype: spec.datatype, shape: source.shape, data: source.data)
    }
    return ExecutionResult(outputs: tensors, timings: ComputeTimings(inputNanos: 1, inferNanos: 2, outputNanos: 3))
  }
}

extension ModelSignature {
  /// Two FP32 inputs [-1, 4] and two outputs, dynamic batch.
  static let pair = ModelSignature(
    inputs: [
      .init(name: "INPUT0", datatype: .fp32, engineTypeName: "tensor(float)", shape: [-1, 4]),
      .init(name: "INPUT1", datatype: .fp32, engineTypeName: "tensor(float)", shape: [-1, 4]),
    ],
    outputs: [
      .init(name: "OUTPUT0", datatype: .fp32, engineTypeName: "tensor(float)", shape: [-1, 4]),
      .init(name: "OUTPUT1", datatype: .fp32, engineTypeName: "tensor(float)", shape: [-1, 4]),
    ])
}
