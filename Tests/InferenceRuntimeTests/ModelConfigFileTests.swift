import Foundation
import InferenceRuntime
import KServeProtocol
import OffloadTestSupport
import Testing
import TritonModelConfig

@Suite(.timeLimit(.minutes(1))) struct ModelConfigFileTests {
  @Test func parsesTritonConfigIntoTheRealMessage() throws {
    let config = try ModelConfigFile.parse(
      """
      name: "ghost"
      platform: "onnxruntime_onnx"
      max_batch_size: 64
      input [ { name: "features", data_type: TYPE_FP32, dims: [ 17 ] } ]
      output [ { name: "prob", data_type: TYPE_FP32, dims: [ 1 ] } ]
      instance_group [ { count: 2, kind: KIND_CPU } ]
      version_policy: { specific: { versions: [1, 3] } }
      parameters { key: "intra_op_thread_count" value: { string_value: "2" } }
      """, path: "config.pbtxt")
    #expect(config.name == "ghost")
    #expect(config.maxBatchSize == 64)
    #expect(config.input.first?.dims == [17])
    #expect(config.input.first?.dataType == .typeFp32)
    #expect(config.instanceGroup.first?.count == 2)
    #expect(config.versionPolicy.specific.versions == [1, 3])
    #expect(config.parameters["intra_op_thread_count"]?.stringValue == "2")
  }

  @Test(arguments: [
    ("name: \"m\"\nmax_batch_size: 8\nmax_batchsize: 3\n", 3, "unknown field"),
    ("name: \"m\"\ninput [\n  { name: \"x\", data_type: TYPE_FLOAT32 }\n]\n", 3, "unrecognized enum value"),
    ("name: \"m\"\nmax_batch_size: eight\n", 2, "malformed number"),
  ])
  func syntaxErrorsNameLineAndProblem(text: String, line: Int, problem: String) {
    #expect {
      _ = try ModelConfigFile.parse(text, path: "/repo/m/config.pbtxt")
    } throws: { error in
      guard let error = error as? InferenceError else { return false }
      return error.code == .invalidArgument && error.message.contains("/repo/m/config.pbtxt:\(line):")
        && error.message.contains(problem)
    }
  }

  @Test func missingFileGivesAnEmptyConfig() throws {
    let repository = try TemporaryRepository()
    defer { repository.remove() }
    try repository.addModel("bare", config: nil)
    let contents = try ModelConfigFile.read(modelDirectory: repository.root.appendingPathComponent("bare"))
    #expect(!contents.fileExists)
    #expect(!contents.setsMaxBatchSize)
  }

  @Test func detectsAnExplicitZeroMaxBatchSize() throws {
    let repository = try TemporaryRepository()
    defer { repository.remove() }
    try repository.addModel("m", config: "max_batch_size: 0\n")
    #expect(try ModelConfigFile.read(modelDirectory: repository.root.appendingPathComponent("m")).setsMaxBatchSize)
  }
}

@Suite(.timeLimit(.minutes(1))) struct VersionPolicyTests {
  @Test func latestDefaultsToTheHighestVersion() {
    #expect(VersionPolicy.select(nil, available: [3, 1, 10]).load == [10])
  }

  @Test func latestN() {
    var policy = Inference_ModelVersionPolicy()
    policy.latest.numVersions = 2
    #expect(VersionPolicy.select(policy, available: [1, 2, 3]).load == [2, 3])
  }

  @Test func allAndSpecific() {
    var all = Inference_ModelVersionPolicy()
    all.all = Inference_ModelVersionPolicy.All()
    #expect(VersionPolicy.select(all, available: [2, 1]).load == [1, 2])
    var specific = Inference_ModelVersionPolicy()
    specific.specific.versions = [1, 4]
    let selection = VersionPolicy.select(specific, available: [1, 2, 3])
    #expect(selection.load == [1])
    #expect(selection.missing == [4])
  }
}

@Suite(.timeLimit(.minutes(1))) struct NameSuggestionsTests {
  @Test func closestNamesComeFirst() {
    let names = ["ghost_mlp", "ghost_mlp_autocfg", "add_sub", "identity_fp32"]
    #expect(NameSuggestions.closest(to: "ghost_mlpp", in: names).first == "ghost_mlp")
    #expect(NameSuggestions.hint(for: "add_sbu", in: names).contains("did you mean 'add_sub'"))
  }

  @Test func farNamesAreListedAsAvailable() {
    let hint = NameSuggestions.hint(for: "zzzzzzzzzzzz", in: ["a1", "b2"])
    #expect(hint.hasPrefix("available models:"))
    #expect(NameSuggestions.hint(for: "x", in: []) == "no models are available")
  }
}
