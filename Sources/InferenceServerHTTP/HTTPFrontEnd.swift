internal import CompressNIO
internal import Foundation
internal import HTTPTypes
public import Hummingbird
public import InferenceRuntime
internal import KServeProtocol
public import Logging
internal import NIOCore
internal import SwiftProtobuf
internal import TritonModelConfig

/// Settings of the HTTP/REST front end.
public struct HTTPFrontEndConfiguration: Sendable {
  /// Server name and version for `GET /v2`.
  public var serverName: String
  public var serverVersion: String
  public var extensions: [String]
  /// Largest request body; larger ones get 413.
  public var maxBodyBytes: Int
  /// Restricted protocol groups (401 without the credential).
  public var accessPolicy: AccessPolicy

  /// Creates settings.
  public init(
    serverName: String = "offload", serverVersion: String, extensions: [String], maxBodyBytes: Int,
    accessPolicy: AccessPolicy = .open
  ) {
    self.serverName = serverName
    self.serverVersion = serverVersion
    self.extensions = extensions
    self.maxBodyBytes = maxBodyBytes
    self.accessPolicy = accessPolicy
  }
}

/// KServe v2 HTTP/REST with Triton's extensions, over the same runtime as gRPC: health, server and model
/// metadata, readiness, config, statistics, inference with JSON or binary tensors, repository index,
/// load and unload. Errors are `{"error": "…"}` with a 4xx/5xx status that says whose fault it is.
public enum HTTPFrontEnd {
  /// Builds the router.
  public static func router(
    runtime: ModelRuntime, configuration: HTTPFrontEndConfiguration, logger: Logger
  ) -> Router<BasicRequestContext> {
    let router = Router()
    if configuration.accessPolicy.isRestricting {
      router.add(middleware: AccessControlMiddleware(policy: configuration.accessPolicy))
    }
    let v2 = router.group("v2")

    v2.get("health/live") { _, _ in status(runtime.isLive) }
    v2.get("health/ready") { _, _ in status(runtime.isReady) }
    v2.get { _, _ in
      try json([
        "name": configuration.serverName, "version": configuration.serverVersion,
        "extensions": configuration.extensions,
      ])
    }
    v2.get("models/stats") { _, _ in try await guarded { try statistics(runtime, "", "") } }
    v2.post("repository/index") { request, context in
      try await guarded {
        let body = try await bodyObject(request, context, limit: configuration.maxBodyBytes)
        let readyOnly = body["ready"] as? Bool ?? false
        let entries = runtime.repositoryIndex(readyOnly: readyOnly).map { entry -> [String: Any] in
          var object: [String: Any] = ["name": entry.name, "state": entry.state.rawValue]
          if !entry.version.isEmpty { object["version"] = entry.version }
          if !entry.reason.isEmpty { object["reason"] = entry.reason }
          return object
        }
        return try json(entries)
      }
    }
    v2.post("repository/models/{model}/load") { request, context in
      try await guarded {
        let model = try context.parameters.require("model")
        let body = try await bodyObject(request, context, limit: configuration.maxBodyBytes)
        var override: Inference_ModelConfig?
        if let parameters = body["parameters"] as? [String: Any], let config = parameters["config"] {
          guard let text = config as? String else {
            throw InferenceError(.invalidArgument, "load '\(model)': parameter 'config' must be a JSON string")
          }
          do {
            var options = JSONDecodingOptions()
            options.ignoreUnknownFields = false
            override = try Inference_ModelConfig(jsonString: text, options: options)
          } catch {
            throw InferenceError(
              .invalidArgument, "load '\(model)': parameter 'config' is not a valid model configuration: \(error)")
          }
        }
        try await runtime.load(modelNamed: model, configOverride: override)
        return Response(status: .ok)
      }
    }
    v2.post("repository/models/{model}/unload") { _, context in
      try await guarded {
        try await runtime.unload(modelNamed: try context.parameters.require("model"))
        return Response(status: .ok)
      }
    }

    // Settings: reported as over gRPC; changing them is not implemented yet.
    let traceSettings = jsonBytes([
      "trace_level": ["OFF"], "trace_rate": "1000", "trace_count": "-1", "log_frequency": "0", "trace_file": "",
      "trace_mode": "triton",
    ])
    for path in ["trace/setting", "models/{model}/trace/setting"] {
      v2.get(RouterPath(path)) { _, _ in jsonResponse(traceSettings) }
      v2.post(RouterPath(path)) { request, context in
        try await guarded {
          guard try await bodyObject(request, context, limit: configuration.maxBodyBytes).isEmpty else {
            throw InferenceError(
              .unimplemented, "request tracing is not implemented by this server yet; trace settings cannot be changed")
          }
          return jsonResponse(traceSettings)
        }
      }
    }
    let level = logger.logLevel
    let logSettings = jsonBytes([
      "log_file": "", "log_info": level <= .info, "log_warning": level <= .warning, "log_error": level <= .error,
      "log_verbose_level": level <= .debug ? 1 : 0, "log_format": "default",
    ])
    v2.get("logging") { _, _ in jsonResponse(logSettings) }
    v2.post("logging") { request, context in
      try await guarded {
        guard try await bodyObject(request, context, limit: configuration.maxBodyBytes).isEmpty else {
          throw InferenceError(
            .unimplemented, "changing log settings at run time is not implemented yet; restart with --log-level")
        }
        return jsonResponse(logSettings)
      }
    }
    // System shared memory: the runtime's registry, shared with gRPC.
    let cudaShm = InferenceError(
      .unimplemented, "CUDA shared memory is not available on this server: it has no GPU; use system shared memory")
    for path in ["systemsharedmemory/status", "systemsharedmemory/region/{region}/status"] {
      v2.get(RouterPath(path)) { _, context in
        try await guarded {
          let regions = try runtime.sharedMemory.status(name: context.parameters.get("region") ?? "")
          return try json(
            regions.map {
              [
                "name": $0.name, "key": $0.key, "offset": NSNumber(value: $0.offset),
                "byte_size": NSNumber(value: $0.byteSize),
              ] as [String: Any]
            })
        }
      }
    }
    v2.post("systemsharedmemory/region/{region}/register") { request, context in
      try await guarded {
        let name = context.parameters.get("region") ?? ""
        let body = try await bodyObject(request, context, limit: configuration.maxBodyBytes)
        guard let key = body["key"] as? String, !key.isEmpty else {
          throw InferenceError(
            .invalidArgument, "registering shared memory region '\(name)' needs a 'key' string (the shm_open name)")
        }
        func integer(_ field: String) throws -> Int? {
          guard let value = body[field] else { return nil }
          guard let number = value as? NSNumber,
            let int = Int(exactly: number.doubleValue), int >= 0
          else {
            throw InferenceError(
              .invalidArgument, "registering shared memory region '\(name)': '\(field)' must be a non-negative integer")
          }
          return int
        }
        guard let byteSize = try integer("byte_size") else {
          throw InferenceError(.invalidArgument, "registering shared memory region '\(name)' needs 'byte_size'")
        }
        try runtime.sharedMemory.register(name: name, key: key, offset: try integer("offset") ?? 0, byteSize: byteSize)
        return Response(status: .ok)
      }
    }
    for path in ["systemsharedmemory/region/{region}/unregister", "systemsharedmemory/unregister"] {
      v2.post(RouterPath(path)) { _, context in
        try await guarded {
          try runtime.sharedMemory.unregister(name: context.parameters.get("region") ?? "")
          return Response(status: .ok)
        }
      }
    }
    for path in ["cudasharedmemory/status", "cudasharedmemory/region/{region}/status"] {
      v2.get(RouterPath(path)) { _, _ in errorResponse(cudaShm) }
    }
    for path in [
      "cudasharedmemory/region/{region}/register", "cudasharedmemory/region/{region}/unregister",
      "cudasharedmemory/unregister",
    ] {
      v2.post(RouterPath(path)) { _, _ in errorResponse(cudaShm) }
    }

    for prefix in ["models/{model}", "models/{model}/versions/{version}"] {
      let model = v2.group(RouterPath(prefix))
      model.get { _, context in
        try await guarded {
          let (name, version) = modelAndVersion(context)
          let metadata = try runtime.metadata(name: name, version: version)
          func tensor(_ t: ModelMetadata.Tensor) -> [String: Any] {
            ["name": t.name, "datatype": t.datatype.rawValue, "shape": t.shape.map { NSNumber(value: $0) }]
          }
          return try json([
            "name": metadata.name, "versions": metadata.versions, "platform": metadata.platform,
            "inputs": metadata.inputs.map(tensor), "outputs": metadata.outputs.map(tensor),
          ])
        }
      }
      model.get("ready") { _, context in
        try await guarded {
          let (name, version) = modelAndVersion(context)
          if runtime.isModelReady(name: name, version: version) { return Response(status: .ok) }
          // Not ready: 400 with the reason, as Triton answers (KServe reads any 4xx as "not ready").
          var reason = "model '\(name)'\(version.isEmpty ? "" : " version \(version)") is not ready"
          do { _ = try runtime.servable(name: name, version: version) } catch let error as InferenceError {
            reason = error.message
          }
          throw InferenceError(.invalidArgument, reason)
        }
      }
      model.get("config") { _, context in
        try await guarded {
          let (name, version) = modelAndVersion(context)
          var options = JSONEncodingOptions()
          options.preserveProtoFieldNames = true
          let text = try runtime.config(name: name, version: version).jsonString(options: options)
          // Protobuf JSON writes 64-bit integers as strings; Triton's HTTP config has numbers there.
          let object = try JSONSerialization.jsonObject(with: Data(text.utf8))
          return try json(numericInt64Fields(object))
        }
      }
      model.get("stats") { _, context in
        try await guarded {
          let (name, version) = modelAndVersion(context)
          return try statistics(runtime, name, version)
        }
      }
      model.post("infer") { request, context in
        try await guarded {
          let (name, version) = modelAndVersion(context)
          // Unknown or unready model first: the error names the closest models, whatever the body holds.
          _ = try runtime.servable(name: name, version: version)
          let body = try await collect(request, context, limit: configuration.maxBodyBytes)
          let headerLength = request.headers[HTTPField.Name("Inference-Header-Content-Length")!].flatMap { Int($0) }
          if request.headers[HTTPField.Name("Inference-Header-Content-Length")!] != nil, headerLength == nil {
            throw InferenceError(.invalidArgument, "Inference-Header-Content-Length must be a non-negative integer")
          }
          let decoded = try HTTPInferCodec.decode(body: body, headerLength: headerLength, model: name, version: version)
          let response = try await runtime.infer(decoded.request)
          let (data, jsonLength) = try HTTPInferCodec.encode(
            response, binaryOutputs: decoded.binaryOutputs, defaultBinary: decoded.defaultBinary)
          var headers: HTTPFields = [.contentType: jsonLength == nil ? "application/json" : "application/octet-stream"]
          if let jsonLength { headers[HTTPField.Name("Inference-Header-Content-Length")!] = "\(jsonLength)" }
          var answer = ByteBuffer(bytes: data)
          if let (name, algorithm) = responseCompression(request.headers[.acceptEncoding]), answer.readableBytes > 0 {
            answer = try answer.compress(with: algorithm)
            headers[.contentEncoding] = name
          }
          return Response(status: .ok, headers: headers, body: .init(byteBuffer: answer))
        }
      }
    }
    answerOtherMethods(on: router)
    return router
  }

  /// Every served path answers the methods it does not serve with 405 and `Allow` (not 404), as Triton does.
  static func answerOtherMethods(on router: Router<BasicRequestContext>) {
    var served: [String: (path: RouterPath, methods: Set<HTTPRequest.Method>)] = [:]
    for route in router.routes {
      served[route.path.description, default: (route.path, [])].methods.insert(route.method)
    }
    for (path, methods) in served.values {
      let allow = methods.map(\.rawValue).sorted().joined(separator: ", ")
      for method in [HTTPRequest.Method.get, .post, .put, .delete, .patch] where !methods.contains(method) {
        router.on(path, method: method) { request, _ in
          var response = errorResponse(
            InferenceError(.invalidArgument, "\(request.method) is not served on \(request.uri.path); use \(allow)"))
          response.status = .methodNotAllowed
          response.headers[.allow] = allow
          return response
        }
      }
    }
  }

  /// 64-bit integer fields of ModelConfig that protobuf JSON renders as strings.
  static let int64Fields: Set<String> = [
    "dims", "shape", "max_queue_delay_microseconds", "default_timeout_microseconds", "priority_levels",
    "default_priority_level", "max_sequence_idle_microseconds", "reshape", "batch_size", "timeout_microseconds",
    "default_queue_policy_timeout", "version_policy_versions", "versions", "count",
  ]

  static func numericInt64Fields(_ value: Any, key: String? = nil) -> Any {
    if let dictionary = value as? [String: Any] {
      return Dictionary(uniqueKeysWithValues: dictionary.map { ($0.key, numericInt64Fields($0.value, key: $0.key)) })
    }
    if let array = value as? [Any] { return array.map { numericInt64Fields($0, key: key) } }
    if let key, int64Fields.contains(key), let text = value as? String, let number = Int64(text) {
      return NSNumber(value: number)
    }
    return value
  }

  static func modelAndVersion(_ context: BasicRequestContext) -> (String, String) {
    (context.parameters.get("model") ?? "", context.parameters.get("version") ?? "")
  }

  /// Fixed JSON, serialized once.
  static func jsonBytes(_ object: Any) -> Data {
    (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
  }

  static func jsonResponse(_ data: Data) -> Response {
    Response(
      status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
  }

  static func status(_ ok: Bool) -> Response { Response(status: ok ? .ok : .serviceUnavailable) }

  static func json(_ object: Any) throws -> Response {
    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    return Response(
      status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
  }

  /// Runs a handler; an ``InferenceError`` becomes `{"error": message}` with its status code.
  static func guarded(_ body: () async throws -> Response) async throws -> Response {
    do {
      return try await body()
    } catch let error as InferenceError {
      return errorResponse(error)
    } catch {
      return errorResponse(InferenceError(.internal, "the server failed to answer: \(error)"))
    }
  }

  static func errorResponse(_ error: InferenceError) -> Response {
    let status: HTTPResponse.Status =
      switch error.code {
      case .invalidArgument, .failedPrecondition, .alreadyExists: .badRequest
      case .notFound: .notFound
      case .resourceExhausted: .contentTooLarge
      case .unavailable: .serviceUnavailable
      case .unimplemented: .notImplemented
      case .deadlineExceeded: .gatewayTimeout
      case .unauthenticated: .unauthorized
      default: .internalServerError
      }
    let data = (try? JSONSerialization.data(withJSONObject: ["error": error.message])) ?? Data()
    return Response(
      status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
  }

  /// The response compression a client accepts (`Accept-Encoding`): gzip preferred, then deflate;
  /// entries with `q=0` are refused.
  static func responseCompression(_ accept: String?) -> (String, CompressionAlgorithm)? {
    guard let accept else { return nil }
    var accepted: Set<String> = []
    for item in accept.lowercased().split(separator: ",") {
      let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
      guard let name = parts.first else { continue }
      if parts.dropFirst().contains(where: { $0 == "q=0" || $0 == "q=0.0" || $0 == "q=0.000" }) { continue }
      accepted.insert(name)
    }
    if accepted.contains("gzip") { return ("gzip", .gzip()) }
    if accepted.contains("deflate") { return ("deflate", .zlib()) }
    return nil
  }

  /// The whole body, up to `limit` bytes (413 beyond), decompressed when its `Content-Encoding` is gzip
  /// or deflate (the decompressed size is bounded by the same limit).
  static func collect(_ request: Request, _ context: BasicRequestContext, limit: Int) async throws -> Data {
    let tooLarge = InferenceError(
      .resourceExhausted,
      "the request body is larger than the server's limit of \(limit) bytes; send a smaller batch or raise "
        + "--http-max-body-size")
    var buffer: ByteBuffer
    do {
      buffer = try await request.body.collect(upTo: limit)
    } catch let error as HTTPError where error.status == .contentTooLarge {
      throw tooLarge
    } catch is NIOTooManyBytesError {
      throw tooLarge
    }
    let encoding = request.headers[.contentEncoding]?.lowercased().trimmingCharacters(in: .whitespaces) ?? ""
    let algorithm: CompressionAlgorithm
    switch encoding {
    case "", "identity": return Data(buffer.readableBytesView)
    case "gzip", "x-gzip": algorithm = .gzip()
    case "deflate": algorithm = .zlib()
    default:
      throw InferenceError(
        .invalidArgument, "Content-Encoding '\(encoding)' is not supported; send the body as is, gzip or deflate")
    }
    do {
      buffer = try buffer.decompress(with: algorithm, maxSize: limit)
    } catch let error as CompressNIOError where error == .bufferOverflow {
      throw InferenceError(
        .resourceExhausted,
        "the decompressed request body is larger than the server's limit of \(limit) bytes; send a smaller batch")
    } catch {
      throw InferenceError(
        .invalidArgument, "the request body is not valid \(encoding) data (\(error)); check Content-Encoding")
    }
    return Data(buffer.readableBytesView)
  }

  /// A JSON object body; an empty body is an empty object.
  static func bodyObject(_ request: Request, _ context: BasicRequestContext, limit: Int) async throws -> [String: Any] {
    let data = try await collect(request, context, limit: limit)
    if data.isEmpty { return [:] }
    guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
      throw InferenceError(.invalidArgument, "the request body must be a JSON object")
    }
    return object
  }

  static func statistics(_ runtime: ModelRuntime, _ name: String, _ version: String) throws -> Response {
    func duration(_ d: StatisticDuration) -> [String: Any] {
      ["count": NSNumber(value: d.count), "ns": NSNumber(value: d.nanoseconds)]
    }
    let stats = try runtime.statistics(name: name, version: version).map { s -> [String: Any] in
      [
        "name": s.name, "version": s.version, "last_inference": NSNumber(value: s.lastInferenceMillis),
        "inference_count": NSNumber(value: s.inferenceCount), "execution_count": NSNumber(value: s.executionCount),
        "inference_stats": [
          "success": duration(s.success), "fail": duration(s.fail), "queue": duration(s.queue),
          "compute_input": duration(s.computeInput), "compute_infer": duration(s.computeInfer),
          "compute_output": duration(s.computeOutput),
        ],
        "batch_stats": s.batchStatistics.map { b -> [String: Any] in
          [
            "batch_size": NSNumber(value: b.batchSize), "compute_input": duration(b.computeInput),
            "compute_infer": duration(b.computeInfer), "compute_output": duration(b.computeOutput),
          ]
        },
      ]
    }
    return try json(["model_stats": stats])
  }
}
