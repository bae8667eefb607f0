public import KServeProtocol
internal import Synchronization

#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif

/// What the status calls report about one registered region.
public struct SharedMemoryRegionStatus: Sendable, Equatable {
  /// Region name.
  public var name: String
  /// POSIX shared-memory key.
  public var key: String
  /// Offset inside the object.
  public var offset: Int
  /// Region length.
  public var byteSize: Int
}

/// The system shared-memory regions clients registered, and the two places requests use them:
/// inputs read from a region before validation, outputs written into one after execution.
///
/// Shared by every front end (gRPC and HTTP see the same regions, as in Triton). Off unless enabled:
/// a server that accepts client regions maps memory a local client chose, so only clients on the
/// same host that the operator trusts should be able to reach it.
public final class SharedMemoryRegistry: Sendable {
  /// Whether clients may register regions and use them in requests.
  public let isEnabled: Bool
  private let regions = Mutex<[String: SharedMemoryRegion]>([:])

  /// Creates a registry.
  /// - Parameter isEnabled: `false` answers every call with FAILED_PRECONDITION.
  public init(isEnabled: Bool) { self.isEnabled = isEnabled }

  private func checkEnabled() throws {
    guard isEnabled else {
      throw InferenceError(
        .failedPrecondition,
        "system shared memory is disabled on this server; send tensors in the request, or restart the "
          + "server with --allow-client-shm (clients on the same host only)")
    }
  }

  /// Registers a region after checking that the key exists and is large enough.
  /// - Throws: ``InferenceError``: alreadyExists for a name in use, invalidArgument for a bad key or size.
  public func register(name: String, key: String, offset: Int, byteSize: Int) throws {
    try checkEnabled()
    guard !name.isEmpty else {
      throw InferenceError(.invalidArgument, "a shared memory region needs a non-empty name")
    }
    if regions.withLock({ $0[name] != nil }) {
      throw InferenceError(
        .alreadyExists, "shared memory region '\(name)' is already registered; unregister it first or pick another name"
      )
    }
    let region = try SharedMemoryRegion(name: name, key: key, offset: offset, byteSize: byteSize)
    try regions.withLock { regions in
      guard regions[name] == nil else {
        throw InferenceError(.alreadyExists, "shared memory region '\(name)' is already registered")
      }
      regions[name] = region
    }
  }

  /// Unregisters one region, or all when `name` is empty. Unknown names are not an error (as Triton).
  /// Requests already using the region finish with it.
  public func unregister(name: String) throws {
    try checkEnabled()
    regions.withLock { regions in
      if name.isEmpty { regions.removeAll() } else { regions[name] = nil }
    }
  }

  /// Status of one region, or of all when `name` is empty.
  /// - Throws: notFound for an unknown name.
  public func status(name: String) throws -> [SharedMemoryRegionStatus] {
    try checkEnabled()
    let selected = try regions.withLock { regions -> [SharedMemoryRegion] in
      if name.isEmpty { return Array(regions.values) }
      guard let region = regions[name] else {
        throw InferenceError(
          .notFound,
          "shared memory region '\(name)' is not registered"
            + NameSuggestions.hint(for: name, in: Array(regions.keys), noun: "registered regions"))
      }
      return [region]
    }
    return selected.sorted { $0.name < $1.name }.map {
      SharedMemoryRegionStatus(name: $0.name, key: $0.key, offset: $0.offset, byteSize: $0.byteSize)
    }
  }

  /// The region behind a reference, checked.
  private func region(_ reference: SharedMemoryReference, length: Int, what: String) throws -> SharedMemoryRegion {
    try checkEnabled()
    guard let region = regions.withLock({ $0[reference.region] }) else {
      throw InferenceError(
        .invalidArgument,
        "\(what): shared memory region '\(reference.region)' is not registered; register it before using it")
    }
    try region.checkBounds(offset: reference.offset, length: length, what: what)
    return region
  }

  /// Replaces the data of every input that names a region with the region's bytes (no copy), and checks
  /// the output references too, so a request that cannot deliver its outputs fails before it runs.
  /// - Throws: ``InferenceError`` for unknown regions or out-of-bounds references.
  public func resolveInputs(of request: inout InferenceRequest) throws {
    for output in request.outputs where SharedMemoryReference.isPresent(in: output.parameters) {
      try checkEnabled()
      let what = "output '\(output.name)'"
      if let reference = try SharedMemoryReference.parse(output.parameters, what: what) {
        _ = try region(reference, length: reference.byteSize, what: what)
      }
    }
    for index in request.inputs.indices {
      if SharedMemoryReference.isPresent(in: request.inputs[index].parameters) { try checkEnabled() }
      let what = "input '\(request.inputs[index].name)'"
      guard let reference = try SharedMemoryReference.parse(request.inputs[index].parameters, what: what) else {
        continue
      }
      let region = try region(reference, length: reference.byteSize, what: what)
      request.inputs[index].data = region.bytes(offset: reference.offset, length: reference.byteSize)
    }
  }

  /// Whether any requested output asks to be written into a region.
  public static func wantsOutputs(_ outputs: [RequestedOutput]) -> Bool {
    outputs.contains { SharedMemoryReference.isPresent(in: $0.parameters) }
  }

  /// Writes every output whose request names a region into it; the response then carries no data for
  /// it, only the region, offset and the number of bytes written.
  /// - Throws: ``InferenceError`` when a region is unknown or too small for the output.
  public func placeOutputs(of response: inout InferenceResponse, requested: [RequestedOutput]) throws {
    var references: [String: SharedMemoryReference] = [:]
    for output in requested {
      if SharedMemoryReference.isPresent(in: output.parameters) { try checkEnabled() }
      if let reference = try SharedMemoryReference.parse(output.parameters, what: "output '\(output.name)'") {
        references[output.name] = reference
      }
    }
    guard !references.isEmpty else { return }
    for index in response.outputs.indices {
      let output = response.outputs[index]
      guard let reference = references[output.name] else { continue }
      let what = "output '\(output.name)'"
      guard output.data.count <= reference.byteSize else {
        throw InferenceError(
          .invalidArgument,
          "\(what) needs \(output.data.count) bytes but its shared memory byte_size is \(reference.byteSize); "
            + "give a region of at least \(output.data.count) bytes")
      }
      let region = try region(reference, length: reference.byteSize, what: what)
      region.write(output.data, at: reference.offset)
      response.outputs[index].parameters = [
        SharedMemoryReference.Key.region: .string(reference.region),
        SharedMemoryReference.Key.offset: .int64(Int64(reference.offset)),
        SharedMemoryReference.Key.byteSize: .int64(Int64(output.data.count)),
      ]
      response.outputs[index].data = .init()
    }
  }
}
