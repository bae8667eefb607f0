#if canImport(FoundationEssentials)
package import FoundationEssentials
#else
package import Foundation
#endif

/// Reading and writing JSON documents as ``JSONValue`` (the HTTP client's headers and answers, the
/// CLI's output), with Foundation's `JSONEncoder`/`JSONDecoder` underneath.
extension JSONValue {
  /// The member `key` of an object; `nil` for a missing member or a value that is not an object.
  package subscript(key: String) -> JSONValue? {
    if case .object(let members) = self { members[key] } else { nil }
  }

  /// The JSON text of this value (object members in key order, so equal values give equal bytes).
  package func encoded() throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return try encoder.encode(self)
  }

  /// The JSON text of this value indented for people to read.
  package func prettyPrinted() throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(self), as: UTF8.self)
  }
}
