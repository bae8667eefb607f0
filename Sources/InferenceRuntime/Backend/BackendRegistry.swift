/// The backends a runtime can use, found by `backend:` or `platform:` name.
public struct BackendRegistry: Sendable {
  private var backends: [any InferenceBackend]

  /// Creates a registry.
  /// - Parameter backends: The available backends.
  public init(_ backends: [any InferenceBackend]) {
    self.backends = backends
  }

  /// All registered backends.
  public var all: [any InferenceBackend] { backends }

  /// The backend registered under `name`.
  public func backend(named name: String) -> (any InferenceBackend)? {
    backends.first { $0.name == name }
  }

  /// The backend that serves `platform`.
  public func backend(forPlatform platform: String) -> (any InferenceBackend)? {
    backends.first { $0.platforms.contains(platform) }
  }

  /// A sentence to append to "no such backend" errors when `name` is a backend this server ships but has
  /// not registered (the fault-injection test backend without `--enable-test-backends`); empty otherwise.
  public func disabledBackendHint(for name: String) -> String {
    guard name == FaultInjectionBackend.backendName, backend(named: name) == nil else { return "" }
    return "; '\(name)' is the fault-injection test backend, registered only when the server runs with "
      + "\(FaultInjectionBackend.enablingFlag) (for fault, overload and soak tests, not for production)"
  }

  /// The backend whose default model file is `filename`.
  public func backend(forModelFilename filename: String) -> (any InferenceBackend)? {
    backends.first { $0.defaultModelFilename == filename }
  }
}
