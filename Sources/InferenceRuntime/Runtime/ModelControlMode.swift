/// How models are loaded and unloaded (Triton's `--model-control-mode`).
public enum ModelControlMode: Sendable, Equatable {
  /// Every model loads at start; load/unload requests are refused.
  case none
  /// Every model loads at start; the repositories are re-read every `interval` and new, changed and
  /// removed models are loaded, reloaded and unloaded; load/unload requests are refused.
  case poll(interval: Duration)
  /// The models named (all of them for `nil` or `["*"]`) load at start; load/unload requests manage
  /// the rest.
  case explicit(startupModels: [String]?)

  /// The name as the flag spells it.
  public var name: String {
    switch self {
    case .none: "none"
    case .poll: "poll"
    case .explicit: "explicit"
    }
  }

  /// Whether load/unload requests are accepted.
  public var allowsRequests: Bool {
    if case .explicit = self { return true }
    return false
  }
}
