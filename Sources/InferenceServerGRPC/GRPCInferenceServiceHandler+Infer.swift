public import GRPCCore
internal import InferenceRuntime
public import KServeGRPC
internal import KServeProtocol
internal import Logging

extension GRPCInferenceServiceHandler {
  public func modelInfer(
    request: Inference_ModelInferRequest, context: ServerContext
  ) async throws
    -> Inference_ModelInferResponse
  {
    try await runtime.infer(InferenceRequest(request)).proto
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
