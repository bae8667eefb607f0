public import GRPCCore
internal import GRPCProtobuf
internal import KServeGRPC

/// Registers ``GRPCInferenceServiceHandler`` with a gRPC server, with request decoding that explains
/// malformed inference requests (e.g. non-UTF-8 names) instead of the stock "can't deserialize".
public struct KServeGRPCService: RegistrableRPCService {
  let handler: GRPCInferenceServiceHandler

  /// Wraps a handler.
  public init(handler: GRPCInferenceServiceHandler) {
    self.handler = handler
  }

  public func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
    handler.registerMethods(with: &router)
    let handler = self.handler
    router.registerHandler(
      forMethod: Inference_GRPCInferenceService.Method.ModelInfer.descriptor,
      deserializer: DiagnosingDeserializer<Inference_ModelInferRequest>(),
      serializer: ProtobufSerializer<Inference_ModelInferResponse>(),
      handler: { request, context in try await handler.modelInfer(request: request, context: context) })
    router.registerHandler(
      forMethod: Inference_GRPCInferenceService.Method.ModelStreamInfer.descriptor,
      deserializer: DiagnosingDeserializer<Inference_ModelInferRequest>(),
      serializer: ProtobufSerializer<Inference_ModelStreamInferResponse>(),
      handler: { request, context in try await handler.modelStreamInfer(request: request, context: context) })
  }
}
