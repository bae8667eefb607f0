internal import InferenceRuntime
public import KServeGRPC
internal import KServeProtocol
internal import SwiftProtobuf
internal import TritonModelConfig

extension GRPCInferenceServiceHandler {
  public func modelStatistics(
    request: Inference_ModelStatisticsRequest, context: GRPCCallContext
  ) async throws
    -> Inference_ModelStatisticsResponse
  {
    var response = Inference_ModelStatisticsResponse()
    response.modelStats = try runtime.statistics(name: request.name, version: request.version).map(\.proto)
    return response
  }

  public func repositoryIndex(
    request: Inference_RepositoryIndexRequest, context: GRPCCallContext
  ) async throws
    -> Inference_RepositoryIndexResponse
  {
    try checkRepositoryName(request.repositoryName)
    var response = Inference_RepositoryIndexResponse()
    response.models = runtime.repositoryIndex(readyOnly: request.ready).map { entry in
      var model = Inference_RepositoryIndexResponse.ModelIndex()
      model.name = entry.name
      model.version = entry.version
      model.state = entry.state.rawValue
      model.reason = entry.reason
      return model
    }
    return response
  }

  public func repositoryModelLoad(
    request: Inference_RepositoryModelLoadRequest, context: GRPCCallContext
  ) async throws
    -> Inference_RepositoryModelLoadResponse
  {
    try checkRepositoryName(request.repositoryName)
    var override: Inference_ModelConfig?
    for (key, value) in request.parameters {
      switch (key, value.parameterChoice) {
      case ("config", .stringParam(let json)?):
        do {
          override = try Inference_ModelConfig(jsonString: json)
        } catch {
          throw InferenceError(
            .invalidArgument,
            "load '\(request.modelName)': the 'config' parameter is not a valid ModelConfig JSON (\(error))")
        }
      case (let name, _) where name.hasPrefix("file:"):
        throw InferenceError(
          .unimplemented,
          "load '\(request.modelName)': model file override parameters ('\(name)') are not supported; "
            + "place the files in the model repository")
      default:
        throw InferenceError(
          .invalidArgument, "load '\(request.modelName)': unknown parameter '\(key)'; supported: 'config' (JSON string)"
        )
      }
    }
    try await runtime.load(modelNamed: request.modelName, configOverride: override)
    return Inference_RepositoryModelLoadResponse()
  }

  public func repositoryModelUnload(
    request: Inference_RepositoryModelUnloadRequest, context: GRPCCallContext
  )
    async throws -> Inference_RepositoryModelUnloadResponse
  {
    try checkRepositoryName(request.repositoryName)
    try await runtime.unload(modelNamed: request.modelName)
    return Inference_RepositoryModelUnloadResponse()
  }

  private func checkRepositoryName(_ name: String) throws {
    guard name.isEmpty else {
      throw InferenceError(
        .unimplemented,
        "repository_name '\(name)': this server serves all its repositories as one; leave repository_name empty")
    }
  }
}

extension ModelStatistics {
  var proto: Inference_ModelStatistics {
    var p = Inference_ModelStatistics()
    p.name = name
    p.version = version
    p.lastInference = lastInferenceMillis
    p.inferenceCount = inferenceCount
    p.executionCount = executionCount
    var infer = Inference_InferStatistics()
    infer.success = success.proto
    infer.fail = fail.proto
    infer.queue = queue.proto
    infer.computeInput = computeInput.proto
    infer.computeInfer = computeInfer.proto
    infer.computeOutput = computeOutput.proto
    infer.cacheHit = cacheHit.proto
    infer.cacheMiss = cacheMiss.proto
    p.inferenceStats = infer
    p.batchStats = batchStatistics.map { batch in
      var b = Inference_InferBatchStatistics()
      b.batchSize = batch.batchSize
      b.computeInput = batch.computeInput.proto
      b.computeInfer = batch.computeInfer.proto
      b.computeOutput = batch.computeOutput.proto
      return b
    }
    return p
  }
}

extension StatisticDuration {
  var proto: Inference_StatisticDuration {
    var p = Inference_StatisticDuration()
    p.count = count
    p.ns = nanoseconds
    return p
  }
}
