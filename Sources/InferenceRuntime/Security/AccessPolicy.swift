#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif

/// Which protocol groups need a credential, and which: each rule names groups and one header whose value a
/// request to those groups must carry (a shared secret or `authorization: Bearer <token>`), as Triton's
/// restricted protocols do. Groups without a rule are open. Transport-agnostic: the gRPC interceptor and
/// the HTTP middleware both ask ``decision(for:header:)``.
public struct AccessPolicy: Sendable, Equatable {
  /// One restriction.
  public struct Rule: Sendable, Equatable {
    /// The groups it covers.
    public var groups: Set<ProtocolGroup>
    /// Header (gRPC metadata key) name, lower-case.
    public var header: String
    /// The value the header must have.
    public var value: String

    /// Creates a rule.
    public init(groups: Set<ProtocolGroup>, header: String, value: String) {
      self.groups = groups
      self.header = header.lowercased()
      self.value = value
    }
  }

  /// What to do with a request.
  public enum Decision: Sendable, Equatable {
    /// Serve it.
    case allow
    /// Refuse it: UNAUTHENTICATED / 401. The message says which header is needed, never the expected value.
    case deny(message: String)
  }

  /// The rules; a group may appear in at most one.
  public private(set) var rules: [Rule]

  /// No restrictions (the default, as in Triton).
  public static let open = AccessPolicy(unchecked: [])

  private init(unchecked rules: [Rule]) { self.rules = rules }

  /// Creates a policy.
  /// - Throws: ``AccessPolicyError`` when a group appears in two rules or a rule is empty.
  public init(rules: [Rule]) throws(AccessPolicyError) {
    var seen: Set<ProtocolGroup> = []
    for rule in rules {
      let repeated = seen.intersection(rule.groups)
      if let group = repeated.first {
        throw AccessPolicyError("protocol group '\(group.rawValue)' is restricted twice; name each group once")
      }
      guard !rule.header.isEmpty, !rule.value.isEmpty else {
        throw AccessPolicyError("a restriction needs a header name and a non-empty value")
      }
      seen.formUnion(rule.groups)
    }
    self.rules = rules
  }

  /// Whether any group is restricted.
  public var isRestricting: Bool { !rules.isEmpty }

  /// Whether a group is restricted.
  public func restricts(_ group: ProtocolGroup) -> Bool { rules.contains { $0.groups.contains(group) } }

  /// Decides on a request to a group.
  /// - Parameters:
  ///   - group: The request's protocol group; `nil` (unknown method or path) is allowed, the front end
  ///     answers it with not-found/unimplemented.
  ///   - header: The values the request carries for a (lower-case) header name.
  public func decision(for group: ProtocolGroup?, header: (String) -> [String]) -> Decision {
    guard let group, let rule = rules.first(where: { $0.groups.contains(group) }) else { return .allow }
    let expected = Array(rule.value.utf8)
    if header(rule.header).contains(where: { Self.constantTimeEqual(Array($0.utf8), expected) }) { return .allow }
    return .deny(
      message:
        "the '\(group.rawValue)' protocol is restricted on this server: send the credential in the '\(rule.header)' header"
    )
  }

  /// Compares without an early exit on the first differing byte, so timing does not reveal a prefix.
  static func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
    var difference = UInt8(truncatingIfNeeded: lhs.count ^ rhs.count)
    for index in 0..<max(lhs.count, rhs.count) {
      let a = index < lhs.count ? lhs[index] : 0
      let b = index < rhs.count ? rhs[index] : 0
      difference |= a ^ b
    }
    return difference == 0
  }
}

/// A restriction that cannot be used, with the reason and the fix.
public struct AccessPolicyError: Error, Sendable, CustomStringConvertible {
  /// What is wrong.
  public var description: String

  /// Creates an error saying what is wrong and how to fix it.
  public init(_ description: String) { self.description = description }
}
