import Foundation
import KServeProtocol
import Testing

@testable import InferenceRuntime

#if canImport(Glibc)
import Glibc
#endif

/// A POSIX shared-memory object for one test, unlinked at the end.
private final class ShmObject {
  let key = "/offload_unit_\(UInt32.random(in: 0 ... .max))"
  let size: Int
  init(size: Int, fill: (UnsafeMutableRawBufferPointer) -> Void = { _ in }) throws {
    self.size = size
    let fd = shm_open(key, O_RDWR | O_CREAT | O_EXCL, 0o600)
    try #require(fd >= 0)
    defer { close(fd) }
    try #require(ftruncate(fd, off_t(size)) == 0)
    let p = try #require(mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0))
    fill(UnsafeMutableRawBufferPointer(start: p, count: size))
    munmap(p, size)
  }
  func read() -> [UInt8] {
    let fd = shm_open(key, O_RDONLY, 0)
    defer { close(fd) }
    let p = mmap(nil, size, PROT_READ, MAP_SHARED, fd, 0)!
    defer { munmap(p, size) }
    return Array(UnsafeRawBufferPointer(start: p, count: size))
  }
  deinit { shm_unlink(key) }
}

@Suite(.timeLimit(.minutes(1))) struct SharedMemoryRegistryTests {
  func tensor(_ name: String, _ parameters: [String: InferenceParameter]) -> InferenceTensor {
    InferenceTensor(name: name, datatype: .uint8, shape: [4], data: Data(), parameters: parameters)
  }

  func reference(_ region: String, offset: Int64 = 0, size: Int64) -> [String: InferenceParameter] {
    [
      "shared_memory_region": .string(region), "shared_memory_offset": .int64(offset),
      "shared_memory_byte_size": .int64(size),
    ]
  }

  @Test func disabledRegistryRefusesEverythingWithTheFlagName() throws {
    let registry = SharedMemoryRegistry(isEnabled: false)
    let error = try #require(throws: InferenceError.self) { try registry.status(name: "") }
    #expect(error.code == .failedPrecondition)
    #expect(error.message.contains("--allow-client-shm"))
    var request = InferenceRequest(modelName: "m", inputs: [tensor("x", reference("r", size: 4))])
    #expect(throws: InferenceError.self) { try registry.resolveInputs(of: &request) }
  }

  @Test func inputsComeFromTheRegionAtTheirOffsetWithoutCopying() throws {
    let object = try ShmObject(size: 4096) { buffer in
      for i in 0..<buffer.count { buffer[i] = UInt8(i % 251) }
    }
    let registry = SharedMemoryRegistry(isEnabled: true)
    try registry.register(name: "in", key: object.key, offset: 100, byteSize: 64)
    var request = InferenceRequest(modelName: "m", inputs: [tensor("x", reference("in", offset: 8, size: 4))])
    try registry.resolveInputs(of: &request)
    #expect(Array(request.inputs[0].data) == [108, 109, 110, 111].map { UInt8($0 % 251) })
    // Unregistering does not invalidate what a request already holds.
    try registry.unregister(name: "in")
    #expect(Array(request.inputs[0].data) == [108, 109, 110, 111])
  }

  @Test func everyOutOfBoundsReferenceIsRefused() throws {
    let object = try ShmObject(size: 64)
    let registry = SharedMemoryRegistry(isEnabled: true)
    try registry.register(name: "r", key: object.key, offset: 16, byteSize: 32)
    for (offset, size) in [(0, 33), (29, 4), (32, 1), (Int64.max, 1), (1, Int64.max)] {
      var request = InferenceRequest(
        modelName: "m", inputs: [tensor("x", reference("r", offset: offset, size: size))])
      let error = try #require(throws: InferenceError.self) { try registry.resolveInputs(of: &request) }
      #expect(error.code == .invalidArgument)
      #expect(error.message.contains("input 'x'"))
    }
    var negative = InferenceRequest(modelName: "m", inputs: [tensor("x", reference("r", offset: -1, size: 4))])
    #expect(throws: InferenceError.self) { try registry.resolveInputs(of: &negative) }
    var missingSize = InferenceRequest(
      modelName: "m", inputs: [tensor("x", ["shared_memory_region": .string("r")])])
    let error = try #require(throws: InferenceError.self) { try registry.resolveInputs(of: &missingSize) }
    #expect(error.message.contains("shared_memory_byte_size"))
  }

  @Test func registrationChecksKeySizeAndName() throws {
    let object = try ShmObject(size: 64)
    let registry = SharedMemoryRegistry(isEnabled: true)
    let missing = try #require(throws: InferenceError.self) {
      try registry.register(name: "a", key: "/offload_unit_missing_key", offset: 0, byteSize: 8)
    }
    #expect(missing.message.contains("/offload_unit_missing_key"))
    let tooBig = try #require(throws: InferenceError.self) {
      try registry.register(name: "a", key: object.key, offset: 8, byteSize: 60)
    }
    #expect(tooBig.message.contains("holds 64 bytes"))
    try registry.register(name: "a", key: object.key, offset: 0, byteSize: 64)
    let twice = try #require(throws: InferenceError.self) {
      try registry.register(name: "a", key: object.key, offset: 0, byteSize: 8)
    }
    #expect(twice.code == .alreadyExists)
    let unknown = try #require(throws: InferenceError.self) { try registry.status(name: "b") }
    #expect(unknown.code == .notFound)
    #expect(try registry.status(name: "").map(\.name) == ["a"])
  }

  @Test func outputsAreWrittenIntoTheRegionAndLeaveTheResponse() throws {
    let object = try ShmObject(size: 32)
    let registry = SharedMemoryRegistry(isEnabled: true)
    try registry.register(name: "out", key: object.key, offset: 0, byteSize: 32)
    var response = InferenceResponse(
      modelName: "m", modelVersion: "1", id: "",
      outputs: [
        InferenceTensor(name: "y", datatype: .uint8, shape: [4], data: Data([1, 2, 3, 4])),
        InferenceTensor(name: "z", datatype: .uint8, shape: [2], data: Data([9, 9])),
      ])
    try registry.placeOutputs(
      of: &response, requested: [RequestedOutput(name: "y", parameters: reference("out", offset: 10, size: 8))])
    #expect(response.outputs[0].data.isEmpty)
    #expect(response.outputs[0].parameters["shared_memory_byte_size"] == .int64(4))
    #expect(response.outputs[1].data == Data([9, 9]))
    #expect(Array(object.read()[10..<14]) == [1, 2, 3, 4])
    // Too small for the output.
    var again = response
    again.outputs[1].parameters = [:]
    let error = try #require(throws: InferenceError.self) {
      try registry.placeOutputs(
        of: &again, requested: [RequestedOutput(name: "z", parameters: reference("out", size: 1))])
    }
    #expect(error.message.contains("needs 2 bytes"))
  }
}
