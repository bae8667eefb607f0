public import KServeProtocol
internal import OffloadMeasurement
internal import Synchronization
internal import TritonModelConfig

#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif

extension ModelRuntime {
  /// Runs one request: finds the model version, validates the request against its configuration,
  /// waits for a free instance, executes, and records statistics.
  /// - Parameter request: The request.
  /// - Returns: The response, with the request's id and the outputs in the requested order.
  /// - Throws: ``InferenceError`` naming what was wrong.
  public func infer(_ request: InferenceRequest) async throws -> InferenceResponse {
    try await answer(request).response
  }

  /// A response with what it cost in the server, as the composing steps of an ensemble report it.
  struct Answer: Sendable {
    var response: InferenceResponse
    var queueNanos: UInt64
    var timings: ComputeTimings
  }

  /// ``infer(_:)`` with the queue and compute time of the answer.
  func answer(_ request: InferenceRequest) async throws -> Answer {
    // A request that picked the default version just as a newer one replaced it is rejected by the retiring
    // version before it ran; it goes to the new version instead (a version-rollover never fails requests).
    var attempt = 0
    while true {
      let model = try servable(name: request.modelName, version: request.modelVersion)
      do {
        return try await infer(request, on: model)
      } catch let error as RetiredVersion {
        attempt += 1
        guard request.modelVersion.isEmpty, attempt < 8 else { throw error.rejection }
      }
    }
  }

  /// The rejection of a request by a version that was retired before the request ran.
  struct RetiredVersion: Error {
    var rejection: InferenceError
  }

  private func infer(_ request: InferenceRequest, on model: ServableModel) async throws -> Answer {
    var request = request
    let arrival = ContinuousClock.now
    model.statistics.arrived()
    defer { model.statistics.left() }
    do {
      try sharedMemory.resolveInputs(of: &request)
      var validated = try model.validator.validate(request)
      validated.inputs = model.reshape.modelInputs(validated.inputs)
      try checkSize(validated.inputs, model: model)
      let classifications = try Classification.requestedCounts(
        request.outputs, specs: validated.outputs, model: model.description)
      var outputs: [InferenceTensor]
      let queueNanos: UInt64
      let timings: ComputeTimings
      let executedRows: Int
      // The response cache, for models that enable it: a hit answers without an execution.
      // (Models without it pay one nil check.)
      var cacheKey: ResponseCacheKey?
      var cached: [InferenceTensor]?
      var lookupNanos: UInt64 = 0
      if let cache = model.responseCache {
        let lookupStart = ContinuousClock.now
        let key = ResponseCacheKey(
          owner: model.cacheOwner, inputs: validated.inputs, outputs: validated.outputs.map(\.name))
        cached = cache.lookup(key)
        cacheKey = key
        lookupNanos = (ContinuousClock.now - lookupStart).clampedNanoseconds
      }
      if let cached {
        model.statistics.recordCacheHit(
          rows: UInt64(validated.batchSize), totalNanos: (ContinuousClock.now - arrival).clampedNanoseconds,
          lookupNanos: lookupNanos, nowMillis: UInt64(Date().timeIntervalSince1970 * 1000))
        (outputs, queueNanos, timings, executedRows) = (
          cached, 0, ComputeTimings(inputNanos: 0, inferNanos: 0, outputNanos: 0), validated.batchSize
        )
      } else if let plan = model.ensemble {
        let answer = try await runEnsemble(
          plan, of: model, request: request, inputs: validated.inputs, outputs: validated.outputs)
        record(model, rows: validated.batchSize, arrival: arrival, queueNanos: answer.queueNanos, answer.timings)
        (outputs, queueNanos, timings, executedRows) = (
          answer.outputs, answer.queueNanos, answer.timings, validated.batchSize
        )
      } else if let sequencer = model.sequencer {
        let sequence = try SequenceParameters(request.parameters, model: model.description)
        guard model.config.maxBatchSize == 0 || validated.batchSize == 1 else {
          throw InferenceError(
            .invalidArgument,
            "\(model.description) is stateful: each request of a sequence carries one row (batch size 1), this one "
              + "has \(validated.batchSize); the sequence batcher batches requests of different sequences itself")
        }
        let answer = try await sequencer.submit(
          inputs: validated.inputs, outputs: validated.outputs, sequence: sequence.id, start: sequence.start,
          end: sequence.end)
        record(model, rows: validated.batchSize, arrival: arrival, queueNanos: answer.queueNanos, answer.timings)
        (outputs, queueNanos, timings, executedRows) = (
          answer.outputs, answer.queueNanos, answer.timings, answer.batchRows
        )
      } else if let batcher = model.batcher {
        let answer = try await batcher.submit(
          inputs: validated.inputs, outputs: validated.outputs, rows: validated.batchSize,
          priority: Int(clamping: request.parameters["priority"]?.int64Value ?? 0),
          timeoutNanos: request.parameters["timeout"]?.int64Value.map { micros in
            let (nanos, overflow) = UInt64(clamping: micros).multipliedReportingOverflow(by: 1_000)
            return overflow ? .max : nanos
          })
        record(model, rows: validated.batchSize, arrival: arrival, queueNanos: answer.queueNanos, answer.timings)
        (outputs, queueNanos, timings, executedRows) = (
          answer.outputs, answer.queueNanos, answer.timings, answer.batchRows
        )
      } else {
        // A cancelled request (the gRPC front end cancels on a passed deadline) leaves the queue, or stops
        // waiting for an execution on the instance thread; the instance is released when that really ends.
        let index = try await model.scheduler.acquire()
        let queued = (ContinuousClock.now - arrival).clampedNanoseconds
        let result = try await model.executeReleasing(
          instance: index, inputs: validated.inputs, outputs: validated.outputs)
        model.statistics.recordExecution(batchSize: UInt64(validated.batchSize), timings: result.timings)
        record(model, rows: validated.batchSize, arrival: arrival, queueNanos: queued, result.timings)
        (outputs, queueNanos, timings, executedRows) = (result.outputs, queued, result.timings, validated.batchSize)
      }
      if cached == nil, let cache = model.responseCache, let cacheKey {
        let insertStart = ContinuousClock.now
        cache.insert(cacheKey, outputs: outputs)
        model.statistics.recordCacheMiss(nanos: lookupNanos + (ContinuousClock.now - insertStart).clampedNanoseconds)
      }
      outputs = try model.reshape.clientOutputs(outputs, model: model.description)
      try Classification.apply(
        &outputs, counts: classifications, batched: model.config.maxBatchSize > 0, labels: model.labels)
      var response = InferenceResponse(
        modelName: model.name, modelVersion: String(model.version), id: request.id, outputs: outputs)
      if let timing = request.parameters[TimingParameters.request],
        let values = TimingParameters.requested(
          by: timing, queueNanos: queueNanos, timings: timings, executedRows: executedRows,
          queueDepth: model.batcher?.queueDepth ?? model.scheduler.queueDepth)
      {
        response.parameters = values
      }
      if SharedMemoryRegistry.wantsOutputs(request.outputs) {
        try sharedMemory.placeOutputs(of: &response, requested: request.outputs)
      }
      return Answer(response: response, queueNanos: queueNanos, timings: timings)
    } catch {
      if let rejection = error as? InferenceError, rejection.code == .unavailable,
        model.retired.load(ordering: .acquiring)
      {
        throw RetiredVersion(rejection: rejection)
      }
      let failure = error is CancellationError ? Self.cancelled(model) : error
      let reason = (failure as? InferenceError).map { FailureReason($0.code) } ?? .backend
      model.statistics.recordFailure(totalNanos: (ContinuousClock.now - arrival).clampedNanoseconds, reason: reason)
      throw failure
    }
  }

  /// What a request cancelled while it waited for an instance or for its execution gets (counted as
  /// CANCELED in the failure metrics).
  private static func cancelled(_ model: ServableModel) -> InferenceError {
    InferenceError(
      .cancelled,
      "\(model.description): the request was cancelled (its deadline passed or its "
        + "client went away) before it was answered; an execution it had begun runs on to its end")
  }

  private func record(
    _ model: ServableModel, rows: Int, arrival: ContinuousClock.Instant, queueNanos: UInt64, _ timings: ComputeTimings
  ) {
    model.statistics.recordRequest(
      rows: UInt64(rows), totalNanos: (ContinuousClock.now - arrival).clampedNanoseconds, queueNanos: queueNanos,
      timings: timings, nowMillis: UInt64(Date().timeIntervalSince1970 * 1000))
  }

  private func checkSize(_ inputs: [InferenceTensor], model: ServableModel) throws {
    // Tensors read from shared memory did not travel in the request; the limit is on what did.
    let total = inputs.reduce(0) { total, input in
      SharedMemoryReference.isPresent(in: input.parameters) ? total : total + input.data.count
    }
    guard total <= configuration.maxRequestBytes else {
      throw InferenceError(
        .resourceExhausted,
        "request to model '\(model.name)' carries \(total) bytes of input, above this server's limit of "
          + "\(configuration.maxRequestBytes); split the batch or raise --max-request-size")
    }
  }

}
