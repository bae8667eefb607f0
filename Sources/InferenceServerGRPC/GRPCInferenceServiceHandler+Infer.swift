public import GRPCCore
internal import InferenceRuntime
public import KServeGRPC
internal import KServeProtocol
internal import Logging

extension GRPCInferenceServiceHandler {
  /// Runs one request. A passed deadline (or a client that reset the stream) ends the wait at once.
  ///
  /// grpc-swift 2 does not cancel a handler's task at the deadline: it signals through the RPC's
  /// cancellation handle and lets the handler run on. The request therefore runs in a task of its own that
  /// is cancelled when the RPC is, so a request queued for a busy instance leaves the queue and one waiting
  /// on a long (or hung) execution returns CANCELLED at once, while the instance stays busy until the
  /// execution really ends (``ExecutionPlacement/runAbandonable(instance:finished:_:)``). With SwiftNIO's
  /// event loops as the global executor the task starts on the same loop (no thread hop).
  ///
  /// A graceful shutdown also cancels every RPC (grpc-swift quiesces the streams), but in-flight requests
  /// must drain then, so RPC cancellation is ignored once the runtime is draining. Models with dynamic
  /// batching are not abandoned: their requests share batches and wait for them.
  public func modelInfer(
    request: Inference_ModelInferRequest, context: ServerContext
  ) async throws
    -> Inference_ModelInferResponse
  {
    let runtime = self.runtime
    let inference = try InferenceRequest(request)
    let work = Task { try await runtime.infer(inference).proto }
    return try await withTaskCancellationHandler {
      try await withRPCCancellationHandler {
        // Cancelled before the handler was registered (e.g. the deadline passed while the request waited
        // for a thread): the handler will not be called.
        if context.cancellation.isCancelled && !runtime.isDraining { work.cancel() }
        do {
          return try await work.value
        } catch let error as InferenceError where error.code == .cancelled && context.cancellation.isCancelled {
          // The RPC was cancelled by its deadline (a client that reset the stream never sees this answer):
          // DEADLINE_EXCEEDED, as the client's own timer says, not a CANCELLED that races with it.
          throw InferenceError(.deadlineExceeded, error.message)
        }
      } onCancelRPC: {
        if !runtime.isDraining { work.cancel() }
      }
    } onCancel: {
      work.cancel()
    }
  }

  /// Runs each request of the stream in order; a failed request answers with `error_message` and the
  /// stream goes on, as Triton does.
  public func modelStreamInfer(
    request: RPCAsyncSequence<Inference_ModelInferRequest, any Error>,
    response: RPCWriter<Inference_ModelStreamInferResponse>,
    context: ServerContext
  ) async throws {
    for try await message in request {
      var reply = Inference_ModelStreamInferResponse()
      do {
        reply.inferResponse = try await runtime.infer(InferenceRequest(message)).proto
      } catch let error as InferenceError {
        reply.errorMessage = error.message
        var echo = Inference_ModelInferResponse()
        echo.id = message.id
        echo.modelName = message.modelName
        echo.modelVersion = message.modelVersion
        reply.inferResponse = echo
        logger.debug("stream request failed", metadata: ["model": "\(message.modelName)", "error": "\(error.message)"])
      }
      try await response.write(reply)
    }
  }
}
