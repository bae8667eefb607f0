internal import Synchronization

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// An `OrtEnv`: ONNX Runtime's logging and global state, needed to create sessions.
///
/// One per loaded library for the life of the process, through ``shared(library:sharedIntraOpThreads:)``:
/// ONNX Runtime keeps a single environment internally, and creating one while another is being released
/// fails ("Only one instance of LoggingManager ... can exist"), which happened when two servers in one
/// process (tests) started and stopped side by side. Its logging id, level and thread pools are those of
/// the first request.
///
/// Thread safety (`@unchecked Sendable`): the handle is immutable, ONNX Runtime allows sessions to be
/// created from any thread with one environment, and it is released once, in `deinit`, after every
/// session using it (sessions hold a strong reference).
final class ORTEnvironment: @unchecked Sendable {
  /// The library this environment came from (kept alive by the environment).
  let library: ORTLibrary
  /// The `OrtEnv*`.
  let handle: OpaquePointer

  /// Threads of the environment's shared intra-op pool (what sessions with
  /// ``ORTSessionOptions/sharedThreadPool`` run their operators on).
  let sharedIntraOpThreads: Int

  /// Creates an environment logging at `ORT_LOGGING_LEVEL_WARNING` to standard error, with one intra-op
  /// and one inter-op thread pool that sessions may share (`CreateEnvWithGlobalThreadPools`; idle threads
  /// sleep instead of spinning).
  /// - Parameters:
  ///   - logID: the id ONNX Runtime puts in its log lines.
  ///   - sharedIntraOpThreads: threads of the shared intra-op pool, the calling thread included (1: no pool
  ///     threads, operators run on the caller).
  private init(library: ORTLibrary, logID: String, sharedIntraOpThreads: Int) throws {
    let api = library.api
    guard (1...1024).contains(sharedIntraOpThreads) else {
      throw ORTError.binding("the shared intra-op thread count must be 1...1024, not \(sharedIntraOpThreads)")
    }
    var created: OpaquePointer?
    try api.check(api.createThreadingOptions(&created), "CreateThreadingOptions")
    guard let threading = created else { throw ORTError.binding("CreateThreadingOptions returned NULL") }
    defer { api.releaseThreadingOptions(threading) }
    try api.check(
      api.setGlobalIntraOpNumThreads(threading, Int32(sharedIntraOpThreads)),
      "SetGlobalIntraOpNumThreads(\(sharedIntraOpThreads))")
    try api.check(api.setGlobalInterOpNumThreads(threading, 1), "SetGlobalInterOpNumThreads(1)")
    try api.check(api.setGlobalSpinControl(threading, 0), "SetGlobalSpinControl(0)")
    var env: OpaquePointer?
    // ORT_LOGGING_LEVEL_WARNING = 2.
    try api.check(api.createEnvWithGlobalThreadPools(2, logID, threading, &env), "CreateEnvWithGlobalThreadPools")
    guard let env else { throw ORTError.binding("CreateEnvWithGlobalThreadPools returned NULL") }
    self.library = library
    self.handle = env
    self.sharedIntraOpThreads = sharedIntraOpThreads
  }

  deinit {
    library.api.releaseEnv(handle)
  }

  /// Environments by the real path of their library; never released while the process runs.
  private static let environments = Mutex<[String: ORTEnvironment]>([:])

  /// The process's environment for `library`, created on the first call with `sharedIntraOpThreads`
  /// (later calls get that one, whatever they ask for: ONNX Runtime allows one environment per process).
  /// - Throws: ``ORTError`` when ONNX Runtime cannot create it or the thread count is out of range.
  static func shared(
    library: ORTLibrary, logID: String = "offload", sharedIntraOpThreads: Int
  ) throws
    -> ORTEnvironment
  {
    let key = realPath(library.path)
    return try environments.withLock { environments in
      if let existing = environments[key] { return existing }
      let created = try ORTEnvironment(library: library, logID: logID, sharedIntraOpThreads: sharedIntraOpThreads)
      environments[key] = created
      return created
    }
  }

  /// `path` with symbolic links resolved (one library file reached by two paths is one library), or
  /// `path` itself when it cannot be resolved.
  private static func realPath(_ path: String) -> String {
    guard let resolved = realpath(path, nil) else { return path }
    defer { free(resolved) }
    return String(cString: resolved)
  }
}
