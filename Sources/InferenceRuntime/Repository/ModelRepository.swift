internal import KServeProtocol

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// A model directory found in one of the configured repositories.
public struct DiscoveredModel: Sendable, Equatable {
  /// The model name (its directory name).
  public var name: String
  /// The model directory.
  public var directory: URL
  /// The repository it was found in.
  public var repository: URL
  /// Set when the model cannot be used because of the repository layout (e.g. a duplicate name).
  public var layoutError: String?
}

/// Triton's repository layout over one or more directories: `<repo>/<model>/config.pbtxt` and
/// `<repo>/<model>/<version>/<model file>`.
public struct ModelRepository: Sendable {
  /// The repository directories, in the order given.
  public var roots: [URL]

  /// Creates a repository view.
  /// - Parameter roots: Repository directories.
  public init(roots: [URL]) {
    self.roots = roots
  }

  /// Checks that every root exists and is a directory.
  /// - Throws: ``InferenceError`` naming the first missing root.
  public func validateRoots() throws {
    for root in roots {
      guard Self.isDirectory(root.path) else {
        throw InferenceError(
          .notFound,
          "model repository '\(root.path)' does not exist or is not a directory; pass an existing directory to --model-repository"
        )
      }
    }
  }

  /// Lists the model directories of every root, sorted by name. A name found in two roots is reported
  /// with a `layoutError`, as Triton refuses ambiguous names.
  public func discover() -> [DiscoveredModel] {
    var byName: [String: DiscoveredModel] = [:]
    for root in roots {
      for name in Self.subdirectories(of: root) where !name.hasPrefix(".") {
        let directory = root.appendingPathComponent(name, isDirectory: true)
        if var existing = byName[name] {
          existing.layoutError =
            "model name '\(name)' appears in two repositories (\(existing.repository.path) and \(root.path)); "
            + "rename one of the directories"
          byName[name] = existing
        } else {
          byName[name] = DiscoveredModel(name: name, directory: directory, repository: root, layoutError: nil)
        }
      }
    }
    return byName.values.sorted { $0.name < $1.name }
  }

  /// Finds one model by name.
  /// - Parameter name: Model name.
  public func find(_ name: String) -> DiscoveredModel? {
    discover().first { $0.name == name }
  }

  /// Numeric version subdirectories of a model directory (positive integers only), ascending.
  /// - Parameter directory: Model directory.
  public static func versions(in directory: URL) -> [Int64] {
    subdirectories(of: directory).compactMap { name in
      guard let v = Int64(name), v > 0, String(v) == name else { return nil }
      return v
    }.sorted()
  }

  static func subdirectories(of directory: URL) -> [String] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
    return names.filter { isDirectory(directory.appendingPathComponent($0).path) }.sorted()
  }

  /// Whether `path` is a directory (or a symbolic link to one).
  static func isDirectory(_ path: String) -> Bool {
    #if canImport(FoundationEssentials)
    var isDirectory = false
    return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory
    #else
    var isDirectory: ObjCBool = false
    return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    #endif
  }
}

extension ModelRepository {
  /// A fingerprint of a model directory's files (paths, sizes, modification times, two levels deep: the
  /// config and each version's files), so polling notices added, changed and removed files.
  public static func fingerprint(of directory: URL) -> String {
    let manager = FileManager.default
    var lines: [String] = []
    func describe(_ url: URL, _ relative: String) {
      guard let attributes = try? manager.attributesOfItem(atPath: url.path) else { return }
      let size = (attributes[.size] as? Int).map(Int64.init) ?? (attributes[.size] as? UInt64).map(Int64.init) ?? 0
      let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
      lines.append("\(relative) \(size) \(modified)")
    }
    let top = (try? manager.contentsOfDirectory(atPath: directory.path)) ?? []
    for name in top.sorted() where !name.hasPrefix(".") {
      let url = directory.appendingPathComponent(name)
      describe(url, name)
      if isDirectory(url.path) {
        for inner in ((try? manager.contentsOfDirectory(atPath: url.path)) ?? []).sorted() where !inner.hasPrefix(".") {
          describe(url.appendingPathComponent(inner), "\(name)/\(inner)")
        }
      }
    }
    return lines.joined(separator: "\n")
  }
}
