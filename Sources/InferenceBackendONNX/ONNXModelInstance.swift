internal import Foundation
internal import InferenceRuntime
internal import KServeProtocol

/// One ONNX Runtime session. Inputs are handed to ORT as views of the request's buffers (no copy);
/// each output is copied once out of ORT's buffer into the response `Data`.
final class ONNXModelInstance: ModelInstance, Sendable {
  let session: ORTSession

  init(session: ORTSession) {
    self.session = session
  }

  func execute(inputs: [InferenceTensor], outputs: [OutputSpec]) throws -> ExecutionResult {
    let start = ContinuousClock.now
    let strings: [[[UInt8]]?] = try inputs.map { tensor in
      guard tensor.datatype == .bytes else { return nil }
      return try BytesTensorCodec.decode(tensor.data, expectedCount: tensor.elementCount ?? 0, tensorName: tensor.name)
    }
    var inputNanos: UInt64 = 0
    var inferNanos: UInt64 = 0
    let produced: [ORTOutput] = try withBuffers(inputs.map(\.data)) { buffers in
      let ortInputs = inputs.indices.map { i in
        ORTInput(
          name: inputs[i].name, elementType: ORTElementType(inputs[i].datatype), shape: inputs[i].shape,
          data: strings[i].map(ORTInputData.strings) ?? .raw(buffers[i]))
      }
      let ready = ContinuousClock.now
      inputNanos = (ready - start).clampedNanoseconds
      do {
        defer { inferNanos = (ContinuousClock.now - ready).clampedNanoseconds }
        return try session.run(inputs: ortInputs, outputNames: outputs.map(\.name))
      } catch {
        throw InferenceError(.internal, "ONNX Runtime failed to run: \(error)")
      }
    }
    let collect = ContinuousClock.now
    let tensors = zip(produced, outputs).map { output, spec in
      InferenceTensor(
        name: spec.name, datatype: spec.datatype, shape: output.shape,
        data: spec.datatype == .bytes ? BytesTensorCodec.encode(output.strings) : output.bytes)
    }
    return ExecutionResult(
      outputs: tensors,
      timings: ComputeTimings(
        inputNanos: inputNanos, inferNanos: inferNanos, outputNanos: (ContinuousClock.now - collect).clampedNanoseconds)
    )
  }

  /// Calls `body` with raw views of every buffer, all valid for the duration of the call.
  private func withBuffers<R>(_ datas: [Data], _ body: ([UnsafeRawBufferPointer]) throws -> R) throws -> R {
    var views: [UnsafeRawBufferPointer] = []
    views.reserveCapacity(datas.count)
    func nest(_ index: Int) throws -> R {
      if index == datas.count { return try body(views) }
      return try datas[index].withUnsafeBytes { raw in
        views.append(raw)
        return try nest(index + 1)
      }
    }
    return try nest(0)
  }

}
