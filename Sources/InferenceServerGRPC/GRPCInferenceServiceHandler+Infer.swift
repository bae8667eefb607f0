internal import InferenceRuntime
public import KServeGRPC
internal import KServeProtocol
internal import Logging

extension GRPCInferenceServiceHandler {
  /// Runs one request.
  ///
  /// The connection runs this in a task of its own and cancels it when the client resets the stream or the
  /// call's `grpc-timeout` passes (it answers DEADLINE_EXCEEDED itself then): a request queued for a busy
  /// instance leaves the queue, one waiting on a long (or hung) execution stops waiting while the instance
  /// stays busy until the execution really ends (``ExecutionPlacement/runAbandonable(instance:finished:_:)``).
  /// A graceful shutdown cancels nothing: in-flight calls drain. Models with dynamic batching are not
  /// abandoned: their requests share batches and wait for them.
  public func modelInfer(
    request: Inference_ModelInferRequest, context: GRPCCallContext
  ) async throws
    -> Inference_ModelInferResponse
  {
    try await runtime.infer(InferenceRequest(request)).proto
  }

  /// One request of a ModelStreamInfer stream (the connection runs a stream's requests one at a time, in
  /// order). A failed request answers with `error_message` and the stream goes on, as Triton does.
  public func modelStreamInfer(
    request message: Inference_ModelInferRequest, context: GRPCCallContext
  ) async throws -> Inference_ModelStreamInferResponse {
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
    return reply
  }
}
