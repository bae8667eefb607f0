#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Progress lines and reports for the terminal, written straight to file descriptor 2 (unbuffered,
/// like Foundation's `FileHandle.standardError`, without linking Foundation).
public enum StandardError {
  /// Writes `text` as UTF-8; a full pipe or a closed descriptor drops the rest silently, as a
  /// progress line must never stop the work it reports on.
  public static func write(_ text: String) {
    var text = text
    text.withUTF8 { bytes in
      var offset = 0
      while offset < bytes.count {
        let written = writeToDescriptor2(bytes.baseAddress! + offset, bytes.count - offset)
        if written > 0 {
          offset += written
        } else if written < 0 && errno == EINTR {
          continue
        } else {
          return
        }
      }
    }
  }
}

/// POSIX `write` on descriptor 2 (inside ``StandardError`` the name `write` is its own method).
private func writeToDescriptor2(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> Int {
  write(2, bytes, count)
}
