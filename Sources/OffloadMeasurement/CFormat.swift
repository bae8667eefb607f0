#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension String {
  /// Text formatted by C's `vsnprintf` (`%.2f`, `%8.3f`, `%d`, `%s` with C strings; no `%@`), for
  /// report columns and progress lines. Foundation's `String(format:)` would link Foundation's
  /// internationalisation data (tens of MB) into the binary for the same output.
  /// - Parameters:
  ///   - format: A C format string.
  ///   - arguments: Its arguments, C-compatible values (`Double`, `Int`, `Int32`, ...).
  public init(cFormat format: String, _ arguments: any CVarArg...) {
    var capacity = 64
    while true {
      let (text, needed) = Self.formatted(format, arguments, capacity: capacity)
      if let text {
        self = text
        return
      }
      capacity = needed + 1
    }
  }

  /// The formatted text if it fits in `capacity` bytes (with its terminating zero), and the length it needs.
  private static func formatted(_ format: String, _ arguments: [any CVarArg], capacity: Int) -> (String?, Int) {
    withVaList(arguments) { list in
      var buffer = [CChar](repeating: 0, count: capacity)
      let needed = Int(vsnprintf(&buffer, capacity, format, list))
      guard needed >= 0 else { return ("", 0) }
      guard needed < capacity else { return (nil, needed) }
      let bytes = buffer.prefix(needed).map { UInt8(bitPattern: $0) }
      return (String(decoding: bytes, as: UTF8.self), needed)
    }
  }
}
