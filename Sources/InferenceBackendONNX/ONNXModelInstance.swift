internal import InferenceRuntime
internal import KServeProtocol
internal import OffloadMeasurement

#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif

/// One model instance: an ONNX Runtime session, and for models on the shared thread pool a second one for large
/// executions. Inputs are handed to ORT as views of the request's buffers (no copy); each output is copied once
/// out of ORT's buffer into the response `Data`.
///
/// Why two sessions: splitting an execution over the shared pool pays for large batches (jet_tagger_qg at batch
/// 1024: 0.59 → 0.80 of direct ONNX Runtime) but costs small ones the pool's hand-offs (the same model at batch
/// 1–9: about 20 % fewer requests per second, measured); small executions run on the calling thread alone.
final class ONNXModelInstance: ModelInstance, Sendable {
  /// Executions with fewer input elements than ``largeExecutionElements`` (or every one, without a large session).
  let session: ORTSession
  /// The session on the shared intra-op pool, for large executions.
  let largeSession: ORTSession?

  /// Input elements (all inputs together) from which an execution uses ``largeSession``: 8,192, e.g. 74 jets of
  /// 16 particles × 7 features, or 482 rows of the 17-feature ghost-track MLP.
  static let largeExecutionElements = 8_192

  init(session: ORTSession, largeSession: ORTSession? = nil) {
    self.session = session
    self.largeSession = largeSession
  }

  func execute(inputs: [InferenceTensor], outputs: [OutputSpec]) throws -> ExecutionResult {
    let start = ContinuousClock.now
    var session = self.session
    if let largeSession,
      inputs.reduce(0, { $0 + Int(clamping: $1.elementCount ?? 0) }) >= Self.largeExecutionElements
    {
      session = largeSession
    }
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
