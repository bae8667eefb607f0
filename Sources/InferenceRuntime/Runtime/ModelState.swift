/// A model version's lifecycle state, with Triton's names.
public enum ModelState: String, Sendable, Equatable {
  case unknown = "UNKNOWN"
  case loading = "LOADING"
  case ready = "READY"
  case unloading = "UNLOADING"
  case unavailable = "UNAVAILABLE"
}

/// One row of the repository index: a model version (or a whole model that failed before versions were
/// known, with an empty version) and its state.
public struct ModelIndexEntry: Sendable, Equatable {
  /// Model name.
  public var name: String
  /// Version, or empty when the failure concerns the whole model.
  public var version: String
  /// State.
  public var state: ModelState
  /// Why it is not ready (empty when ready).
  public var reason: String

  /// Creates an entry.
  public init(name: String, version: String, state: ModelState, reason: String) {
    self.name = name
    self.version = version
    self.state = state
    self.reason = reason
  }
}
