internal import Foundation
public import KServeProtocol

extension ModelRuntime {
  /// Runs one request: finds the model version, validates the request against its configuration,
  /// waits for a free instance, executes, and records statistics.
  /// - Parameter request: The request.
  /// - Returns: The response, with the request's id and the outputs in the requested order.
  /// - Throws: ``InferenceError`` naming what was wrong.
  public func infer(_ request: InferenceRequest) async throws -> InferenceResponse {
    let arrival = ContinuousClock.now
    let model = try servable(name: request.modelName, version: request.modelVersion)
    do {
      let validated = try model.validator.validate(request)
      try checkSize(validated.inputs, model: model)
      let (result, queueNanos) = try await model.scheduler.withInstanceAsync { index in
        let queued = (ContinuousClock.now - arrival).clampedNanoseconds
        let instance = model.instances[index]
        let result = try await model.placement.run(instance: index) {
          try instance.execute(inputs: validated.inputs, outputs: validated.outputs)
        }
        let timings = result.timings
        model.placement.record(executionNanos: timings.inputNanos + timings.inferNanos + timings.outputNanos)
        return (result, queued)
      }
      model.statistics.recordSuccess(
        batchSize: UInt64(validated.batchSize),
        totalNanos: (ContinuousClock.now - arrival).clampedNanoseconds,
        queueNanos: queueNanos,
        timings: result.timings,
        nowMillis: UInt64(Date().timeIntervalSince1970 * 1000))
      return InferenceResponse(
        modelName: model.name, modelVersion: String(model.version), id: request.id, outputs: result.outputs)
    } catch {
      model.statistics.recordFailure(totalNanos: (ContinuousClock.now - arrival).clampedNanoseconds)
      throw error
    }
  }

  private func checkSize(_ inputs: [InferenceTensor], model: ServableModel) throws {
    let total = inputs.reduce(0) { $0 + $1.data.count }
    guard total <= configuration.maxRequestBytes else {
      throw InferenceError(
        .resourceExhausted,
        "request to model '\(model.name)' carries \(total) bytes of input, above this server's limit of "
          + "\(configuration.maxRequestBytes); split the batch or raise --max-request-size")
    }
  }

}
