internal import CompressNIO
internal import HTTPTypes
internal import Hummingbird
internal import InferenceRuntime
internal import KServeProtocol
internal import NIOCore

extension HTTPRoutes {
  /// `Inference-Header-Content-Length`: the JSON header's length when binary tensors follow it.
  static let inferenceHeaderLength = HTTPField.Name("Inference-Header-Content-Length")!

  /// Group `inference`: `POST …/infer` with JSON or binary tensors (Triton's binary extension), the answer
  /// compressed when the client accepts it.
  func addInference(to router: Router<Context>) {
    let runtime = self.runtime
    let limit = configuration.maxBodyBytes
    let v2 = v2(router, .inference)
    for prefix in Self.modelPrefixes {
      v2.post(RouterPath(prefix + "/infer")) { request, context in
        let (name, version) = Self.modelAndVersion(context)
        // Unknown or unready model first: the error names the closest models, whatever the body holds.
        _ = try runtime.servable(name: name, version: version)
        let body = try await HTTPRequestBody.collect(request, limit: limit)
        let headerField = request.headers[Self.inferenceHeaderLength]
        let headerLength = headerField.flatMap { Int($0) }
        if headerField != nil, headerLength == nil || headerLength! < 0 {
          throw InferenceError(.invalidArgument, "Inference-Header-Content-Length must be a non-negative integer")
        }
        let decoded = try HTTPInferCodec.decode(body: body, headerLength: headerLength, model: name, version: version)
        let response = try await runtime.infer(decoded.request)
        let (data, jsonLength) = try HTTPInferCodec.encode(
          response, binaryOutputs: decoded.binaryOutputs, defaultBinary: decoded.defaultBinary)
        var headers: HTTPFields = [.contentType: jsonLength == nil ? "application/json" : "application/octet-stream"]
        if let jsonLength { headers[Self.inferenceHeaderLength] = "\(jsonLength)" }
        var answer = ByteBuffer(bytes: data)
        if let (coding, algorithm) = ResponseCompression.choose(acceptEncoding: request.headers[.acceptEncoding]),
          answer.readableBytes > 0
        {
          answer = try answer.compress(with: algorithm)
          headers[.contentEncoding] = coding
        }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: answer))
      }
    }
  }
}
