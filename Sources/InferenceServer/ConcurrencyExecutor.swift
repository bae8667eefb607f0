internal import NIOCore
internal import NIOPosix

/// Process-wide executor choice, made once by the executable before serving.
public enum ConcurrencyExecutor {
  /// Makes SwiftNIO's event loops Swift Concurrency's global executor, so request handlers run on the
  /// threads that read and write the sockets instead of hopping to a separate thread pool (each hop is a
  /// thread wake-up: tens of microseconds on a small VM). Call first thing on the main thread, once.
  /// - Returns: whether the event loops were installed.
  @discardableResult
  public static func useEventLoopsAsGlobalExecutor() -> Bool {
    NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
  }
}
