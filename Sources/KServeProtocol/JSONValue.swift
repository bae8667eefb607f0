#if canImport(FoundationEssentials)
package import FoundationEssentials
#else
package import Foundation
#endif

/// A parsed JSON value that keeps numbers exact: integers as 64-bit integers, other numbers as the
/// correctly rounded `Double` of their text (Foundation's `JSONDecoder` parses numbers exactly;
/// `JSONSerialization` on Linux does not). `NaN`, `Infinity` and `-Infinity` tokens, which Triton and
/// tritonclient use for non-finite floats, are accepted. `package` for the fuzz harness (Fuzz/FuzzHarness).
package enum JSONValue: Decodable, Equatable, Sendable {
  case null
  case bool(Bool)
  case int(Int64)
  case uint(UInt64)
  case double(Double)
  case string(String)
  case array([JSONValue])
  case object([String: JSONValue])

  package init(from decoder: any Decoder) throws {
    if var array = try? decoder.unkeyedContainer() {
      var values: [JSONValue] = []
      if let count = array.count { values.reserveCapacity(count) }
      while !array.isAtEnd { values.append(try array.decode(JSONValue.self)) }
      self = .array(values)
      return
    }
    if let object = try? decoder.container(keyedBy: AnyKey.self) {
      var values: [String: JSONValue] = [:]
      for key in object.allKeys { values[key.stringValue] = try object.decode(JSONValue.self, forKey: key) }
      self = .object(values)
      return
    }
    let single = try decoder.singleValueContainer()
    if single.decodeNil() {
      self = .null
    } else if let b = try? single.decode(Bool.self) {
      self = .bool(b)
    } else if let i = try? single.decode(Int64.self) {
      self = .int(i)
    } else if let u = try? single.decode(UInt64.self) {
      self = .uint(u)
    } else if let d = try? single.decode(Double.self) {
      self = .double(d)
    } else {
      self = .string(try single.decode(String.self))
    }
  }

  /// A coding key for any member name.
  package struct AnyKey: CodingKey {
    package var stringValue: String
    package var intValue: Int? { nil }
    package init(stringValue: String) { self.stringValue = stringValue }
    package init?(intValue: Int) { nil }
  }

  /// Parses JSON text (with bare `NaN` / `Infinity` / `-Infinity` tokens allowed).
  package static func parse(_ data: Data) throws -> JSONValue {
    try decoder().decode(JSONValue.self, from: quotingNonFiniteTokens(data))
  }

  /// A JSON decoder that reads the strings `"NaN"`, `"Infinity"` and `"-Infinity"` as those doubles.
  package static func decoder() -> JSONDecoder {
    let decoder = JSONDecoder()
    decoder.nonConformingFloatDecodingStrategy = .convertFromString(
      positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
    return decoder
  }

  /// Rewrites bare `NaN`, `Infinity` and `-Infinity` outside strings as the strings `"NaN"` etc.
  package static func quotingNonFiniteTokens(_ data: Data) -> Data {
    let bytes = [UInt8](data)
    // One scan; the output copy starts only at the first token to rewrite (most bodies have none).
    var output: [UInt8] = []
    var changed = false
    var inString = false
    var escaped = false
    var i = 0
    let nan = Array("NaN".utf8)
    let infinity = Array("Infinity".utf8)
    while i < bytes.count {
      let c = bytes[i]
      if inString {
        if escaped {
          escaped = false
        } else if c == UInt8(ascii: "\\") {
          escaped = true
        } else if c == UInt8(ascii: "\"") {
          inString = false
        }
      } else if c == UInt8(ascii: "\"") {
        inString = true
      } else if c == UInt8(ascii: "N") || c == UInt8(ascii: "I")
        || (c == UInt8(ascii: "-") && i + 1 < bytes.count && bytes[i + 1] == UInt8(ascii: "I"))
      {
        let start = c == UInt8(ascii: "-") ? i + 1 : i
        let token = bytes[start] == UInt8(ascii: "N") ? nan : infinity
        if bytes.count >= start + token.count, Array(bytes[start..<start + token.count]) == token {
          if !changed {
            output = Array(bytes[..<i])
            changed = true
          }
          output.append(UInt8(ascii: "\""))
          output.append(contentsOf: bytes[i..<start + token.count])
          output.append(UInt8(ascii: "\""))
          i = start + token.count
          continue
        }
      }
      if changed { output.append(c) }
      i += 1
    }
    return changed ? Data(output) : data
  }

  package var objectValue: [String: JSONValue]? {
    if case .object(let o) = self { return o }
    return nil
  }

  package var arrayValue: [JSONValue]? {
    if case .array(let a) = self { return a }
    return nil
  }

  package var stringValue: String? {
    if case .string(let s) = self { return s }
    return nil
  }

  package var int64Value: Int64? {
    switch self {
    case .int(let i): i
    case .uint(let u): Int64(exactly: u)
    case .double(let d): d.rounded() == d ? Int64(exactly: d) : nil
    default: nil
    }
  }

  /// An array of integers (a tensor shape); integral numbers written as doubles (`17.0`) count. `nil` for
  /// anything else, or when one element is not such a number.
  package var int64Array: [Int64]? {
    guard case .array(let values) = self else { return nil }
    let integers = values.compactMap(\.int64Value)
    return integers.count == values.count ? integers : nil
  }

  /// An inference parameter as JSON (the inverse of ``parameter``).
  package init(_ parameter: InferenceParameter) {
    switch parameter {
    case .bool(let v): self = .bool(v)
    case .int64(let v): self = .int(v)
    case .uint64(let v): self = .uint(v)
    case .double(let v): self = .double(v)
    case .string(let v): self = .string(v)
    }
  }

  /// The value as an inference parameter (objects and arrays have none).
  package var parameter: InferenceParameter? {
    switch self {
    case .bool(let b): .bool(b)
    case .int(let i): .int64(i)
    case .uint(let u): .uint64(u)
    case .double(let d): .double(d)
    case .string(let s): .string(s)
    default: nil
    }
  }

  package var description: String {
    switch self {
    case .null: "null"
    case .bool(let b): "\(b)"
    case .int(let i): "\(i)"
    case .uint(let u): "\(u)"
    case .double(let d): "\(d)"
    case .string(let s): "\"\(s)\""
    case .array: "[…]"
    case .object: "{…}"
    }
  }
}

extension JSONValue: Encodable {
  package func encode(to encoder: any Encoder) throws {
    switch self {
    case .null:
      var single = encoder.singleValueContainer()
      try single.encodeNil()
    case .bool(let b):
      var single = encoder.singleValueContainer()
      try single.encode(b)
    case .int(let i):
      var single = encoder.singleValueContainer()
      try single.encode(i)
    case .uint(let u):
      var single = encoder.singleValueContainer()
      try single.encode(u)
    case .double(let d):
      var single = encoder.singleValueContainer()
      try single.encode(d)
    case .string(let s):
      var single = encoder.singleValueContainer()
      try single.encode(s)
    case .array(let values):
      var array = encoder.unkeyedContainer()
      for value in values { try array.encode(value) }
    case .object(let values):
      var object = encoder.container(keyedBy: AnyKey.self)
      for (key, value) in values { try object.encode(value, forKey: AnyKey(stringValue: key)) }
    }
  }
}
