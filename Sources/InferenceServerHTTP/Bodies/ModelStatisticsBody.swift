internal import Hummingbird
internal import InferenceRuntime

/// `GET /v2/models[/{model}[/versions/{version}]]/stats`: Triton's statistics extension.
struct ModelStatisticsBody: ResponseEncodable {
  struct Duration: Encodable {
    var count: UInt64
    var ns: UInt64

    init(_ duration: StatisticDuration) {
      count = duration.count
      ns = duration.nanoseconds
    }
  }

  struct InferenceStats: Encodable {
    var success, fail, queue: Duration
    var computeInput, computeInfer, computeOutput: Duration
    var cacheHit, cacheMiss: Duration

    enum CodingKeys: String, CodingKey {
      case success, fail, queue
      case computeInput = "compute_input", computeInfer = "compute_infer", computeOutput = "compute_output"
      case cacheHit = "cache_hit", cacheMiss = "cache_miss"
    }
  }

  struct BatchStats: Encodable {
    var batchSize: UInt64
    var computeInput, computeInfer, computeOutput: Duration

    enum CodingKeys: String, CodingKey {
      case batchSize = "batch_size"
      case computeInput = "compute_input", computeInfer = "compute_infer", computeOutput = "compute_output"
    }
  }

  struct Model: Encodable {
    var name: String
    var version: String
    var lastInference: UInt64
    var inferenceCount: UInt64
    var executionCount: UInt64
    var inferenceStats: InferenceStats
    var batchStats: [BatchStats]

    enum CodingKeys: String, CodingKey {
      case name, version
      case lastInference = "last_inference", inferenceCount = "inference_count"
      case executionCount = "execution_count", inferenceStats = "inference_stats", batchStats = "batch_stats"
    }

    init(_ s: ModelStatistics) {
      name = s.name
      version = s.version
      lastInference = s.lastInferenceMillis
      inferenceCount = s.inferenceCount
      executionCount = s.executionCount
      inferenceStats = InferenceStats(
        success: Duration(s.success), fail: Duration(s.fail), queue: Duration(s.queue),
        computeInput: Duration(s.computeInput), computeInfer: Duration(s.computeInfer),
        computeOutput: Duration(s.computeOutput), cacheHit: Duration(s.cacheHit), cacheMiss: Duration(s.cacheMiss))
      batchStats = s.batchStatistics.map {
        BatchStats(
          batchSize: $0.batchSize, computeInput: Duration($0.computeInput), computeInfer: Duration($0.computeInfer),
          computeOutput: Duration($0.computeOutput))
      }
    }
  }

  var modelStats: [Model]

  enum CodingKeys: String, CodingKey { case modelStats = "model_stats" }

  init(_ statistics: [ModelStatistics]) { modelStats = statistics.map(Model.init) }
}
