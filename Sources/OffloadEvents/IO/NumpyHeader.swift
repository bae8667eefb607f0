// A small parser for the Python dict literal of an NPY header.

/// The fields of an NPY header: `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 17), }`.
///
/// Accepts what numpy and other writers produce: single- or double-quoted strings,
/// `True`/`False`, tuples of non-negative integers (trailing comma optional, Python 2's `L`
/// suffix allowed), any whitespace, a trailing comma after the last item. Rejects other keys,
/// missing keys, duplicate keys and structured dtypes (a list as `descr`).
struct NumpyHeader: Equatable {
  var descr: String
  var fortranOrder: Bool
  var shape: [Int]

  private enum Value {
    case string(String)
    case bool(Bool)
    case tuple([Int])
  }

  static func parse(_ text: String) throws(NumpyFormatError) -> NumpyHeader {
    var parser = Parser(Array(text.utf8))
    var fields: [String: Value] = [:]
    try parser.expect(UInt8(ascii: "{"))
    while true {
      parser.skipSpace()
      if parser.consume(UInt8(ascii: "}")) { break }
      let key = try parser.string()
      try parser.expect(UInt8(ascii: ":"))
      let value = try parser.value()
      guard fields.updateValue(value, forKey: key) == nil else { throw .malformedHeader("duplicate key '\(key)'") }
      parser.skipSpace()
      if parser.consume(UInt8(ascii: ",")) { continue }
      try parser.expect(UInt8(ascii: "}"))
      break
    }
    parser.skipSpace()
    guard parser.atEnd else { throw .malformedHeader("text after the closing brace") }

    let known: Set<String> = ["descr", "fortran_order", "shape"]
    if let extra = fields.keys.sorted().first(where: { !known.contains($0) }) {
      throw .malformedHeader("unexpected key '\(extra)'")
    }
    guard case .string(let descr)? = fields["descr"] else { throw .malformedHeader("'descr' missing or not a string") }
    guard case .bool(let fortran)? = fields["fortran_order"] else {
      throw .malformedHeader("'fortran_order' missing or not True/False")
    }
    guard case .tuple(let shape)? = fields["shape"] else { throw .malformedHeader("'shape' missing or not a tuple") }
    return NumpyHeader(descr: descr, fortranOrder: fortran, shape: shape)
  }

  private struct Parser {
    let bytes: [UInt8]
    var position = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool { position == bytes.count }

    mutating func skipSpace() {
      while position < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) { position += 1 }
    }

    mutating func consume(_ byte: UInt8) -> Bool {
      guard position < bytes.count, bytes[position] == byte else { return false }
      position += 1
      return true
    }

    mutating func expect(_ byte: UInt8) throws(NumpyFormatError) {
      skipSpace()
      guard consume(byte) else {
        let found = position < bytes.count ? "'\(Character(Unicode.Scalar(bytes[position])))'" : "end of header"
        throw .malformedHeader("expected '\(Character(Unicode.Scalar(byte)))' at \(position), found \(found)")
      }
    }

    mutating func string() throws(NumpyFormatError) -> String {
      skipSpace()
      guard position < bytes.count, bytes[position] == UInt8(ascii: "'") || bytes[position] == UInt8(ascii: "\"")
      else { throw .malformedHeader("expected a quoted string at \(position)") }
      let quote = bytes[position]
      position += 1
      let start = position
      while position < bytes.count, bytes[position] != quote {
        guard bytes[position] != UInt8(ascii: "\\") else {
          throw .malformedHeader("escapes in strings are not supported")
        }
        position += 1
      }
      guard position < bytes.count else { throw .malformedHeader("unterminated string") }
      defer { position += 1 }
      return String(decoding: bytes[start..<position], as: UTF8.self)
    }

    mutating func value() throws(NumpyFormatError) -> Value {
      skipSpace()
      guard position < bytes.count else { throw .malformedHeader("value missing at end of header") }
      switch bytes[position] {
      case UInt8(ascii: "'"), UInt8(ascii: "\""): return .string(try string())
      case UInt8(ascii: "("): return .tuple(try tuple())
      case UInt8(ascii: "["): throw .unsupportedDescr("structured dtype (a list of fields)")
      default:
        if word("True") { return .bool(true) }
        if word("False") { return .bool(false) }
        throw .malformedHeader("unexpected value at \(position)")
      }
    }

    mutating func word(_ text: String) -> Bool {
      let w = Array(text.utf8)
      guard bytes.count - position >= w.count, Array(bytes[position..<position + w.count]) == w else { return false }
      position += w.count
      return true
    }

    mutating func tuple() throws(NumpyFormatError) -> [Int] {
      try expect(UInt8(ascii: "("))
      var items: [Int] = []
      while true {
        skipSpace()
        if consume(UInt8(ascii: ")")) { return items }
        items.append(try integer())
        skipSpace()
        if consume(UInt8(ascii: ",")) { continue }
        try expect(UInt8(ascii: ")"))
        // A one-item tuple needs its comma in Python; `(3)` is the integer 3.
        guard items.count != 1 else { throw .malformedHeader("shape '(n)' is not a tuple") }
        return items
      }
    }

    mutating func integer() throws(NumpyFormatError) -> Int {
      let start = position
      var value = 0
      while position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) {
        let (times10, o1) = value.multipliedReportingOverflow(by: 10)
        let (sum, o2) = times10.addingReportingOverflow(Int(bytes[position] - UInt8(ascii: "0")))
        guard !o1 && !o2 else { throw .malformedHeader("dimension too large") }
        value = sum
        position += 1
      }
      guard position > start else { throw .malformedHeader("expected a non-negative integer at \(position)") }
      _ = consume(UInt8(ascii: "L"))
      return value
    }
  }
}
