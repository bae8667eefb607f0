internal import NIOCore
internal import NIOHPACK
internal import NIOHTTP2

/// Keeps the gRPC transport from compressing responses the operator did not ask to compress.
///
/// grpc-swift-nio-transport has one set of algorithms for both directions: an algorithm enabled so that
/// compressed requests are accepted is also used for every response to a client that lists it first in
/// `grpc-accept-encoding`. grpc-swift clients (the Offload client among them) list gzip and deflate on every
/// call, so every answer to them was deflated: a zlib stream set up and torn down per call, for float
/// tensors that hardly compress (grpcio and gRPC C++ list `identity` first and were not affected). Triton
/// answers uncompressed unless `--grpc-infer-response-compression-level` says otherwise. This handler sits
/// first in each HTTP/2 stream's pipeline, removes the client's `grpc-accept-encoding` from the request
/// headers (the transport then answers uncompressed; compressed requests are still accepted) and leaves the
/// pipeline after the first HEADERS frame.
final class ResponseCompressionFilter: ChannelInboundHandler, RemovableChannelHandler {
  typealias InboundIn = HTTP2Frame.FramePayload
  typealias InboundOut = HTTP2Frame.FramePayload

  static let acceptEncoding = "grpc-accept-encoding"

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    guard case .headers(var headers) = self.unwrapInboundIn(data) else {
      context.fireChannelRead(data)
      return
    }
    if headers.headers.contains(name: Self.acceptEncoding) {
      headers.headers.remove(name: Self.acceptEncoding)
      context.fireChannelRead(self.wrapInboundOut(.headers(headers)))
    } else {
      context.fireChannelRead(data)
    }
    context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
  }

  /// Installs the filter on a newly accepted stream (grpc-swift's `onAcceptHTTP2Stream`, which runs on the
  /// stream's event loop before the stream reads its first frame).
  @Sendable static func install(on channel: any Channel) -> EventLoopFuture<Void> {
    channel.eventLoop.makeCompletedFuture {
      try channel.pipeline.syncOperations.addHandler(ResponseCompressionFilter(), position: .first)
    }
  }
}
