#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// Finds `libonnxruntime.so` when no path is given, in the Python environments where the pinned
/// `onnxruntime` wheel puts it (`site-packages/onnxruntime/capi/`), best first:
/// 1. the environment the executable is installed into (`PREFIX/bin/offload` next to
///    `PREFIX/lib/pythonX.Y/site-packages`: a venv, conda or `--user` install of the `offload-server` wheel);
/// 2. the active environment (`$VIRTUAL_ENV`, then `$CONDA_PREFIX`);
/// 3. the project's `.venv` (made by `dev/python-env.sh`) in the working directory, then in the
///    directories above the executable (a source checkout's `.build/…/offload`).
public enum ONNXRuntimeLocator {
  /// The ONNX Runtime version the project pins (dev/requirements.txt).
  public static let pinnedVersion = "1.31.1"

  /// Candidate library paths that exist, best first, without duplicates.
  /// - Parameters:
  ///   - workingDirectory: The process's working directory.
  ///   - executable: The running executable (symbolic links are resolved).
  ///   - environment: The process environment (`VIRTUAL_ENV`, `CONDA_PREFIX`).
  public static func candidates(
    workingDirectory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath),
    executable: URL = runningExecutable(),
    environment: [String: String] = ProcessInfo.processInfo.environment
  ) -> [String] {
    let binDirectory = executable.resolvingSymlinksInPath().deletingLastPathComponent()
    var prefixes = [binDirectory.deletingLastPathComponent()]
    for name in ["VIRTUAL_ENV", "CONDA_PREFIX"] {
      if let value = environment[name], !value.isEmpty { prefixes.append(URL(fileURLWithPath: value)) }
    }
    var projectRoots = [workingDirectory]
    var directory = binDirectory
    for _ in 0..<6 {
      projectRoots.append(directory)
      directory = directory.deletingLastPathComponent()
    }
    let found =
      prefixes.flatMap(libraries(inPrefix:))
      + projectRoots.flatMap { libraries(inPrefix: $0.appendingPathComponent(".venv")) }
    var seen: Set<String> = []
    return found.filter { seen.insert($0).inserted }
  }

  /// The library path to use: `explicit` if given, else the first candidate that exists.
  /// - Throws: an error naming where it looked and how to install the library.
  public static func resolve(explicit: String?) throws -> String {
    if let explicit { return explicit }
    if let found = candidates().first { return found }
    throw LocatorError(
      message:
        "libonnxruntime.so not found: no onnxruntime==\(pinnedVersion) in the Python environment of the "
        + "executable, in $VIRTUAL_ENV or $CONDA_PREFIX, or in a .venv in the working directory or above the "
        + "executable. Install it next to offload (`pip install onnxruntime==\(pinnedVersion)`, which "
        + "`pip install offload-server` does), run dev/python-env.sh in a source checkout, or pass "
        + "--onnxruntime-library PATH (or set OFFLOAD_ONNXRUNTIME_LIBRARY)")
  }

  /// The running executable: `/proc/self/exe` where it exists (a command found on `PATH` has no
  /// directory in its first argument), else the first argument.
  public static func runningExecutable() -> URL {
    if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
      return URL(fileURLWithPath: path)
    }
    return URL(fileURLWithPath: CommandLine.arguments.first ?? ".")
  }

  /// An error from ``resolve(explicit:)``.
  public struct LocatorError: Error, CustomStringConvertible {
    /// What went wrong and what to do.
    public var message: String
    public var description: String { message }
  }

  /// `PREFIX/lib/python*/site-packages/onnxruntime/capi/libonnxruntime.so*`, the most specific file name
  /// (`libonnxruntime.so.1.31.1`) of each Python version, versions in name order.
  private static func libraries(inPrefix prefix: URL) -> [String] {
    let lib = prefix.appendingPathComponent("lib")
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
