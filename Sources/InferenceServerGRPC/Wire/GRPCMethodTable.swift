internal import GRPCWire
public import InferenceRuntime
public import NIOCore
public import NIOHPACK
public import SwiftProtobuf

/// What a handler knows about its call.
public struct GRPCCallContext: Sendable {
  /// The request path, `/package.Service/Method`.
  public var path: String
  /// The request metadata (HTTP/2 headers, pseudo-headers included).
  public var headers: HPACKHeaders

  /// Creates a context.
  public init(path: String, headers: HPACKHeaders) {
    self.path = path
    self.headers = headers
  }
}

/// Writes the responses of a server-streaming call, in order. Each write waits until the message is handed
/// to the connection; it throws `CancellationError` once the call is over (client gone, stream reset).
public struct GRPCResponseWriter: Sendable {
  let writeMessage: @Sendable (ByteBuffer) async throws -> Void

  /// Creates a writer from the connection's write function (tests pass a collecting closure).
  public init(_ writeMessage: @escaping @Sendable (ByteBuffer) async throws -> Void) {
    self.writeMessage = writeMessage
  }

  /// Sends one response message.
  public func write(_ message: some SwiftProtobuf.Message) async throws {
    try await writeMessage(GRPCMessageCodec.encode(message))
  }
}

/// How a method handles its messages. Handlers receive a request's bytes and return or write serialized
/// responses (``GRPCMessageCodec``); typed handlers are made with ``GRPCMethodTable/unary(_:)`` and friends.
public enum GRPCMethodHandler: Sendable {
  /// One request message, one response message.
  case unary(@Sendable (ByteBuffer, GRPCCallContext) async throws -> ByteBuffer)
  /// A bidirectional stream in which each request message is answered by one response message, in order,
  /// one at a time (ModelStreamInfer).
  case messageByMessage(@Sendable (ByteBuffer, GRPCCallContext) async throws -> ByteBuffer)
  /// One request message, any number of responses (grpc.health.v1.Health/Watch).
  case serverStreaming(@Sendable (ByteBuffer, GRPCCallContext, GRPCResponseWriter) async throws -> Void)
}

/// The methods a server answers, by request path, with the protocol group each belongs to (for
/// ``AccessPolicy``). Immutable once built; shared by every connection.
public struct GRPCMethodTable: Sendable {
  /// One method.
  public struct Entry: Sendable {
    /// The handler.
    public var handler: GRPCMethodHandler
    /// Its protocol group (`nil`: never restricted, e.g. grpc.health).
    public var group: ProtocolGroup?
  }

  private var entries: [String: Entry] = [:]

  /// An empty table.
  public init() {}

  /// Adds a method.
  /// - Parameters:
  ///   - service: Fully qualified service name, e.g. `inference.GRPCInferenceService`.
  ///   - method: Method name, e.g. `ModelInfer`.
  ///   - handler: Its handler.
  public mutating func register(service: String, method: String, _ handler: GRPCMethodHandler) {
    entries["/\(service)/\(method)"] = Entry(
      handler: handler, group: ProtocolGroup.grpc(service: service, method: method))
  }

  /// The method at a request path.
  public func entry(forPath path: String) -> Entry? { entries[path] }

  /// Every registered path, sorted (for messages and tests).
  public var paths: [String] { entries.keys.sorted() }

  /// A typed unary handler.
  public static func unary<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
    _ body: @escaping @Sendable (Request, GRPCCallContext) async throws -> Response
  ) -> GRPCMethodHandler {
    .unary { bytes, context in
      try GRPCMessageCodec.encode(await body(GRPCMessageCodec.decode(Request.self, from: bytes), context))
    }
  }

  /// A typed message-by-message handler.
  public static func messageByMessage<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
    _ body: @escaping @Sendable (Request, GRPCCallContext) async throws -> Response
  ) -> GRPCMethodHandler {
    .messageByMessage { bytes, context in
      try GRPCMessageCodec.encode(await body(GRPCMessageCodec.decode(Request.self, from: bytes), context))
    }
  }

  /// A typed server-streaming handler.
  public static func serverStreaming<Request: SwiftProtobuf.Message>(
    _ body: @escaping @Sendable (Request, GRPCCallContext, GRPCResponseWriter) async throws -> Void
  ) -> GRPCMethodHandler {
    .serverStreaming { bytes, context, writer in
      try await body(GRPCMessageCodec.decode(Request.self, from: bytes), context, writer)
    }
  }
}
