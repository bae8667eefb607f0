internal import KServeProtocol

/// The errors both schedulers (per-instance and dynamic batching) answer when they turn a request away,
/// so a client sees the same words whichever scheduler a model uses.
enum SchedulerRejection {
  static func queueFull(_ model: String, limit: Int, room: QueueRoom) -> InferenceError {
    room.markFull(limit: limit)
    return InferenceError(
      .unavailable, "\(model): request queue is full (\(limit) waiting); retry later or add instances",
      cause: QueueFull(room: room))
  }

  static func unloading(_ model: String) -> InferenceError {
    InferenceError(.unavailable, "\(model) is unloading; retry on another server or version")
  }
}
