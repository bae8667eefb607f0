/// An `OrtEnv`: ONNX Runtime's logging and global state, needed to create sessions.
///
/// Create one per process and share it: ONNX Runtime keeps a single environment internally (later
/// `CreateEnv` calls reuse it), and its logging id and level are those of the first one created.
///
/// Thread safety (`@unchecked Sendable`): the handle is immutable, ONNX Runtime allows sessions to be
/// created from any thread with one environment, and it is released once, in `deinit`, after every
/// session using it (sessions hold a strong reference).
final class ORTEnvironment: @unchecked Sendable {
  /// The library this environment came from (kept alive by the environment).
  let library: ORTLibrary
  /// The `OrtEnv*`.
  let handle: OpaquePointer

  /// Creates an environment logging at `ORT_LOGGING_LEVEL_WARNING` to standard error.
  /// - Parameter logID: the id ONNX Runtime puts in its log lines.
  init(library: ORTLibrary, logID: String = "offload") throws {
    let api = library.api
    var env: OpaquePointer?
    // ORT_LOGGING_LEVEL_WARNING = 2.
    try api.check(api.createEnv(2, logID, &env), "CreateEnv")
    guard let env else { throw ORTError.binding("CreateEnv returned NULL") }
    self.library = library
    self.handle = env
  }

  deinit {
    library.api.releaseEnv(handle)
  }
}
