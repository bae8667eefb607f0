#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#elseif canImport(Darwin)
internal import Darwin
#endif

/// Blocks the calling thread (not a task) for `seconds`, as a slow model's compute does: the fault
/// backend simulates work that holds an execution thread. `nanosleep` is resumed after signals.
func blockThread(seconds: Double) {
  guard seconds > 0 else { return }
  let whole = seconds.rounded(.down)
  var request = timespec(tv_sec: Int(whole), tv_nsec: Int((seconds - whole) * 1e9))
  var remaining = timespec()
  while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
}
