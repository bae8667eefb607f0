internal import HTTPTypes
public import Hummingbird
public import InferenceRuntime
internal import KServeProtocol
public import Logging

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
  /// The server's log settings, read and changed by `/v2/logging`; `nil`: fixed at the router logger's level.
  public var logSettings: LogSettingsStore?

  /// Creates settings.
  public init(
    serverName: String = "offload", serverVersion: String, extensions: [String], maxBodyBytes: Int,
    accessPolicy: AccessPolicy = .open, logSettings: LogSettingsStore? = nil
  ) {
    self.logSettings = logSettings
    self.serverName = serverName
    self.serverVersion = serverVersion
    self.extensions = extensions
    self.maxBodyBytes = maxBodyBytes
    self.accessPolicy = accessPolicy
  }
}

/// KServe v2 HTTP/REST with Triton's extensions, over the same runtime as gRPC: health, server and model
/// metadata, readiness, config, statistics, inference with JSON or binary tensors, repository index,
/// load and unload, shared memory, trace and log settings. Routes are registered by protocol group
/// (`Routes/HTTPRoutes+*.swift`), responses are `Codable` bodies (`Bodies/`), and every error is an
/// ``InferenceError`` answered as `{"error": "…"}` with a 4xx/5xx status that says whose fault it is.
public enum HTTPFrontEnd {
  /// Builds the router.
  public static func router(
    runtime: ModelRuntime, configuration: HTTPFrontEndConfiguration, logger: Logger
  ) -> Router<BasicRequestContext> {
    let router = Router()
    router.add(middleware: UnexpectedErrorMiddleware())
    HTTPRoutes(
      runtime: runtime, configuration: configuration,
      logSettings: configuration.logSettings ?? LogSettingsStore(LogSettings(level: logger.logLevel))
    ).add(to: router)
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
          var response = InferenceError(
            .invalidArgument, "\(request.method) is not served on \(request.uri.path); use \(allow)"
          ).httpResponse
          response.status = .methodNotAllowed
          response.headers[.allow] = allow
          return response
        }
      }
    }
  }
}

/// Any error that is not already an HTTP answer (``InferenceError`` and Hummingbird's errors are) becomes a
/// 500 with a JSON body saying what failed, instead of an empty 500.
struct UnexpectedErrorMiddleware<Context: RequestContext>: RouterMiddleware {
  func handle(
    _ request: Request, context: Context, next: (Request, Context) async throws -> Response
  ) async throws -> Response {
    do {
      return try await next(request, context)
    } catch let error as any HTTPResponseError {
      throw error
    } catch {
      throw InferenceError(.internal, "the server failed to answer \(request.method) \(request.uri.path): \(error)")
    }
  }
}
