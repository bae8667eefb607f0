#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#elseif canImport(Darwin)
internal import Darwin
#endif

/// Runs a helper program (the bench plot script) to completion with `posix_spawnp`, inheriting the
/// terminal and the environment. Foundation's `Process` would link all of Foundation (with its
/// internationalisation data) into the binary for this one call.
enum ChildProcess {
  /// An error starting or waiting for the child.
  struct SpawnError: Error, CustomStringConvertible {
    var description: String
  }

  /// Runs `arguments` (the first is the program, looked up on `PATH`) and returns its exit status
  /// (128 + signal number when a signal ended it).
  static func run(_ arguments: [String]) throws -> Int32 {
    guard let program = arguments.first else { throw SpawnError(description: "no program to run") }
    var argv = arguments.map { strdup($0) } + [nil]
    defer {
      for pointer in argv { free(pointer) }
    }
    var pid = pid_t()
    // The child gets this process's environment as it is (`environ`).
    let spawned = posix_spawnp(&pid, program, nil, nil, &argv, environ)
    guard spawned == 0 else {
      throw SpawnError(description: "cannot start \(program): \(String(cString: strerror(spawned)))")
    }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 {
      guard errno == EINTR else {
        throw SpawnError(description: "waiting for \(program) failed: \(String(cString: strerror(errno)))")
      }
    }
    // WIFEXITED / WEXITSTATUS / WTERMSIG, which are C macros.
    let signal = status & 0x7f
    return signal == 0 ? (status >> 8) & 0xff : 128 + signal
  }
}
