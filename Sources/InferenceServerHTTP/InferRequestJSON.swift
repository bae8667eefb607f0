internal import KServeProtocol

#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif

/// The JSON part of a KServe v2 infer request, decoded field by field with the types the protocol gives them.
///
/// Reading the whole document as untyped ``JSONValue``s made JSONDecoder probe every value's type by failing:
/// about 34 thrown `DecodingError`s (each building its coding path) for a one-input binary request, a quarter
/// of the server's CPU per HTTP request (docs/benchmarks.md). Here a field of the expected type decodes with no
/// error thrown; a field of another type is kept as its raw ``JSONValue`` (``Field/raw``), so
/// ``HTTPInferCodec`` checks exactly what was sent and says what is wrong. Tensor `data` stays a ``JSONValue``
/// (its element type depends on the datatype).
struct InferRequestJSON: Decodable, Sendable {
  /// A field of type `T`, or what was sent instead.
  enum Field<T: Decodable & Sendable>: Sendable {
    case typed(T)
    case raw(JSONValue)

    var value: T? {
      if case .typed(let value) = self { return value }
      return nil
    }
  }

  struct Input: Decodable, Sendable {
    var name: Field<String>?
    var datatype: Field<String>?
    var shape: Field<[Int64]>?
    var parameters: [String: ParameterValue]?
    var data: JSONValue?

    enum Keys: String, CodingKey { case name, datatype, shape, parameters, data }

    init(from decoder: any Decoder) throws {
      let container = try decoder.container(keyedBy: Keys.self)
      name = try container.field(String.self, forKey: .name)
      datatype = try container.field(String.self, forKey: .datatype)
      shape = try container.field([Int64].self, forKey: .shape)
      parameters = try? container.decodeIfPresent([String: ParameterValue].self, forKey: .parameters)
      data = try container.decodeIfPresent(JSONValue.self, forKey: .data)
    }
  }

  struct Output: Decodable, Sendable {
    var name: Field<String>?
    var parameters: [String: ParameterValue]?

    enum Keys: String, CodingKey { case name, parameters }

    init(from decoder: any Decoder) throws {
      let container = try decoder.container(keyedBy: Keys.self)
      name = try container.field(String.self, forKey: .name)
      parameters = try? container.decodeIfPresent([String: ParameterValue].self, forKey: .parameters)
    }
  }

  /// An element of `inputs` or `outputs`: the entry, or `nil` when it is not a JSON object.
  struct Entry<T: Decodable & Sendable>: Decodable, Sendable {
    var entry: T?

    init(from decoder: any Decoder) throws {
      // Only a non-object element fails here (its fields are read leniently); it is reported by index.
      entry = try? T(from: decoder)
    }
  }

  /// A parameter's value: KServe parameters are int64, bool, string or double, probed in that order (the
  /// common `binary_data_size` first); anything else is kept as a ``JSONValue`` (and has no parameter). The
  /// order differs from `JSONValue`'s on purpose: it reads a string before a double, so a parameter `"NaN"`
  /// stays a string, where `JSONValue` reads its quoted non-finite tokens as doubles.
  struct ParameterValue: Decodable, Sendable {
    var value: JSONValue

    init(from decoder: any Decoder) throws {
      let single = try decoder.singleValueContainer()
      if single.decodeNil() {
        value = .null
      } else if let int = try? single.decode(Int64.self) {
        value = .int(int)
      } else if let bool = try? single.decode(Bool.self) {
        value = .bool(bool)
      } else if let string = try? single.decode(String.self) {
        value = .string(string)
      } else if let uint = try? single.decode(UInt64.self) {
        value = .uint(uint)
      } else if let double = try? single.decode(Double.self) {
        value = .double(double)
      } else {
        value = try JSONValue(from: decoder)
      }
    }
  }

  /// Whether the document is a JSON object at all.
  var isObject = true
  var id: Field<String>?
  var parameters: [String: ParameterValue]?
  /// `nil` when missing; `.raw` when not an array.
  var inputs: Field<[Entry<Input>]>?
  var outputs: Field<[Entry<Output>]>?

  enum Keys: String, CodingKey { case id, parameters, inputs, outputs }

  init(from decoder: any Decoder) throws {
    guard let container = try? decoder.container(keyedBy: Keys.self) else {
      isObject = false
      return
    }
    id = try container.field(String.self, forKey: .id)
    parameters = try? container.decodeIfPresent([String: ParameterValue].self, forKey: .parameters)
    inputs = try container.field([Entry<Input>].self, forKey: .inputs)
    outputs = try container.field([Entry<Output>].self, forKey: .outputs)
  }

  /// Parses the JSON part of a request (bare `NaN` / `Infinity` / `-Infinity` allowed, as in ``JSONValue``).
  static func parse(_ data: Data) throws -> InferRequestJSON {
    try JSONValue.decoder().decode(InferRequestJSON.self, from: JSONValue.quotingNonFiniteTokens(data))
  }
}

extension KeyedDecodingContainer {
  /// The field as `T` when it has that type (no error thrown), else as the raw JSON sent; `nil` when absent.
  fileprivate func field<T: Decodable & Sendable>(
    _ type: T.Type, forKey key: Key
  ) throws -> InferRequestJSON.Field<T>? {
    guard contains(key) else { return nil }
    if let value = try? decode(T.self, forKey: key) { return .typed(value) }
    return .raw(try decode(JSONValue.self, forKey: key))
  }
}
