internal import KServeProtocol

#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif

/// KServe v2 JSON tensor data ↔ Triton's raw wire layout. JSON data may be flat or nested to the tensor's
/// shape (both are accepted, as the protocol allows); numbers must fit the datatype; BOOL is `true`/`false`
/// (or 0/1); BYTES elements are strings.
enum JSONTensorCodec {
  /// Encodes JSON `data` of a tensor into raw bytes.
  /// - Throws: ``InferenceError`` (invalid argument) naming the tensor, the element and the fix.
  static func decode(_ json: JSONValue, datatype: DataType, shape: [Int64], name: String) throws -> Data {
    var flat: [JSONValue] = []
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
        .invalidArgument,
        "input '\(name)': element \(i) (\(flat[i].description)) is not a valid \(datatype.rawValue) (\(what))")
    }
    func number(_ i: Int) throws -> Double {
      switch flat[i] {
      case .int(let v): return Double(v)
      case .uint(let v): return Double(v)
      case .double(let v): return v
      default: throw bad(i, "expected a number")
      }
    }
    func integer<T: FixedWidthInteger>(_: T.Type) throws -> Data {
      var data = Data(capacity: expected * MemoryLayout<T>.size)
      for i in 0..<expected {
        let exact: T?
        switch flat[i] {
        case .int(let v): exact = T(exactly: v)
        case .uint(let v): exact = T(exactly: v)
        case .double(let v): exact = v.rounded() == v ? T(exactly: v) : nil
        default: exact = nil
        }
        guard let exact else { throw bad(i, "expected an integer in \(T.min)...\(T.max)") }
        withUnsafeBytes(of: exact.littleEndian) { data.append(contentsOf: $0) }
      }
      return data
    }
    switch datatype {
    case .bool:
      var data = Data(capacity: expected)
      for i in 0..<expected {
        switch flat[i] {
        case .bool(let b): data.append(b ? 1 : 0)
        case .int(let v) where v == 0 || v == 1: data.append(UInt8(v))
        default: throw bad(i, "expected true or false")
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
        switch flat[i] {
        case .string(let s): elements.append(Array(s.utf8))
        // The decoder turns the strings "NaN"/"Infinity"/"-Infinity" into numbers; give them back.
        case .double(let d) where !d.isFinite:
          elements.append(Array((d.isNaN ? "NaN" : d > 0 ? "Infinity" : "-Infinity").utf8))
        default: throw bad(i, "expected a string")
        }
      }
      return BytesTensorCodec.encode(elements)
    }
  }

  /// The elements of a tensor as a JSON array text (flat, row major). FP32 and FP64 are written in their
  /// shortest round-trip form, FP16 and BF16 as the exact double of their value, `-0.0` keeps its sign, and non-finite values are `NaN`, `Infinity` and
  /// `-Infinity` as Triton writes them.
  static func encode(_ tensor: InferenceTensor) throws -> String {
    let data = tensor.data
    func ints<T: FixedWidthInteger>(_: T.Type) -> [String] {
      data.withUnsafeBytes { raw in
        stride(from: 0, to: raw.count - MemoryLayout<T>.size + 1, by: MemoryLayout<T>.size).map {
          "\(T(littleEndian: raw.loadUnaligned(fromByteOffset: $0, as: T.self)))"
        }
      }
    }
    func float<F: BinaryFloatingPoint & LosslessStringConvertible>(_ value: F) -> String {
      if value.isNaN { return "NaN" }
      if value.isInfinite { return value > 0 ? "Infinity" : "-Infinity" }
      return value.description
    }
    let elements: [String]
    switch tensor.datatype {
    case .bool: elements = data.map { $0 != 0 ? "true" : "false" }
    case .uint8: elements = ints(UInt8.self)
    case .uint16: elements = ints(UInt16.self)
    case .uint32: elements = ints(UInt32.self)
    case .uint64: elements = ints(UInt64.self)
    case .int8: elements = ints(Int8.self)
    case .int16: elements = ints(Int16.self)
    case .int32: elements = ints(Int32.self)
    case .int64: elements = ints(Int64.self)
    case .fp32:
      elements = data.withUnsafeBytes { raw in
        stride(from: 0, to: raw.count - 3, by: 4).map { float(raw.loadUnaligned(fromByteOffset: $0, as: Float.self)) }
      }
    case .fp64:
      elements = data.withUnsafeBytes { raw in
        stride(from: 0, to: raw.count - 7, by: 8).map { float(raw.loadUnaligned(fromByteOffset: $0, as: Double.self)) }
      }
    case .fp16:
      elements = data.withUnsafeBytes { raw in
        stride(from: 0, to: raw.count - 1, by: 2).map {
          float(Double(Float16(bitPattern: raw.loadUnaligned(fromByteOffset: $0, as: UInt16.self))))
        }
      }
    case .bf16:
      elements = data.withUnsafeBytes { raw in
        stride(from: 0, to: raw.count - 1, by: 2).map {
          float(Double(Float(bitPattern: UInt32(raw.loadUnaligned(fromByteOffset: $0, as: UInt16.self)) << 16)))
        }
      }
    case .bytes:
      elements = try BytesTensorCodec.decode(data, expectedCount: tensor.elementCount ?? 0, tensorName: tensor.name)
        .map { jsonString(String(decoding: $0, as: UTF8.self)) }
    }
    return "[" + elements.joined(separator: ",") + "]"
  }

  /// A JSON string literal.
  static func jsonString(_ value: String) -> String {
    var out = "\""
    for scalar in value.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      default:
        if scalar.value < 0x20 {
          let hex = String(scalar.value, radix: 16)
          out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        } else {
          out.unicodeScalars.append(scalar)
        }
      }
    }
    return out + "\""
  }

  static func flatten(_ value: JSONValue, into flat: inout [JSONValue]) {
    if case .array(let array) = value {
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
