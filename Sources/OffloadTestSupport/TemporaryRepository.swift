public import Foundation

/// A model repository in a new temporary directory, built model by model, for tests of every layer (the
/// runtime, the front ends, whole servers). Remove it with ``remove()`` when done.
public struct TemporaryRepository: Sendable {
  /// The repository's directory.
  public let root: URL

  /// Creates an empty repository.
  public init() throws {
    root = FileManager.default.temporaryDirectory.appendingPathComponent("offload-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
  }

  /// Adds a model: `config` as its `config.pbtxt` (none when `nil`), and one directory per version holding
  /// `filename` with the given text.
  public func addModel(
    _ name: String, config: String?, versions: [Int64: String] = [1: "ok"], filename: String = "model.fake"
  ) throws {
    let directory = root.appendingPathComponent(name)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    if let config {
      try config.write(to: directory.appendingPathComponent("config.pbtxt"), atomically: true, encoding: .utf8)
    }
    for (version, content) in versions {
      let versionDirectory = directory.appendingPathComponent(String(version))
      try FileManager.default.createDirectory(at: versionDirectory, withIntermediateDirectories: true)
      try content.write(to: versionDirectory.appendingPathComponent(filename), atomically: true, encoding: .utf8)
    }
  }

  /// Deletes the directory.
  public func remove() { try? FileManager.default.removeItem(at: root) }
}
