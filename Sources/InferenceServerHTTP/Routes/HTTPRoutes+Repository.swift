internal import Hummingbird
internal import InferenceRuntime
internal import KServeProtocol
internal import SwiftProtobuf
internal import TritonModelConfig

#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif

extension HTTPRoutes {
  /// Group `model-repository`: the index, load (with an optional configuration override) and unload.
  func addRepository(to router: Router<Context>) {
    let runtime = self.runtime
    let limit = configuration.maxBodyBytes
    let v2 = v2(router, .modelRepository)
    v2.post("repository/index") { request, _ in
      let body = try await HTTPRequestBody.decode(
        RepositoryIndexRequestBody.self, from: request, limit: limit, what: "repository index")
      return runtime.repositoryIndex(readyOnly: body.ready ?? false).map(RepositoryIndexEntryBody.init)
    }
    v2.post("repository/models/{model}/load") { request, context in
      let model = try context.parameters.require("model")
      let body = try await HTTPRequestBody.decode(
        ModelLoadRequestBody.self, from: request, limit: limit, what: "load '\(model)'")
      try await runtime.load(modelNamed: model, configOverride: try Self.configOverride(body, model: model))
      return Response(status: .ok)
    }
    v2.post("repository/models/{model}/unload") { _, context in
      try await runtime.unload(modelNamed: try context.parameters.require("model"))
      return Response(status: .ok)
    }
  }

  /// The configuration a load request gives in `parameters.config` (a JSON string, as Triton takes it).
  static func configOverride(_ body: ModelLoadRequestBody, model: String) throws -> Inference_ModelConfig? {
    guard let config = body.parameters?["config"] else { return nil }
    guard case .string(let text) = config else {
      throw InferenceError(.invalidArgument, "load '\(model)': parameter 'config' must be a JSON string")
    }
    do {
      var options = JSONDecodingOptions()
      options.ignoreUnknownFields = false
      return try Inference_ModelConfig(jsonString: text, options: options)
    } catch {
      throw InferenceError(
        .invalidArgument, "load '\(model)': parameter 'config' is not a valid model configuration: \(error)")
    }
  }
}
