import Foundation
import InferenceRuntime
import KServeProtocol
import OffloadTestSupport
import Testing
import TritonModelConfig

/// Restricted protocol groups (pure policy) and confinement of model files to the repositories.
@Suite(.timeLimit(.minutes(1))) struct AccessPolicyTests {
  @Test func oneRulePerGroup() {
    #expect(throws: AccessPolicyError.self) {
      _ = try AccessPolicy(rules: [
        AccessPolicy.Rule(groups: [.inference], header: "a", value: "1"),
        AccessPolicy.Rule(groups: [.inference, .health], header: "b", value: "2"),
      ])
    }
  }

  @Test func decidesOnTheHeaderValueOnly() throws {
    let policy = try AccessPolicy(rules: [AccessPolicy.Rule(groups: [.modelRepository], header: "Key", value: "v1")])
    #expect(policy.decision(for: .inference) { _ in [] } == .allow)
    #expect(policy.decision(for: nil) { _ in [] } == .allow)
    #expect(policy.decision(for: .modelRepository) { $0 == "key" ? ["v1"] : [] } == .allow)
    #expect(policy.decision(for: .modelRepository) { $0 == "key" ? ["x", "v1"] : [] } == .allow)
    for values in [[], ["v"], ["v1 "], ["V1"], ["v1v1"]] {
      guard case .deny(let message) = policy.decision(for: .modelRepository, header: { _ in values }) else {
        Issue.record("\(values) was allowed")
        continue
      }
      #expect(message.contains("'key'") && !message.contains("v1"))
    }
  }

  @Test func modelFilesStayInsideTheRepository() async throws {
    let repository = try TemporaryRepository()
    defer { repository.remove() }
    try repository.addModel("pair", config: nil)
    try repository.addModel("escape", config: "default_model_filename: \"../../../../../../etc/passwd\"")
    var configuration = RuntimeConfiguration(repositories: [repository.root])
    configuration.modelControl = .explicit(startupModels: ["pair", "escape"])
    let runtime = ModelRuntime(
      configuration: configuration, backends: BackendRegistry([FakeBackend(.pair)]), logger: ModelRuntimeTests.logger)
    try await runtime.loadAll()
    let escape = runtime.repositoryIndex().first { $0.name == "escape" }
    #expect(escape?.state == .unavailable)
    #expect(escape?.reason.contains("must be a file name inside the version directory") == true)

    // Names that are paths never reach outside: they are not model directories.
    for name in ["../pair", "pair/../pair", "/etc", "..", "pair/1"] {
      let error = await #expect(throws: InferenceError.self) { try await runtime.load(modelNamed: name) }
      #expect(error?.code == .notFound, "\(name)")
    }
    // A load-time config override cannot point the model file elsewhere either.
    var override = Inference_ModelConfig()
    override.name = "pair"
    override.defaultModelFilename = "../../model.fake"
    let error = await #expect(throws: InferenceError.self) {
      try await runtime.load(modelNamed: "pair", configOverride: override)
    }
    #expect(error?.message.contains("default_model_filename") == true)
    #expect(runtime.isModelReady(name: "pair", version: ""), "the loaded version keeps serving")
  }
}
