internal import Foundation
internal import KServeProtocol

/// KServe v2 JSON tensor data ↔ Triton's raw wire layout. JSON data may be flat or nested to the tensor's
/// shape (both are accepted, as the protocol allows); numbers must fit the datatype; BOOL is `true`/`false`
/// (or 0/1); BYTES elements are strings.
enum JSONTensorCodec {
  /// Encodes JSON `data` of a tensor into raw bytes.
  /// - Throws: ``InferenceError`` (invalid argument) naming the tensor, the element and the fix.
  static func decode(_ json: Any, datatype: DataType, shape: [Int64], name: String) throws -> Data {
    var flat: [Any] = []
    flatten(json, into: &flat)
    guard let expected = TensorShape.elementCount(shape) else {
      throw InferenceError(.invalidArgument, "input '\(name)': shape \(TensorShape.describe(shape)) is not valid")
    }
    guard flat.count == expected else {
      throw InferenceError(
        .invalidArgument,
        "input '\(name)': 'data' holds \(flat.count) element(s) but shape \(TensorShape.describe(shape)) needs "
          + "\(expected); send as many values as the product of the dimensions")
    }
    func bad(_ i: Int, _ what: String) -> InferenceError {
      InferenceError(
        .invalidArgument, "input '\(name)': element \(i) (\(flat[i])) is not a valid \(datatype.rawValue) (\(what))")
    }
    func number(_ i: Int) throws -> Double {
      if let n = flat[i] as? NSNumber, !isBool(n) { return n.doubleValue }
      throw bad(i, "expected a number")
    }
    func integer<T: FixedWidthInteger>(_: T.Type) throws -> Data {
      var data = Data(capacity: expected * MemoryLayout<T>.size)
      for i in 0..<expected {
        let value = try number(i)
        guard value.rounded() == value, let exact = T(exactly: value) else {
          throw bad(i, "expected an integer in \(T.min)...\(T.max)")
        }
        withUnsafeBytes(of: exact.littleEndian) { data.append(contentsOf: $0) }
      }
      return data
    }
    switch datatype {
    case .bool:
      var data = Data(capacity: expected)
      for i in 0..<expected {
        if let n = flat[i] as? NSNumber, isBool(n) {
          data.append(n.boolValue ? 1 : 0)
        } else if let n = flat[i] as? NSNumber, n.doubleValue == 0 || n.doubleValue == 1 {
          data.append(n.doubleValue == 1 ? 1 : 0)
        } else {
          throw bad(i, "expected true or false")
        }
      }
      return data
    case .uint8: return try integer(UInt8.self)
    case .uint16: return try integer(UInt16.self)
    case .uint32: return try integer(UInt32.self)
    case .uint64: return try integer(UInt64.self)
    case .int8: return try integer(Int8.self)
    case .int16: return try integer(Int16.self)
    case .int32: return try integer(Int32.self)
    case .int64: return try integer(Int64.self)
    case .fp32:
      var values = [Float](repeating: 0, count: expected)
      for i in 0..<expected { values[i] = Float(try number(i)) }
      return values.withUnsafeBytes { Data($0) }
    case .fp64:
      var values = [Double](repeating: 0, count: expected)
      for i in 0..<expected { values[i] = try number(i) }
      return values.withUnsafeBytes { Data($0) }
    case .fp16:
      var bits = [UInt16](repeating: 0, count: expected)
      for i in 0..<expected { bits[i] = Float16(Float(try number(i))).bitPattern }
      return bits.withUnsafeBytes { Data($0) }
    case .bf16:
      var bits = [UInt16](repeating: 0, count: expected)
      for i in 0..<expected { bits[i] = bfloat16Bits(Float(try number(i))) }
      return bits.withUnsafeBytes { Data($0) }
    case .bytes:
      var elements: [[UInt8]] = []
      elements.reserveCapacity(expected)
      for i in 0..<expected {
        guard let s = flat[i] as? String else { throw bad(i, "expected a string") }
        elements.append(Array(s.utf8))
      }
      return BytesTensorCodec.encode(elements)
    }
  }

  /// The elements of a tensor as JSON values (flat, row major).
  static func encode(_ tensor: InferenceTensor) throws -> [Any] {
    let data = tensor.data
    func read<T: FixedWidthInteger>(_: T.Type) -> [Any] {
      data.withUnsafeBytes { raw in
        stride(from: 0, to: raw.count - MemoryLayout<T>.size + 1, by: MemoryLayout<T>.size).map {
          NSNumber(value: Int64(truncatingIfNeeded: T(littleEndian: raw.loadUnaligned(fromByteOffset: $0, as: T.self))))
        }
      }
    }
    switch tensor.datatype {
    case .bool: return data.map { $0 != 0 }
    case .uint8: return read(UInt8.self)
    case .uint16: return read(UInt16.self)
    case .uint32: return read(UInt32.self)
    case .uint64:
      return data.withUnsafeBytes { raw in
        stride(from: 0, to: raw.count - 7, by: 8).map {
          NSNumber(value: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: $0, as: UInt64.self)))
        }
      }
    case .int8: return read(Int8.self)
    case .int16: return read(Int16.self)
    case .int32: return read(Int32.self)
    case .int64: return read(Int64.self)
    case .fp32:
      return data.withUnsafeBytes { raw in
        stride(from: 0, to: raw.count - 3, by: 4).map { Double(raw.loadUnaligned(fromByteOffset: $0, as: Float.self)) }
      }
    case .fp64:
      return data.withUnsafeBytes { raw in
        stride(from: 0, to: raw.count - 7, by: 8).map { raw.loadUnaligned(fromByteOffset: $0, as: Double.self) }
      }
    case .fp16:
      return data.withUnsafeBytes { raw in
        stride(from: 0, to: raw.count - 1, by: 2).map {
          Double(Float16(bitPattern: raw.loadUnaligned(fromByteOffset: $0, as: UInt16.self)))
        }
      }
    case .bf16:
      return data.withUnsafeBytes { raw in
        stride(from: 0, to: raw.count - 1, by: 2).map {
          Double(Float(bitPattern: UInt32(raw.loadUnaligned(fromByteOffset: $0, as: UInt16.self)) << 16))
        }
      }
    case .bytes:
      return try BytesTensorCodec.decode(data, expectedCount: tensor.elementCount ?? 0, tensorName: tensor.name).map {
        String(decoding: $0, as: UTF8.self)
      }
    }
  }

  /// Whether a number parsed from JSON was `true`/`false` (Foundation boxes both as NSNumber).
  static func isBool(_ n: NSNumber) -> Bool { String(cString: n.objCType) == "c" }

  static func flatten(_ value: Any, into flat: inout [Any]) {
    if let array = value as? [Any] {
      for element in array { flatten(element, into: &flat) }
    } else {
      flat.append(value)
    }
  }

  /// Round-to-nearest-even conversion of a Float to bfloat16 bits.
  static func bfloat16Bits(_ value: Float) -> UInt16 {
    let bits = value.bitPattern
    if value.isNaN { return UInt16(bits >> 16) | 0x40 }
    let rounding = UInt32(0x7FFF) + ((bits >> 16) & 1)
    return UInt16((bits &+ rounding) >> 16)
  }
}
