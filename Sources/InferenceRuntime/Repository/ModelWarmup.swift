internal import KServeProtocol
internal import Logging
internal import TritonModelConfig

#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif

/// Runs a model's `model_warmup` samples (config.pbtxt) on every instance before the version is marked
/// READY, as Triton does: the first real request then finds sessions, allocators and caches warm, and a
/// readiness probe stays false until warm-up finished. A failing sample fails the version's load.
///
/// Sample data: `zero_data` zeros (empty strings for BYTES); `random_data` random values that every model
/// accepts (floats in [0, 1), integers 0 or 1 so index inputs stay in range, random booleans);
/// `input_data_file` raw little-endian bytes from `<model>/warmup/<file>`, which must hold exactly the
/// sample's size.
enum ModelWarmup {
  struct Sample {
    var name: String
    var count: Int
    var inputs: [InferenceTensor]
  }

  /// The samples of a configuration.
  /// - Throws: ``InferenceError`` naming the sample and input when one cannot be built.
  static func samples(_ config: Inference_ModelConfig, modelDirectory: URL) throws -> [Sample] {
    try config.modelWarmup.enumerated().map { position, warmup in
      let name = warmup.name.isEmpty ? "#\(position)" : warmup.name
      let inputs = try warmup.inputs.sorted { $0.key < $1.key }.map { inputName, input in
        let what = "warm-up sample '\(name)' input '\(inputName)'"
        guard let datatype = DataType(config: input.dataType) else {
          throw InferenceError(.invalidArgument, "\(what): data_type \(input.dataType) is not supported")
        }
        let batch: [Int64] = config.maxBatchSize > 0 && warmup.batchSize > 0 ? [Int64(warmup.batchSize)] : []
        let shape = batch + input.dims
        guard let count = TensorShape.elementCount(shape) else {
          throw InferenceError(.invalidArgument, "\(what): dims \(input.dims) must be non-negative")
        }
        let data: Data
        switch input.inputDataType {
        case .inputDataFile(let file)?:
          let url = modelDirectory.appendingPathComponent("warmup").appendingPathComponent(file)
          guard url.standardizedFileURL.path.hasPrefix(modelDirectory.standardizedFileURL.path + "/warmup/") else {
            throw InferenceError(.invalidArgument, "\(what): input_data_file '\(file)' leaves the warmup directory")
          }
          guard let contents = FileManager.default.contents(atPath: url.path) else {
            throw InferenceError(.invalidArgument, "\(what): cannot read \(url.path)")
          }
          if let size = datatype.elementSize, contents.count != size * count {
            throw InferenceError(
              .invalidArgument, "\(what): \(url.path) holds \(contents.count) bytes, the sample needs \(size * count)")
          }
          data = contents
        case .randomData(true)?:
          data = randomData(datatype, count: count)
        default:
          data =
            datatype.elementSize.map { Data(count: $0 * count) } ?? Data(count: 4 * count)  // BYTES: empty strings
        }
        return InferenceTensor(name: inputName, datatype: datatype, shape: shape, data: data)
      }
      return Sample(name: name, count: max(1, Int(warmup.count)), inputs: inputs)
    }
  }

  /// Runs every sample `count` times on each instance.
  static func run(
    _ config: Inference_ModelConfig, modelDirectory: URL, instances: [any ModelInstance], logger: Logger
  ) throws {
    let samples = try samples(config, modelDirectory: modelDirectory)
    guard !samples.isEmpty else { return }
    let outputs = config.output.map { OutputSpec(name: $0.name, datatype: DataType(config: $0.dataType) ?? .bytes) }
    let reshape = TensorReshape(config: config)
    let start = ContinuousClock.now
    for sample in samples {
      for (index, instance) in instances.enumerated() {
        for _ in 0..<sample.count {
          do {
            _ = try instance.execute(inputs: reshape.modelInputs(sample.inputs), outputs: outputs)
          } catch {
            throw InferenceError(
              .invalidArgument,
              "warm-up sample '\(sample.name)' failed on instance \(index): \(ModelRuntime.reason(error))")
          }
        }
      }
    }
    logger.info(
      "model warm-up done",
      metadata: [
        "samples": "\(samples.count)", "instances": "\(instances.count)", "took": "\(ContinuousClock.now - start)",
      ])
  }

  static func randomData(_ datatype: DataType, count: Int) -> Data {
    func pack<T: TensorElement>(_ make: () -> T) -> Data {
      var values: [T] = []
      values.reserveCapacity(count)
      for _ in 0..<count { values.append(make()) }
      return values.withUnsafeBytes { Data($0) }
    }
    func unit() -> Double { Double.random(in: 0..<1) }
    func bit() -> UInt64 { UInt64.random(in: 0...1) }
    switch datatype {
    case .fp32: return pack { Float(unit()) }
    case .fp64: return pack { unit() }
    case .fp16: return pack { Float16(unit()) }
    case .bf16: return pack { UInt16(truncatingIfNeeded: Float(unit()).bitPattern >> 16) }
    case .bool: return pack { Bool.random() }
    case .uint8: return pack { UInt8(bit()) }
    case .uint16: return pack { UInt16(bit()) }
    case .uint32: return pack { UInt32(bit()) }
    case .uint64: return pack { bit() }
    case .int8: return pack { Int8(bit()) }
    case .int16: return pack { Int16(bit()) }
    case .int32: return pack { Int32(bit()) }
    case .int64: return pack { Int64(bit()) }
    case .bytes: return Data(count: 4 * count)
    }
  }
}
