#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// `const OrtApiBase* OrtGetApiBase(void)`, the library's one exported entry point.
private typealias ORTGetApiBaseFn = @convention(c) () -> UnsafeRawPointer?
/// `OrtApiBase` slot 0: `const OrtApi* GetApi(uint32_t version)`; NULL when the version is unsupported.
private typealias ORTGetApiFn = @convention(c) (UInt32) -> UnsafeRawPointer?
/// `OrtApiBase` slot 1: `const char* GetVersionString(void)`.
private typealias ORTGetVersionStringFn = @convention(c) () -> UnsafePointer<CChar>?

/// A `libonnxruntime` loaded with `dlopen`, with the typed C API table for API version 31.
///
/// Thread safety (`@unchecked Sendable`): every stored property is immutable after `load`. The table
/// holds C function pointers; `defaultAllocator` is ONNX Runtime's process-wide CPU allocator, which
/// ONNX Runtime itself uses from many threads; `cpuMemoryInfo` is only ever read (passed as
/// `const OrtMemoryInfo*`) after creation and released once, in `deinit`.
///
/// The shared library is never `dlclose`d: ONNX Runtime keeps global state and thread pools, and
/// unloading it is not supported, so it stays mapped for the life of the process. Environments and
/// sessions keep their library alive.
final class ORTLibrary: @unchecked Sendable {
  /// The path given to ``load(path:)``.
  let path: String
  /// `GetVersionString()`, e.g. `1.31.1`.
  let version: String
  /// The typed `OrtApi` entries this binding uses.
  let api: ORTAPITable
  /// `GetAllocatorWithDefaultOptions()`: owned by ONNX Runtime, never freed.
  let defaultAllocator: OpaquePointer
  /// A CPU `OrtMemoryInfo` describing caller-owned input buffers; released in `deinit`.
  let cpuMemoryInfo: OpaquePointer

  private init(
    path: String, version: String, api: ORTAPITable, defaultAllocator: OpaquePointer, cpuMemoryInfo: OpaquePointer
  ) {
    self.path = path
    self.version = version
    self.api = api
    self.defaultAllocator = defaultAllocator
    self.cpuMemoryInfo = cpuMemoryInfo
  }

  deinit {
    api.releaseMemoryInfo(cpuMemoryInfo)
  }

  /// Loads `libonnxruntime` from `path` (`dlopen` with `RTLD_NOW | RTLD_LOCAL`) and checks that it is
  /// ONNX Runtime 1.x offering C API version 31.
  /// - Throws: ``ORTError`` with code ``ORTError/loaderCode`` saying what is wrong and how to fix it.
  static func load(path: String) throws -> ORTLibrary {
    guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
      let reason = dlerror().map { String(cString: $0) } ?? "unknown dlopen error"
      let missing = access(path, F_OK) != 0
      throw ORTError.binding(
        (missing ? "ONNX Runtime library not found at '\(path)'" : "cannot load ONNX Runtime library '\(path)'")
          + " (\(reason)). " + installHint)
    }
    // From here on every failure unloads the library again: nothing of ONNX Runtime's is in use yet.
    do {
      guard let symbol = dlsym(handle, "OrtGetApiBase") else {
        throw ORTError.binding(
          "'\(path)' is not an ONNX Runtime library: it has no OrtGetApiBase symbol. " + installHint)
      }
      let getApiBase = unsafeBitCast(symbol, to: ORTGetApiBaseFn.self)
      guard let base = getApiBase() else {
        throw ORTError.binding("OrtGetApiBase() in '\(path)' returned NULL. " + installHint)
      }
      let baseSlots = base.assumingMemoryBound(to: UnsafeRawPointer?.self)
      guard let getApiPointer = baseSlots[0], let getVersionPointer = baseSlots[1] else {
        throw ORTError.binding("OrtApiBase in '\(path)' is incomplete. " + installHint)
      }
      let getApi = unsafeBitCast(getApiPointer, to: ORTGetApiFn.self)
      let getVersionString = unsafeBitCast(getVersionPointer, to: ORTGetVersionStringFn.self)
      let version = getVersionString().map { String(cString: $0) } ?? ""
      guard version.hasPrefix("1.") else {
        throw ORTError.binding(
          "'\(path)' reports ONNX Runtime version '\(version)'; Offload needs 1.x with C API \(ORTAPITable.apiVersion). "
            + installHint)
      }
      guard let apiPointer = getApi(ORTAPITable.apiVersion) else {
        throw ORTError.binding(
          "ONNX Runtime \(version) at '\(path)' does not provide C API version \(ORTAPITable.apiVersion) "
            + "(it is older than 1.31). " + installHint)
      }
      let api = try ORTAPITable(api: apiPointer)

      var allocator: OpaquePointer?
      try api.check(api.getAllocatorWithDefaultOptions(&allocator), "GetAllocatorWithDefaultOptions")
      guard let allocator else { throw ORTError.binding("GetAllocatorWithDefaultOptions returned NULL") }

      var memoryInfo: OpaquePointer?
      // OrtArenaAllocator (1), OrtMemTypeDefault (0): plain CPU memory, as ONNX Runtime's own CPU tensors.
      try api.check(api.createCpuMemoryInfo(1, 0, &memoryInfo), "CreateCpuMemoryInfo")
      guard let memoryInfo else { throw ORTError.binding("CreateCpuMemoryInfo returned NULL") }

      return ORTLibrary(
        path: path, version: version, api: api, defaultAllocator: allocator, cpuMemoryInfo: memoryInfo)
    } catch {
      dlclose(handle)
      throw error
    }
  }

  /// What to do when the library is missing or wrong.
  static let installHint =
    "Offload needs ONNX Runtime 1.31 (the PyPI wheel onnxruntime==1.31.1 ships it as "
    + "site-packages/onnxruntime/capi/libonnxruntime.so.1.31.1): install it with "
    + "`pip install onnxruntime==1.31.1` and pass that file with --onnxruntime-library."
}
