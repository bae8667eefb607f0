import Foundation
import FuzzHarness
import Testing

/// Runs the fuzz targets' inputs through the same code as the libFuzzer executables (FuzzHarness), without
/// libFuzzer: every saved crash in Fuzz/Regressions/<target>/ and every input of the corpus kept from deep runs in
/// Fuzz/Grown/<target>/ (`dev/fuzz.sh --keep-corpus`) must pass without crashing (a thrown error is fine), and
/// every seed in Fuzz/Corpus/<target>/ must be accepted, so the seeds keep reaching the validators.
@Suite(.timeLimit(.minutes(5))) struct FuzzRegressionTests {
  static let fuzzDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Fuzz")

  /// The input files of a target in `Corpus` or `Regressions` (README files and dotfiles are not inputs).
  static func inputs(_ kind: String, _ target: FuzzHarness.Target) throws -> [URL] {
    let directory = fuzzDirectory.appendingPathComponent(kind).appendingPathComponent(target.rawValue)
    let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
    return names.filter { !$0.hasPrefix(".") && !$0.hasPrefix("README") }.sorted().map {
      directory.appendingPathComponent($0)
    }
  }

  @Test("saved crashes no longer crash", arguments: FuzzHarness.Target.allCases)
  func regressions(target: FuzzHarness.Target) throws {
    for file in try Self.inputs("Regressions", target) {
      _ = target.run(try Data(contentsOf: file))
    }
  }

  @Test("the kept corpus of deep runs does not crash", arguments: FuzzHarness.Target.allCases)
  func grown(target: FuzzHarness.Target) throws {
    let directory = Self.fuzzDirectory.appendingPathComponent("Grown").appendingPathComponent(target.rawValue)
    guard FileManager.default.fileExists(atPath: directory.path) else { return }
    let files = try Self.inputs("Grown", target)
    for file in files {
      _ = target.run(try Data(contentsOf: file))
    }
  }

  @Test("seeds are accepted", arguments: FuzzHarness.Target.allCases)
  func seeds(target: FuzzHarness.Target) throws {
    let seeds = try Self.inputs("Corpus", target)
    #expect(!seeds.isEmpty, "no seeds in Fuzz/Corpus/\(target.rawValue)")
    for seed in seeds {
      let outcome = target.run(try Data(contentsOf: seed))
      #expect(outcome == .accepted, "Fuzz/Corpus/\(target.rawValue)/\(seed.lastPathComponent): \(outcome)")
    }
  }
}
