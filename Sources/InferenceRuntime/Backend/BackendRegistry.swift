/// The backends a runtime can use, found by `backend:` or `platform:` name.
public struct BackendRegistry: Sendable {
  /// A backend the server ships but did not register (e.g. a test backend behind a flag): named in the
  /// errors of models that ask for it, with how to enable it.
  public struct Unregistered: Sendable {
    /// Its `backend:` name.
    public var name: String
    /// Its default model file name (a model directory holding one is taken to want it).
    public var modelFilename: String
    /// What it is and how to enable it, appended to the error ("registered only with --flag").
    public var howToEnable: String

    /// Creates an entry.
    public init(name: String, modelFilename: String, howToEnable: String) {
      self.name = name
      self.modelFilename = modelFilename
      self.howToEnable = howToEnable
    }
  }

  private var backends: [any InferenceBackend]
  /// Shipped but not registered.
  public let unregistered: [Unregistered]

  /// Creates a registry.
  /// - Parameters:
  ///   - backends: The available backends.
  ///   - unregistered: Backends the server has but did not register, for the errors of models that want them.
  public init(_ backends: [any InferenceBackend], unregistered: [Unregistered] = []) {
    self.backends = backends
    self.unregistered = unregistered.filter { entry in !backends.contains { $0.name == entry.name } }
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
  /// not registered; empty otherwise.
  public func disabledBackendHint(for name: String) -> String {
    guard let entry = unregistered.first(where: { $0.name == name }) else { return "" }
    return "; '\(name)' \(entry.howToEnable)"
  }

  /// The backend whose default model file is `filename`.
  public func backend(forModelFilename filename: String) -> (any InferenceBackend)? {
    backends.first { $0.defaultModelFilename == filename }
  }
}
