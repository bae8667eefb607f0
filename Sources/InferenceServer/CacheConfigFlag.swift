/// Triton's `--cache-config <cache>,<key>=<value>` flag (repeatable), e.g. `--cache-config local,size=1048576`:
/// the server-wide response cache that models with `response_cache { enable: true }` use.
public enum CacheConfigFlag {
  /// A value that cannot be used, with the reason and the fix.
  public struct Failure: Error, Sendable, CustomStringConvertible {
    public var description: String
  }

  /// The local response cache's size in bytes from the flag's values; 0 when no value sets one.
  /// - Throws: ``Failure`` for another cache implementation, an unknown key or a size that is not a
  ///   non-negative integer.
  public static func responseCacheBytes(_ values: [String]) throws(Failure) -> Int {
    var bytes = 0
    for value in values {
      let parts = value.split(separator: ",", maxSplits: 1).map(String.init)
      guard parts.count == 2, let equals = parts[1].firstIndex(of: "=") else {
        throw Failure(description: "--cache-config '\(value)' must be <cache>,<key>=<value>, e.g. local,size=1048576")
      }
      guard parts[0] == "local" else {
        throw Failure(
          description: "--cache-config '\(value)': cache '\(parts[0])' is not available; this server has the "
            + "'local' (in-memory) cache: local,size=BYTES")
      }
      let key = parts[1][..<equals]
      let setting = parts[1][parts[1].index(after: equals)...]
      guard key == "size" else {
        throw Failure(
          description: "--cache-config '\(value)': unknown key '\(key)' of the local cache; it takes size=BYTES")
      }
      guard let size = Int(setting), size >= 0 else {
        throw Failure(
          description: "--cache-config '\(value)': size must be a number of bytes (0 or more), not '\(setting)'")
      }
      bytes = size
    }
    return bytes
  }
}
