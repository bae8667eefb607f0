internal import KServeProtocol

#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// One registered POSIX shared-memory region: `byteSize` bytes starting `offset` bytes into the object
/// named `key`, mapped read-write into this process.
///
/// The mapping lives as long as the object; a request that resolved a tensor from the region holds a
/// reference, so unregistering a region while a request reads or writes it is safe.
public final class SharedMemoryRegion: Sendable {
  /// The region's name, chosen by the client.
  public let name: String
  /// The POSIX shared-memory object's name (as given to `shm_open`, e.g. `/input0`).
  public let key: String
  /// Where the region starts inside the object.
  public let offset: Int
  /// The region's length.
  public let byteSize: Int
  /// Start of the whole mapping (page aligned, at object offset 0).
  nonisolated(unsafe) let mapping: UnsafeMutableRawPointer
  let mappingLength: Int

  /// Opens and maps a region.
  /// - Throws: ``InferenceError`` when the key does not exist, the object is smaller than
  ///   `offset + byteSize`, or the mapping fails.
  public init(name: String, key: String, offset: Int, byteSize: Int) throws {
    guard offset >= 0, byteSize > 0, case (let end, false) = offset.addingReportingOverflow(byteSize) else {
      throw InferenceError(
        .invalidArgument,
        "shared memory region '\(name)': offset \(offset) and byte_size \(byteSize) must be non-negative "
          + "and positive respectively")
    }
    let descriptor = shm_open(key, O_RDWR, 0)
    guard descriptor >= 0 else {
      let reason = String(cString: strerror(errno))
      throw InferenceError(
        .invalidArgument,
        "shared memory region '\(name)': cannot open key '\(key)' (\(reason)); create it first "
          + "(e.g. tritonclient.utils.shared_memory.create_shared_memory_region) and register its exact key")
    }
    defer { close(descriptor) }
    var info = stat()
    guard fstat(descriptor, &info) == 0 else {
      throw InferenceError(
        .invalidArgument,
        "shared memory region '\(name)': cannot stat key '\(key)' (\(String(cString: strerror(errno))))")
    }
    guard Int(info.st_size) >= end else {
      throw InferenceError(
        .invalidArgument,
        "shared memory region '\(name)': key '\(key)' holds \(info.st_size) bytes, less than offset \(offset) "
          + "+ byte_size \(byteSize) = \(end); register a smaller region or enlarge the object")
    }
    guard let pointer = mmap(nil, end, PROT_READ | PROT_WRITE, MAP_SHARED, descriptor, 0),
      pointer != MAP_FAILED
    else {
      throw InferenceError(
        .internal, "shared memory region '\(name)': mmap of key '\(key)' failed (\(String(cString: strerror(errno))))")
    }
    self.name = name
    self.key = key
    self.offset = offset
    self.byteSize = byteSize
    self.mapping = pointer
    self.mappingLength = end
  }

  deinit { munmap(mapping, mappingLength) }

  /// Checks that `[offset, offset + length)` relative to the region lies inside it.
  func checkBounds(offset: Int, length: Int, what: String) throws {
    guard offset >= 0, length >= 0, case (let end, false) = offset.addingReportingOverflow(length), end <= byteSize
    else {
      throw InferenceError(
        .invalidArgument,
        "\(what): offset \(offset) + byte_size \(length) lies outside shared memory region '\(name)' "
          + "of \(byteSize) bytes")
    }
  }

  /// The bytes `[offset, offset + length)` of the region, without copying: the returned `Data` keeps the
  /// region mapped until it is released.
  func bytes(offset: Int, length: Int) -> Data {
    guard length > 0 else { return Data() }
    let start = mapping.advanced(by: self.offset + offset)
    return Data(bytesNoCopy: start, count: length, deallocator: .custom { _, _ in withExtendedLifetime(self) {} })
  }

  /// Copies `data` into the region at `offset` (bounds already checked).
  func write(_ data: Data, at offset: Int) {
    let start = mapping.advanced(by: self.offset + offset)
    data.withUnsafeBytes { source in
      if let base = source.baseAddress { start.copyMemory(from: base, byteCount: source.count) }
    }
  }
}
