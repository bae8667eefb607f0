internal import HTTPTypes
internal import NIOCore
internal import NIOHTTPTypes

/// Answers `Expect: 100-continue` with an interim `100 Continue` as soon as a request head arrives (RFC 9110
/// §10.1.1), so a client that waits for it before sending its body (curl does for bodies over 1 MiB, for up to
/// a second) sends it at once, as Triton lets it. A body declared larger than the HTTP limit gets no interim
/// answer: the route refuses it with 413 without reading it. The `Expect` field is removed before the request
/// goes on. Sits in Hummingbird's HTTP/1.1 pipeline after the HTTP types codec.
final class ExpectContinueHandler: ChannelInboundHandler, RemovableChannelHandler {
  typealias InboundIn = HTTPRequestPart
  typealias InboundOut = HTTPRequestPart
  typealias OutboundOut = HTTPResponsePart

  private let maxBodyBytes: Int

  init(maxBodyBytes: Int) {
    self.maxBodyBytes = maxBodyBytes
  }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    guard case .head(var request) = unwrapInboundIn(data),
      let expectation = request.headerFields[.expect], expectation.lowercased() == "100-continue"
    else {
      context.fireChannelRead(data)
      return
    }
    request.headerFields[.expect] = nil
    let declared = request.headerFields[.contentLength].flatMap { Int($0) }
    if declared.map({ $0 <= maxBodyBytes }) ?? true {
      context.writeAndFlush(wrapOutboundOut(.head(HTTPResponse(status: .continue))), promise: nil)
    }
    context.fireChannelRead(wrapInboundOut(.head(request)))
  }
}
