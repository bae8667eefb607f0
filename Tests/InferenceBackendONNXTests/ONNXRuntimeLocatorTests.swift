import Foundation
import Testing

@testable import InferenceBackendONNX

/// Where the server looks for `libonnxruntime.so` when no path is given.
@Suite(.timeLimit(.minutes(1))) struct ONNXRuntimeLocatorTests {
  /// A scratch directory, removed by the caller.
  static func scratch() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("locator-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
  }

  /// Puts the wheel's files (`libonnxruntime.so.1.31.1` and its shorter alias) into `prefix`'s site-packages.
  @discardableResult
  static func installORT(into prefix: URL, python: String = "python3.11") throws -> String {
    let capi = prefix.appendingPathComponent("lib/\(python)/site-packages/onnxruntime/capi")
    try FileManager.default.createDirectory(at: capi, withIntermediateDirectories: true)
    for name in ["libonnxruntime.so.1", "libonnxruntime.so.1.31.1"] {
      _ = FileManager.default.createFile(atPath: capi.appendingPathComponent(name).path, contents: Data())
    }
    return capi.appendingPathComponent("libonnxruntime.so.1.31.1").path
  }

  static func makeExecutable(in prefix: URL) throws -> URL {
    let bin = prefix.appendingPathComponent("bin")
    try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
    let executable = bin.appendingPathComponent("offload")
    _ = FileManager.default.createFile(atPath: executable.path, contents: Data())
    return executable
  }

  @Test("a wheel install finds onnxruntime in its own environment first, then the active one, then .venv")
  func order() throws {
    let root = try Self.scratch()
    defer { try? FileManager.default.removeItem(at: root) }
    let installed = root.appendingPathComponent("env")
    let executable = try Self.makeExecutable(in: installed)
    let own = try Self.installORT(into: installed)
    let active = try Self.installORT(into: root.appendingPathComponent("active"), python: "python3.12")
    let work = root.appendingPathComponent("work")
    let project = try Self.installORT(into: work.appendingPathComponent(".venv"))

    let found = ONNXRuntimeLocator.candidates(
      workingDirectory: work, executable: executable,
      environment: ["VIRTUAL_ENV": root.appendingPathComponent("active").path, "CONDA_PREFIX": ""])
    #expect(found == [own, active, project])
  }

  @Test("a symbolic link to the executable counts from where it points")
  func symlinkedExecutable() throws {
    let root = try Self.scratch()
    defer { try? FileManager.default.removeItem(at: root) }
    let installed = root.appendingPathComponent("env")
    let executable = try Self.makeExecutable(in: installed)
    let own = try Self.installORT(into: installed)
    let elsewhere = root.appendingPathComponent("links")
    try FileManager.default.createDirectory(at: elsewhere, withIntermediateDirectories: true)
    let link = elsewhere.appendingPathComponent("offload")
    try FileManager.default.createSymbolicLink(at: link, withDestinationURL: executable)

    let found = ONNXRuntimeLocator.candidates(workingDirectory: root, executable: link, environment: [:])
    #expect(found == [own])
  }

  @Test("nothing installed anywhere gives no candidates, and the same environment is listed once")
  func emptyAndDeduplicated() throws {
    let root = try Self.scratch()
    defer { try? FileManager.default.removeItem(at: root) }
    let installed = root.appendingPathComponent("env")
    let executable = try Self.makeExecutable(in: installed)
    #expect(ONNXRuntimeLocator.candidates(workingDirectory: root, executable: executable, environment: [:]).isEmpty)

    let own = try Self.installORT(into: installed)
    let found = ONNXRuntimeLocator.candidates(
      workingDirectory: root, executable: executable, environment: ["VIRTUAL_ENV": installed.path])
    #expect(found == [own])
  }

  @Test("the running executable is the real file, not the bare command name")
  func runningExecutable() {
    let url = ONNXRuntimeLocator.runningExecutable()
    #expect(url.path.hasPrefix("/"))
    #expect(FileManager.default.fileExists(atPath: url.path))
  }
}
