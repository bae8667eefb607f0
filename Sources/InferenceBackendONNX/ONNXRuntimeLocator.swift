public import Foundation

/// Finds `libonnxruntime.so` when no path is given: the project's Python environment (`.venv`, made by
/// `dev/python-env.sh` with the pinned `onnxruntime` wheel), looked for in the working directory and in
/// the directories above the executable.
public enum ONNXRuntimeLocator {
  /// The ONNX Runtime version the project pins (dev/requirements.txt).
  public static let pinnedVersion = "1.31.1"

  /// Candidate library paths, best first.
  /// - Parameters:
  ///   - workingDirectory: The process's working directory.
  ///   - executable: The running executable.
  public static func candidates(
    workingDirectory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath),
    executable: URL = URL(fileURLWithPath: CommandLine.arguments.first ?? ".")
  ) -> [String] {
    var roots = [workingDirectory]
    var directory = executable.resolvingSymlinksInPath().deletingLastPathComponent()
    for _ in 0..<6 {
      roots.append(directory)
      directory = directory.deletingLastPathComponent()
    }
    var seen: Set<String> = []
    return roots.flatMap(libraries(inVenvUnder:)).filter { seen.insert($0).inserted }
  }

  /// The library path to use: `explicit` if given, else the first candidate that exists.
  /// - Throws: an error naming where it looked and how to install the library.
  public static func resolve(explicit: String?) throws -> String {
    if let explicit { return explicit }
    if let found = candidates().first { return found }
    throw LocatorError(
      message:
        "libonnxruntime.so not found: no .venv with onnxruntime==\(pinnedVersion) in the working directory or above "
        + "the executable. Run dev/python-env.sh (installs it into .venv), or pass --onnxruntime-library PATH "
        + "(or set OFFLOAD_ONNXRUNTIME_LIBRARY)")
  }

  /// An error from ``resolve(explicit:)``.
  public struct LocatorError: Error, CustomStringConvertible {
    /// What went wrong and what to do.
    public var message: String
    public var description: String { message }
  }

  private static func libraries(inVenvUnder root: URL) -> [String] {
    let lib = root.appendingPathComponent(".venv/lib")
    let pythons = ((try? FileManager.default.contentsOfDirectory(atPath: lib.path)) ?? []).filter {
      $0.hasPrefix("python")
    }
    .sorted()
    return pythons.compactMap { python in
      let capi = lib.appendingPathComponent(python).appendingPathComponent("site-packages/onnxruntime/capi")
      let files = ((try? FileManager.default.contentsOfDirectory(atPath: capi.path)) ?? []).filter {
        $0.hasPrefix("libonnxruntime.so")
      }.sorted { $0.count > $1.count }
      return files.first.map { capi.appendingPathComponent($0).path }
    }
  }
}
