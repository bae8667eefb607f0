internal import GRPCWire
internal import NIOCore

/// What every call on one client connection carries and is held to.
struct GRPCClientSettings: Sendable {
  /// `:authority` (host:port, or the TLS server name).
  var authority: String
  /// `:scheme`, `http` or `https`.
  var scheme: String
  /// Request message encoding; `nil` sends messages uncompressed.
  var compression: GRPCCompression?
  /// Largest request or response message (a response's limit applies after decompression too).
  var maxMessageBytes: Int
  /// Extra headers (lower-case names) sent with every call.
  var metadata: [(String, String)]
  /// Receive window per stream and for the connection.
  var targetWindowSize: Int = 16 << 20
  /// Hold writes back this long to batch them into fewer system calls; `nil` flushes once per event-loop turn.
  var flushDelay: TimeAmount?
  /// `user-agent`.
  var userAgent = "offload-swift-client"
}
