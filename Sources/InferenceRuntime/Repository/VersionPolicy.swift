public import TritonModelConfig

/// Applies a config's `version_policy` to the version directories present.
public enum VersionPolicy {
  /// The outcome: versions to load, and versions the policy names that are missing.
  public struct Selection: Sendable, Equatable {
    /// Versions to load, ascending.
    public var load: [Int64]
    /// Versions named by a `specific` policy that have no directory.
    public var missing: [Int64]
  }

  /// Selects versions as Triton does: `latest { num_versions }` (default: the highest one), `all`,
  /// or `specific { versions }`.
  /// - Parameters:
  ///   - policy: The config's policy (unset means latest 1).
  ///   - available: Version directories present, any order.
  public static func select(_ policy: Inference_ModelVersionPolicy?, available: [Int64]) -> Selection {
    let sorted = available.sorted()
    switch policy?.policyChoice {
    case .all?:
      return Selection(load: sorted, missing: [])
    case .specific(let specific)?:
      let wanted = Set(specific.versions)
      return Selection(
        load: sorted.filter { wanted.contains($0) },
        missing: wanted.subtracting(sorted).sorted())
    case .latest(let latest)?:
      let count = max(Int(latest.numVersions), 1)
      return Selection(load: Array(sorted.suffix(count)), missing: [])
    case nil:
      return Selection(load: Array(sorted.suffix(1)), missing: [])
    }
  }
}
