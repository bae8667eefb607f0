public import InferenceRuntime
internal import KServeProtocol

#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif

/// Triton's restriction flags (`--grpc-restricted-protocol`, `--http-restricted-api`): the command-line
/// syntax, with its file and environment reads, belongs to the server, not to the runtime's policy type.
extension AccessPolicy {
  /// Parses Triton's restriction syntax `GROUP[,GROUP...]:HEADER=VALUE` (e.g.
  /// `model-repository,shared-memory:admin-key=s3cret`). A value starting with `@` names a file holding it
  /// (trailing newline removed), so the secret need not appear in the process list; `env:NAME` reads an
  /// environment variable.
  /// - Parameters:
  ///   - specification: The flag's value.
  ///   - environment: Environment variables (for `env:`).
  /// - Throws: ``AccessPolicyError`` naming what is wrong and the valid groups.
  public static func parseRule(
    _ specification: String, environment: [String: String] = [:]
  ) throws(AccessPolicyError)
    -> Rule
  {
    guard let colon = specification.firstIndex(of: ":") else {
      throw AccessPolicyError(
        "restriction '\(specification)' must be GROUP[,GROUP...]:HEADER=VALUE, e.g. model-repository:admin-key=secret")
    }
    let groupList = specification[..<colon]
    let assignment = specification[specification.index(after: colon)...]
    guard let equals = assignment.firstIndex(of: "=") else {
      throw AccessPolicyError("restriction '\(groupList):…' needs HEADER=VALUE after the colon")
    }
    var groups: Set<ProtocolGroup> = []
    for name in groupList.split(separator: ",") {
      let trimmed = name.trimmingWhitespace()
      guard let group = ProtocolGroup(rawValue: trimmed) else {
        let valid = ProtocolGroup.allCases.map(\.rawValue).joined(separator: ", ")
        throw AccessPolicyError("unknown protocol group '\(trimmed)'; valid groups: \(valid)")
      }
      groups.insert(group)
    }
    guard !groups.isEmpty else { throw AccessPolicyError("restriction '\(specification)' names no protocol group") }
    let header = assignment[..<equals].trimmingWhitespace()
    var value = String(assignment[assignment.index(after: equals)...])
    guard !header.isEmpty, header.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
    else {
      throw AccessPolicyError("header name '\(header)' must be ASCII letters, digits, '-' or '_'")
    }
    if value.hasPrefix("@") {
      let path = String(value.dropFirst())
      guard let contents = FileManager.default.contents(atPath: path),
        let text = String(data: contents, encoding: .utf8)
      else {
        throw AccessPolicyError("cannot read the credential file '\(path)' of the '\(header)' restriction")
      }
      value = text.trimmingNewlines()
    } else if value.hasPrefix("env:") {
      let name = String(value.dropFirst(4))
      guard let fromEnvironment = environment[name] else {
        throw AccessPolicyError("environment variable '\(name)' of the '\(header)' restriction is not set")
      }
      value = fromEnvironment
    }
    guard !value.isEmpty else { throw AccessPolicyError("the '\(header)' restriction has an empty value") }
    return Rule(groups: groups, header: header, value: value)
  }
}
