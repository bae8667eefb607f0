import InferenceServer
import Testing

/// Triton's `--cache-config` flag, as `offload serve` reads it.
@Suite(.timeLimit(.minutes(1))) struct CacheConfigFlagTests {
  @Test func readsTheLocalCacheSizeAndRefusesWhatItCannotServe() throws {
    #expect(try CacheConfigFlag.responseCacheBytes([]) == 0)
    #expect(try CacheConfigFlag.responseCacheBytes(["local,size=1048576"]) == 1_048_576)
    #expect(try CacheConfigFlag.responseCacheBytes(["local,size=1", "local,size=2"]) == 2, "the last one counts")
    for (bad, fragment) in [
      ("redis,host=x", "'local'"), ("local,bytes=5", "unknown key"), ("local,size=-1", "0 or more"),
      ("local,size=lots", "number of bytes"), ("local", "<cache>,<key>=<value>"),
    ] {
      let error = #expect(throws: CacheConfigFlag.Failure.self, "\(bad)") {
        _ = try CacheConfigFlag.responseCacheBytes([bad])
      }
      #expect(error?.description.contains(fragment) == true, "\(bad): \(error?.description ?? "")")
    }
  }
}
