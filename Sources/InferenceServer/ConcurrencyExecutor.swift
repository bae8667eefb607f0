public import NIOCore
public import NIOPosix

/// Process-wide executor choice, made once by the executable before serving.
public enum ConcurrencyExecutor {
  /// Makes SwiftNIO's event loops Swift Concurrency's global executor, so request handlers run on the
  /// threads that read and write the sockets instead of hopping to a separate thread pool (each hop is a
  /// thread wake-up: tens of microseconds on a small VM). Call first thing on the main thread, once.
  ///
  /// This works only where the runtime's hook is an exported symbol: in a build with the dynamic Swift
  /// runtime, not in the static release binary. The server does not rely on it: its tasks prefer the event
  /// loops (``EventLoopGroupTaskExecutor``) either way.
  /// - Returns: whether the event loops were installed.
  @discardableResult
  public static func useEventLoopsAsGlobalExecutor() -> Bool {
    NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
  }
}

/// Runs the jobs of tasks that prefer it on an event loop group (SE-0417 task executor preference): on the
/// loop whose thread enqueues the job when that is one of the group's, so a task that an event loop wakes
/// resumes on that thread without a wake-up; on any loop of the group otherwise. Over one event loop (an
/// `EventLoop` is a group of one) every job runs on that loop: a gRPC connection's calls prefer their
/// connection's loop, so a call is read, run and answered on one thread.
///
/// It does not depend on making the event loops Swift's global executor, which a static binary cannot do.
public final class EventLoopGroupTaskExecutor: TaskExecutor {
  /// SwiftNIO's shared event loops, the ones the server's listeners run on.
  public static let singleton = EventLoopGroupTaskExecutor(MultiThreadedEventLoopGroup.singleton)

  private let group: any EventLoopGroup

  /// An executor over `group`'s loops (or over one loop).
  public init(_ group: any EventLoopGroup) {
    self.group = group
  }

  public func enqueue(_ job: consuming ExecutorJob) {
    let job = UnownedJob(job)
    group.any().execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
  }
}
