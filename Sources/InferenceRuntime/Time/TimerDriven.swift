/// A scheduler whose state machine asks for wake-ups (queue delays, timeouts, idle sequences): the runtime
/// runs its ``runTimer()`` loop as a child of its service for as long as the model version lives.
protocol TimerDriven: Sendable {
  /// Serves the wake-ups until the scheduler is closed or drained.
  func runTimer() async
}

extension DynamicBatchScheduler: TimerDriven {}
extension SequenceBatchScheduler: TimerDriven {}
