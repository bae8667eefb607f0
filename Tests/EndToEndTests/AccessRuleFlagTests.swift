import Foundation
import InferenceRuntime
import InferenceServer
import Testing

/// Triton's restriction flag syntax, as `offload serve` reads it.
@Suite(.timeLimit(.minutes(1))) struct AccessRuleFlagTests {
  @Test func parsesTritonsSyntaxAndReadsSecretsFromFilesOrEnvironment() throws {
    let rule = try AccessPolicy.parseRule("model-repository, shared-memory:Admin-Key=a=b:c")
    #expect(rule.groups == [.modelRepository, .sharedMemory])
    #expect(rule.header == "admin-key")
    #expect(rule.value == "a=b:c", "the value may contain '=' and ':'")

    let file = FileManager.default.temporaryDirectory.appendingPathComponent("offload-token-\(UUID().uuidString)")
    try "from-file\n".write(to: file, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: file) }
    #expect(try AccessPolicy.parseRule("inference:authorization=@\(file.path)").value == "from-file")
    #expect(try AccessPolicy.parseRule("inference:k=env:TOKEN", environment: ["TOKEN": "t"]).value == "t")

    for bad in [
      "model-repository", "model-repository:nokey", "models:k=v", ":k=v", "inference:k=", "inference:=v",
      "inference:k=env:MISSING", "inference:k=@/nonexistent/file", "inference:bad header=v",
    ] {
      #expect(throws: AccessPolicyError.self, "\(bad)") { _ = try AccessPolicy.parseRule(bad) }
    }
    let unknown = #expect(throws: AccessPolicyError.self) { _ = try AccessPolicy.parseRule("repo:k=v") }
    #expect(unknown?.description.contains("model-repository") == true, "names the valid groups")
  }
}
