public import NIOCore

/// Runs the jobs of tasks that prefer it on one SwiftNIO event loop (SE-0417 task executor preference).
///
/// A connection's calls prefer their connection's loop: a handler starts, awaits the runtime and writes
/// its answer on the thread that reads and writes the socket, with no thread wake-up in between. This does
/// not depend on making the event loops Swift's global executor, which a static binary cannot do (the
/// runtime's hook is not an exported symbol there).
public final class EventLoopTaskExecutor: TaskExecutor {
  private let loop: any EventLoop

  /// An executor for the jobs of tasks that prefer `loop`.
  public init(_ loop: any EventLoop) {
    self.loop = loop
  }

  public func enqueue(_ job: consuming ExecutorJob) {
    let job = UnownedJob(job)
    loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
  }
}
