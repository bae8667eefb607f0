internal import GRPCWire
internal import NIOCore
internal import NIOHTTP2

/// One call made on a ``GRPCClientHandler``: what it sends and where its answer goes.
///
/// The calling task creates it and hands it to the connection's event loop; from then on its mutable state
/// is read and written on that loop only (the handler's, the cancellation's and the deadline's code all run
/// there), which is why it is `@unchecked Sendable`.
final class GRPCClientCall: @unchecked Sendable {
  /// Where response messages go.
  enum Answer {
    /// Exactly one message, then an OK status.
    case unary(CheckedContinuation<ByteBuffer, any Error>)
    /// Each message as it arrives; the stream ends with the call's status.
    case stream(AsyncThrowingStream<ByteBuffer, any Error>.Continuation)
  }

  /// `/package.Service/Method`.
  let path: String
  /// Request messages from ``GRPCMessageCodec/encode(_:)`` (prefix room reserved, not yet framed).
  let messages: [ByteBuffer]
  /// The call's timeout, sent as `grpc-timeout` and enforced here.
  let timeoutNanos: Int64?

  // Event-loop state.
  var answer: Answer?
  var streamID: HTTP2StreamID?
  /// Cancelled before the handler started it.
  var cancelledEarly = false
  var receivedHeaders = false
  var responseEncoding: GRPCCompression?
  var deframer: GRPCMessageDeframer
  var response: ByteBuffer?
  var deadline: Scheduled<Void>?
  var unreturnedCredit = 0

  init(path: String, messages: [ByteBuffer], timeoutNanos: Int64?, maxMessageBytes: Int, answer: Answer?) {
    self.path = path
    self.messages = messages
    self.timeoutNanos = timeoutNanos
    self.answer = answer
    self.deframer = GRPCMessageDeframer(maxMessageBytes: maxMessageBytes, role: .client)
  }

  /// Delivers one response message; a unary call keeps it for the status.
  /// - Throws: ``GRPCStatus`` when a unary call gets a second message.
  func deliver(_ message: ByteBuffer) throws {
    switch answer {
    case .unary:
      guard response == nil else {
        throw GRPCStatus(.internal, "\(path) is unary but the server sent more than one response message")
      }
      response = message
    case .stream(let continuation):
      continuation.yield(message)
    case nil:
      break
    }
  }

  /// Ends the call with its status (once; later calls do nothing).
  func complete(_ status: GRPCStatus) {
    deadline?.cancel()
    deadline = nil
    guard let answer else { return }
    self.answer = nil
    switch answer {
    case .unary(let continuation):
      if status.code != .ok {
        continuation.resume(throwing: status)
      } else if let response {
        continuation.resume(returning: response)
      } else {
        continuation.resume(
          throwing: GRPCStatus(.internal, "\(path) ended with status OK but the server sent no response message"))
      }
    case .stream(let continuation):
      if status.code == .ok { continuation.finish() } else { continuation.finish(throwing: status) }
    }
  }
}
