internal import ArgumentParser
internal import KServeProtocol
internal import OffloadBench
internal import OffloadClient

#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif

/// `offload infer`: one inference through the client library (pool, retries, fallback), with inputs
/// from raw little-endian files or generated, and the outputs printed.
struct InferCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "infer",
    abstract: "Send one inference request (inputs from files or random data) and print the outputs.",
    discussion: """
      Input files hold the raw tensor in row-major, little-endian order (numpy: array.astype('<f4').tofile(path)); \
      BYTES inputs hold one string per line. Inputs without a file get --data (random or zero).
      """)

  @OptionGroup var client: ClientOptions

  @Option(name: [.customShort("m"), .customLong("model")], help: "Model name.")
  var model: String

  @Option(name: [.customShort("x"), .customLong("model-version")], help: "Model version (default: the server's).")
  var version: String = ""

  @Option(
    name: [.customShort("b"), .customLong("batch-size")], help: "Rows for inputs whose first dimension is variable.")
  var batchSize: Int = 1

  @Option(name: .customLong("input"), help: "NAME=FILE: an input's raw data (repeatable).")
  var inputFiles: [String] = []

  @Option(
    name: .customLong("shape"), help: "NAME=D1,D2,...: full shape of an input with variable dimensions (repeatable).")
  var shapes: [String] = []

  @Option(help: "Data for inputs without a file: random or zero.")
  var data: String = "random"

  @Option(name: .customLong("seed"), help: "Seed of the random input data.")
  var seed: UInt64 = 1

  @Option(name: .customLong("print-limit"), help: "Values printed per output (0: all).")
  var printLimit: Int = 16

  @Flag(name: .customLong("json"), help: "Print the response as JSON.")
  var json = false

  func validate() throws {
    guard ["random", "zero"].contains(data) else { throw ValidationError("--data must be random or zero") }
    guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
  }

  func run() async throws {
    try await client.onEventLoops { try await runOnEventLoops() }
  }

  private func runOnEventLoops() async throws {
    let client = try client.makeClient()
    let files = try Self.pairs(inputFiles, option: "--input")
    let shapeOverrides = try Self.pairs(shapes, option: "--shape").mapValues { text -> [Int64] in
      let dims = text.split(separator: ",").compactMap { Int64($0) }
      guard !dims.isEmpty, dims.allSatisfy({ $0 >= 0 }) else {
        throw ValidationError("--shape \(text): give non-negative dimensions like 1,17")
      }
      return dims
    }
    let response = try await client.withRunning {
      let signature = try await client.signature(of: model, version: version)
      for name in Set(files.keys).union(shapeOverrides.keys)
      where !signature.inputs.contains(where: { $0.name == name }) {
        throw ValidationError(
          "model '\(model)' has no input '\(name)'; its inputs: \(signature.inputs.map(\.description).joined(separator: "; "))"
        )
      }
      var generator = SeededGenerator(seed: seed)
      let inputs = try signature.inputs.map { description in
        try InputFactory.make(
          description, shape: shapeOverrides[description.name], file: files[description.name], batchSize: batchSize,
          zero: data == "zero", random: &generator)
      }
      return try await client.infer(InferenceRequest(modelName: model, modelVersion: version, inputs: inputs))
    }
    print(json ? try Self.json(response) : Self.text(response, limit: printLimit))
  }

  static func pairs(_ values: [String], option: String) throws -> [String: String] {
    var result: [String: String] = [:]
    for value in values {
      guard let eq = value.firstIndex(of: "="), eq != value.startIndex else {
        throw ValidationError("\(option) \(value): write NAME=VALUE")
      }
      result[String(value[..<eq])] = String(value[value.index(after: eq)...])
    }
    return result
  }

  static func text(_ response: InferenceResponse, limit: Int) -> String {
    var lines = ["model \(response.modelName) version \(response.modelVersion)"]
    for (key, value) in response.parameters.sorted(by: { $0.key < $1.key }) {
      lines.append("  \(key) = \(plain(value))")
    }
    for output in response.outputs {
      lines.append("\(output.name) \(output.datatype.rawValue) \(TensorShape.describe(output.shape))")
      let values = render(output)
      let shown = limit > 0 ? Array(values.prefix(limit)) : values
      lines.append(
        "  [" + shown.joined(separator: ", ") + (shown.count < values.count ? ", … (\(values.count) values)" : "") + "]"
      )
    }
    return lines.joined(separator: "\n")
  }

  static func plain(_ value: InferenceParameter) -> String {
    switch value {
    case .bool(let v): "\(v)"
    case .int64(let v): "\(v)"
    case .uint64(let v): "\(v)"
    case .double(let v): "\(v)"
    case .string(let v): v
    }
  }

  static func render(_ tensor: InferenceTensor) -> [String] {
    if let numbers = tensor.datatype.visitNumeric(ValueText(tensor: tensor)) { return numbers }
    switch tensor.datatype {
    case .bool: return ValueText(tensor: tensor).text(Bool.self)
    case .bytes: return ((try? tensor.strings()) ?? []).map { "\"\($0)\"" }
    case .bf16:
      return tensor.data.withUnsafeBytes { raw in
        stride(from: 0, to: raw.count - 1, by: 2).map { i in
          "\(Float(bitPattern: UInt32(raw.loadUnaligned(fromByteOffset: i, as: UInt16.self)) << 16))"
        }
      }
    default: return []  // the numeric datatypes, answered above
    }
  }

  static func json(_ response: InferenceResponse) throws -> String {
    var outputs: [JSONValue] = []
    for output in response.outputs {
      let values = render(output).map { text -> JSONValue in Double(text).map(JSONValue.double) ?? .string(text) }
      outputs.append(
        .object([
          "name": .string(output.name), "datatype": .string(output.datatype.rawValue),
          "shape": .array(output.shape.map(JSONValue.int)), "data": .array(values),
        ]))
    }
    var parameters: [String: JSONValue] = [:]
    for (key, value) in response.parameters { parameters[key] = .string(plain(value)) }
    let object: JSONValue = .object([
      "model_name": .string(response.modelName), "model_version": .string(response.modelVersion),
      "outputs": .array(outputs), "parameters": .object(parameters),
    ])
    return try object.prettyPrinted()
  }
}

/// A tensor's values as text, one string each.
private struct ValueText: NumericElementVisitor {
  typealias Failure = Never
  let tensor: InferenceTensor

  func integer<T: TensorElement & FixedWidthInteger>(_ type: T.Type) -> [String] { text(type) }
  func floatingPoint<T: TensorElement & BinaryFloatingPoint>(_ type: T.Type) -> [String] { text(type) }

  func text<T: TensorElement>(_: T.Type) -> [String] { ((try? tensor.values(as: T.self)) ?? []).map { "\($0)" } }
}
