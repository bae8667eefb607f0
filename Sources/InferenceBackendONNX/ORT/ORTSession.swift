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

/// An `OrtSession`: one loaded model, ready to run.
///
/// Thread safety (`@unchecked Sendable`): the handle and the reported signature are immutable.
/// ONNX Runtime documents `Run` as safe to call concurrently from several threads on one session;
/// every other call this class makes on the handle happens in `init` or `deinit`. Each
/// ``run(inputs:outputNames:)`` creates and releases its own `OrtValue`s.
final class ORTSession: @unchecked Sendable {
  /// Keeps the environment (and through it the library) alive as long as the session.
  let environment: ORTEnvironment
  /// The `OrtSession*`.
  let handle: OpaquePointer
  /// The model's inputs, in declaration order.
  let inputs: [ORTTensorInfo]
  /// The model's outputs, in declaration order.
  let outputs: [ORTTensorInfo]

  private var api: ORTAPITable { environment.library.api }

  /// Loads the model at `modelPath` with `options`.
  /// - Throws: ``ORTError`` when the options are rejected or the model cannot be loaded.
  init(environment: ORTEnvironment, modelPath: String, options: ORTSessionOptions) throws {
    let library = environment.library
    let api = library.api
    let optionsHandle = try options.makeHandle(api: api)
    defer { api.releaseSessionOptions(optionsHandle) }

    var created: OpaquePointer?
    try api.check(
      api.createSession(environment.handle, modelPath, optionsHandle, &created),
      "cannot load ONNX model '\(modelPath)'")
    guard let session = created else { throw ORTError.binding("CreateSession returned NULL for '\(modelPath)'") }

    let inputs: [ORTTensorInfo]
    let outputs: [ORTTensorInfo]
    do {
      inputs = try Self.describe(library: library, session: session, inputs: true)
      outputs = try Self.describe(library: library, session: session, inputs: false)
    } catch {
      api.releaseSession(session)
      throw error
    }
    self.environment = environment
    self.handle = session
    self.inputs = inputs
    self.outputs = outputs
  }

  deinit {
    api.releaseSession(handle)
  }

  /// Runs the model once.
  ///
  /// - Parameters:
  ///   - inputs: the inputs to feed (ONNX Runtime rejects unknown names and missing required inputs).
  ///   - outputNames: the outputs to compute, in the order wanted; empty means all of ``outputs``.
  /// - Returns: one ``ORTOutput`` per requested name, in the same order.
  /// - Throws: ``ORTError`` for inputs that do not match their declared shape/type and for ONNX
  ///   Runtime failures. Every `OrtValue` made here is released on all paths.
  func run(inputs: [ORTInput], outputNames: [String]) throws -> [ORTOutput] {
    let api = self.api
    var inputValues: [OpaquePointer?] = []
    inputValues.reserveCapacity(inputs.count)
    defer { for value in inputValues { api.releaseValue(value) } }
    for input in inputs {
      inputValues.append(try makeValue(for: input))
    }

    let names = outputNames.isEmpty ? outputs.map(\.name) : outputNames
    var outputValues = [OpaquePointer?](repeating: nil, count: names.count)
    // ReleaseValue accepts NULL, so outputs ONNX Runtime did not produce are skipped.
    defer { for value in outputValues { api.releaseValue(value) } }

    try Self.withCStrings(inputs.map(\.name)) { inputNamePointers in
      try Self.withCStrings(names) { outputNamePointers in
        try inputValues.withUnsafeBufferPointer { inputBuffer in
          try outputValues.withUnsafeMutableBufferPointer { outputBuffer in
            try api.check(
              api.run(
                handle, nil, inputNamePointers, inputBuffer.baseAddress, inputBuffer.count,
                outputNamePointers, outputBuffer.count, outputBuffer.baseAddress),
              "Run")
          }
        }
      }
    }

    var results: [ORTOutput] = []
    results.reserveCapacity(names.count)
    for (name, value) in zip(names, outputValues) {
      guard let value else { throw ORTError.binding("Run produced no value for output '\(name)'") }
      results.append(try copyOutput(name: name, value: value))
    }
    return results
  }

  // MARK: - Inputs

  /// Makes the `OrtValue` for one input; the caller releases it.
  private func makeValue(for input: ORTInput) throws -> OpaquePointer {
    let api = self.api
    let library = environment.library
    let count = try Self.elementCount(input.shape, what: "input '\(input.name)'")
    var created: OpaquePointer?

    switch input.data {
    case .raw(let buffer):
      guard let size = input.elementType.byteSize else {
        throw ORTError.binding(
          "input '\(input.name)': raw data cannot be given for element type \(input.elementType.onnxName)")
      }
      let (expected, overflow) = count.multipliedReportingOverflow(by: size)
      guard !overflow, buffer.count == expected else {
        throw ORTError.binding(
          "input '\(input.name)': \(buffer.count) bytes given, shape \(input.shape) of "
            + "\(input.elementType.onnxName) needs \(overflow ? "too many" : String(expected))")
      }
      try Self.withShape(input.shape) { shape, rank in
        try api.check(
          api.createTensorWithDataAsOrtValue(
            library.cpuMemoryInfo, UnsafeMutableRawPointer(mutating: buffer.baseAddress), buffer.count,
            shape, rank, input.elementType.rawValue, &created),
          "input '\(input.name)': CreateTensorWithDataAsOrtValue")
      }
      guard let created else {
        throw ORTError.binding("input '\(input.name)': CreateTensorWithDataAsOrtValue returned NULL")
      }
      return created

    case .strings(let strings):
      guard input.elementType == .string else {
        throw ORTError.binding(
          "input '\(input.name)': strings given for element type \(input.elementType.onnxName)")
      }
      guard strings.count == count else {
        throw ORTError.binding(
          "input '\(input.name)': \(strings.count) strings given, shape \(input.shape) has \(count) elements")
      }
      try Self.withShape(input.shape) { shape, rank in
        try api.check(
          api.createTensorAsOrtValue(
            library.defaultAllocator, shape, rank, ORTElementType.string.rawValue, &created),
          "input '\(input.name)': CreateTensorAsOrtValue")
      }
      guard let value = created else {
        throw ORTError.binding("input '\(input.name)': CreateTensorAsOrtValue returned NULL")
      }
      do {
        for (index, bytes) in strings.enumerated() {
          var element: UnsafeMutablePointer<CChar>?
          try api.check(
            api.getResizedStringTensorElementBuffer(value, index, bytes.count, &element),
            "input '\(input.name)': GetResizedStringTensorElementBuffer(\(index))")
          if !bytes.isEmpty {
            guard let element else {
              throw ORTError.binding("input '\(input.name)': no buffer for string element \(index)")
            }
            bytes.withUnsafeBytes { source in
              UnsafeMutableRawPointer(element).copyMemory(from: source.baseAddress!, byteCount: source.count)
            }
          }
        }
      } catch {
        api.releaseValue(value)
        throw error
      }
      return value
    }
  }

  // MARK: - Outputs

  /// Copies one output tensor out of ONNX Runtime's memory.
  private func copyOutput(name: String, value: OpaquePointer) throws -> ORTOutput {
    let api = self.api
    var onnxType: Int32 = 0
    try api.check(api.getValueType(value, &onnxType), "output '\(name)': GetValueType")
    guard onnxType == 1 else {
      throw ORTError.binding(
        "output '\(name)' is a \(ORTTensorInfo.onnxTypeName(onnxType)), not a tensor; only tensor outputs are supported"
      )
    }

    var infoHandle: OpaquePointer?
    try api.check(api.getTensorTypeAndShape(value, &infoHandle), "output '\(name)': GetTensorTypeAndShape")
    guard let info = infoHandle else { throw ORTError.binding("output '\(name)': GetTensorTypeAndShape returned NULL") }
    defer { api.releaseTensorTypeAndShapeInfo(info) }
    let (code, shape) = try Self.typeAndShape(api: api, info: info, what: "output '\(name)'")
    guard let elementType = ORTElementType(rawValue: code), elementType != .undefined else {
      throw ORTError.binding(
        "output '\(name)' has type \(ORTTensorInfo.tensorTypeName(elementCode: code)), which Offload does not support")
    }
    let count = try Self.elementCount(shape, what: "output '\(name)'")

    if elementType == .string {
      let strings = try count == 0 ? [] : copyStrings(name: name, value: value, count: count)
      return ORTOutput(name: name, elementType: elementType, shape: shape, bytes: Data(), strings: strings)
    }

    let size = elementType.byteSize!  // non-nil for every known type except string and undefined
    let (byteCount, overflow) = count.multipliedReportingOverflow(by: size)
    guard !overflow else { throw ORTError.binding("output '\(name)': shape \(shape) is too large") }
    guard byteCount > 0 else {
      // Zero elements: ONNX Runtime may have no buffer at all.
      return ORTOutput(name: name, elementType: elementType, shape: shape, bytes: Data(), strings: [])
    }
    var data: UnsafeMutableRawPointer?
    try api.check(api.getTensorMutableData(value, &data), "output '\(name)': GetTensorMutableData")
    guard let data else { throw ORTError.binding("output '\(name)': GetTensorMutableData returned NULL") }
    let bytes = Data(bytes: data, count: byteCount)
    return ORTOutput(name: name, elementType: elementType, shape: shape, bytes: bytes, strings: [])
  }

  /// Reads the `count` elements of a string tensor (`count` > 0).
  private func copyStrings(name: String, value: OpaquePointer, count: Int) throws -> [[UInt8]] {
    let api = self.api
    var total = 0
    try api.check(api.getStringTensorDataLength(value, &total), "output '\(name)': GetStringTensorDataLength")
    // At least one byte so the buffer has an address even when every string is empty.
    var content = [UInt8](repeating: 0, count: max(total, 1))
    var offsets = [Int](repeating: 0, count: count)
    try content.withUnsafeMutableBytes { contentBuffer in
      try offsets.withUnsafeMutableBufferPointer { offsetBuffer in
        try api.check(
          api.getStringTensorContent(value, contentBuffer.baseAddress, total, offsetBuffer.baseAddress, count),
          "output '\(name)': GetStringTensorContent")
      }
    }
    var strings: [[UInt8]] = []
    strings.reserveCapacity(count)
    for index in 0..<count {
      let start = offsets[index]
      let end = index + 1 < count ? offsets[index + 1] : total
      guard 0 <= start, start <= end, end <= total else {
        throw ORTError.binding("output '\(name)': GetStringTensorContent returned bad offsets")
      }
      strings.append(Array(content[start..<end]))
    }
    return strings
  }

  // MARK: - Signature

  /// Names, types and shapes of all inputs (or outputs) of `session`.
  private static func describe(library: ORTLibrary, session: OpaquePointer, inputs: Bool) throws -> [ORTTensorInfo] {
    let api = library.api
    let kind = inputs ? "input" : "output"
    var count = 0
    try api.check(
      inputs ? api.sessionGetInputCount(session, &count) : api.sessionGetOutputCount(session, &count),
      "Session\(inputs ? "GetInputCount" : "GetOutputCount")")
    var result: [ORTTensorInfo] = []
    result.reserveCapacity(count)
    for index in 0..<count {
      var namePointer: UnsafeMutablePointer<CChar>?
      try api.check(
        inputs
          ? api.sessionGetInputName(session, index, library.defaultAllocator, &namePointer)
          : api.sessionGetOutputName(session, index, library.defaultAllocator, &namePointer),
        "\(kind) \(index): Session\(inputs ? "GetInputName" : "GetOutputName")")
      guard let namePointer else { throw ORTError.binding("\(kind) \(index) has no name") }
      let name = String(cString: namePointer)
      if let status = api.allocatorFree(library.defaultAllocator, namePointer) { api.releaseStatus(status) }

      var typeInfoHandle: OpaquePointer?
      try api.check(
        inputs
          ? api.sessionGetInputTypeInfo(session, index, &typeInfoHandle)
          : api.sessionGetOutputTypeInfo(session, index, &typeInfoHandle),
        "\(kind) '\(name)': Session\(inputs ? "GetInputTypeInfo" : "GetOutputTypeInfo")")
      guard let typeInfo = typeInfoHandle else { throw ORTError.binding("\(kind) '\(name)' has no type info") }
      defer { api.releaseTypeInfo(typeInfo) }

      var onnxType: Int32 = 0
      try api.check(api.getOnnxTypeFromTypeInfo(typeInfo, &onnxType), "\(kind) '\(name)': GetOnnxTypeFromTypeInfo")
      guard onnxType == 1 else {
        result.append(
          ORTTensorInfo(
            name: name, elementType: .undefined, shape: [], isTensor: false,
            typeName: ORTTensorInfo.onnxTypeName(onnxType)))
        continue
      }
      var tensorInfoHandle: OpaquePointer?
      try api.check(
        api.castTypeInfoToTensorInfo(typeInfo, &tensorInfoHandle), "\(kind) '\(name)': CastTypeInfoToTensorInfo")
      // Owned by typeInfo: not released separately.
      guard let tensorInfo = tensorInfoHandle else { throw ORTError.binding("\(kind) '\(name)' has no tensor info") }
      let (code, shape) = try typeAndShape(api: api, info: tensorInfo, what: "\(kind) '\(name)'")
      result.append(
        ORTTensorInfo(
          name: name, elementType: ORTElementType(code: code), shape: shape, isTensor: true,
          typeName: ORTTensorInfo.tensorTypeName(elementCode: code)))
    }
    return result
  }

  /// Element type code and dimensions of an `OrtTensorTypeAndShapeInfo`.
  private static func typeAndShape(api: ORTAPITable, info: OpaquePointer, what: String) throws -> (Int32, [Int64]) {
    var code: Int32 = 0
    try api.check(api.getTensorElementType(info, &code), "\(what): GetTensorElementType")
    var rank = 0
    try api.check(api.getDimensionsCount(info, &rank), "\(what): GetDimensionsCount")
    var shape = [Int64](repeating: 0, count: rank)
    if rank > 0 {
      try shape.withUnsafeMutableBufferPointer { buffer in
        try api.check(api.getDimensions(info, buffer.baseAddress, rank), "\(what): GetDimensions")
      }
    }
    return (code, shape)
  }

  // MARK: - Helpers

  /// Product of `shape`, rejecting negative dimensions and overflow.
  private static func elementCount(_ shape: [Int64], what: String) throws -> Int {
    var count = 1
    for dimension in shape {
      guard dimension >= 0, let dim = Int(exactly: dimension) else {
        throw ORTError.binding("\(what): shape \(shape) has a negative dimension")
      }
      let (product, overflow) = count.multipliedReportingOverflow(by: dim)
      guard !overflow else { throw ORTError.binding("\(what): shape \(shape) is too large") }
      count = product
    }
    return count
  }

  /// Calls `body` with a pointer to `shape` (valid even for rank 0) and the rank.
  private static func withShape<R>(
    _ shape: [Int64], _ body: (UnsafePointer<Int64>, Int) throws -> R
  ) throws -> R {
    if shape.isEmpty {
      var scalar: Int64 = 0
      return try withUnsafePointer(to: &scalar) { try body($0, 0) }
    }
    return try shape.withUnsafeBufferPointer { try body($0.baseAddress!, $0.count) }
  }

  /// Calls `body` with an array of NUL-terminated copies of `strings`, freed afterwards.
  private static func withCStrings<R>(
    _ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) throws -> R
  ) throws -> R {
    var copies: [UnsafeMutablePointer<CChar>?] = []
    copies.reserveCapacity(strings.count)
    defer { for copy in copies { free(copy) } }
    for string in strings {
      guard !string.utf8.contains(0) else {
        throw ORTError.binding("tensor name \(string.debugDescription) contains a NUL byte")
      }
      guard let copy = strdup(string) else { throw ORTError.binding("out of memory copying name '\(string)'") }
      copies.append(copy)
    }
    let pointers = copies.map { UnsafePointer($0) }
    return try pointers.withUnsafeBufferPointer { try body($0.baseAddress) }
  }
}
