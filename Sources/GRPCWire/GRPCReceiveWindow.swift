public import NIOHTTP2

/// Receive-window credit for an HTTP/2 connection whose gRPC handler reads frames without a stream multiplexer
/// and so returns the credit itself (the server's and the client's handler alike).
public enum GRPCReceiveWindow {
  /// The WINDOW_UPDATE that widens a new connection's window (65,535 bytes whatever the settings say) to
  /// `target`; `nil` when it is not wider.
  public static func opening(target: Int) -> HTTP2Frame? {
    let increment = target - 65_535
    guard increment > 0 else { return nil }
    return HTTP2Frame(streamID: .rootStream, payload: .windowUpdate(windowSizeIncrement: increment))
  }

  /// The connection's WINDOW_UPDATE once half of `target` is used. swift-nio-http2 reports the connection's
  /// receive window after every DATA frame, frames it dropped for reset streams included, so all credit is seen.
  public static func topUp(after event: NIOHTTP2WindowUpdatedEvent, target: Int) -> HTTP2Frame? {
    guard event.streamID == .rootStream, let inbound = event.inboundWindowSize, inbound <= target / 2 else {
      return nil
    }
    return HTTP2Frame(streamID: .rootStream, payload: .windowUpdate(windowSizeIncrement: target - inbound))
  }
}
