internal import OffloadMeasurement

#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif

/// Physics performance of the demo workflow's models, computed from ``EventResults`` with the zoo's
/// definitions (zoo/metrics.py, zoo/physics_checks.py).
public struct PhysicsSummary: Sendable, Equatable, Codable {
  /// Tracks classified, ROC AUC, and the fraction of ghosts rejected when 90 % of real tracks are kept.
  public var tracks: Int
  public var ghostAUC: Double?
  public var ghostRejectionAt90: Double?
  /// Jets tagged, ROC AUC, and quark efficiency at a 10 % gluon mistag rate.
  public var jets: Int
  public var quarkAUC: Double?
  public var quarkEfficiencyAt10: Double?
  /// HCAL channels with E ≥ 5 GeV: relative resolution (half the central 68 % interval) and median bias.
  public var channels: Int
  public var hcalResolution: Double?
  public var hcalBias: Double?
  /// RMS per component of predicted minus true MET (GeV).
  public var metResolution: Double?
  /// Edges scored and ROC AUC.
  public var edges: Int
  public var edgeAUC: Double?

  /// Computes the summary.
  public init(_ results: EventResults) {
    tracks = results.ghostProbability.count
    ghostAUC = Self.rocAUC(results.ghostProbability, results.trackIsGhost)
    ghostRejectionAt90 = Self.rejection(
      scores: results.ghostProbability, isSignal: results.trackIsGhost, keepBackground: 0.9)
    jets = results.quarkProbability.count
    quarkAUC = Self.rocAUC(results.quarkProbability, results.jetIsQuark)
    quarkEfficiencyAt10 = Self.rejection(
      scores: results.quarkProbability, isSignal: results.jetIsQuark, keepBackground: 0.9)
    var residuals: [Double] = []
    for (predicted, truth) in zip(results.channelEnergy, results.channelTrueEnergy) where truth >= 5 {
      residuals.append(Double(predicted) / Double(truth) - 1)
    }
    channels = residuals.count
    if residuals.isEmpty {
      hcalResolution = nil
      hcalBias = nil
    } else {
      residuals.sort()
      hcalResolution = (Self.quantile(residuals, 0.841345) - Self.quantile(residuals, 0.158655)) / 2
      hcalBias = Self.quantile(residuals, 0.5)
    }
    if results.met.isEmpty {
      metResolution = nil
    } else {
      let squares = zip(results.met, results.metTrue).map { Double($0 - $1) * Double($0 - $1) }
      metResolution = (squares.reduce(0, +) / Double(squares.count)).squareRoot()
    }
    edges = results.edgeScore.count
    edgeAUC = Self.rocAUC(results.edgeScore, results.edgeIsTrue)
  }

  /// Probability that a random positive scores above a random negative (ties count half).
  static func rocAUC(_ scores: [Float], _ labels: [Bool]) -> Double? {
    let positives = labels.count { $0 }
    let negatives = labels.count - positives
    guard positives > 0, negatives > 0 else { return nil }
    let order = scores.indices.sorted { scores[$0] < scores[$1] }
    var rankSum = 0.0
    var i = 0
    while i < order.count {
      var j = i
      while j + 1 < order.count, scores[order[j + 1]] == scores[order[i]] { j += 1 }
      let rank = Double(i + j) / 2 + 1
      for k in i...j where labels[order[k]] { rankSum += rank }
      i = j + 1
    }
    return (rankSum - Double(positives) * Double(positives + 1) / 2) / (Double(positives) * Double(negatives))
  }

  /// Fraction of signal above the threshold that keeps `keepBackground` of the background below it.
  static func rejection(scores: [Float], isSignal: [Bool], keepBackground: Double) -> Double? {
    let background = zip(scores, isSignal).filter { !$0.1 }.map { Double($0.0) }.sorted()
    let signal = zip(scores, isSignal).filter { $0.1 }.map { Double($0.0) }
    guard !background.isEmpty, !signal.isEmpty else { return nil }
    let threshold = quantile(background, keepBackground)
    return Double(signal.count { $0 > threshold }) / Double(signal.count)
  }

  /// Linear-interpolation quantile of sorted values (numpy's default).
  static func quantile(_ sorted: [Double], _ q: Double) -> Double {
    let position = q * Double(sorted.count - 1)
    let low = Int(position.rounded(.down))
    let high = min(low + 1, sorted.count - 1)
    return sorted[low] + (sorted[high] - sorted[low]) * (position - Double(low))
  }

  /// Text for the end-of-run summary.
  public var lines: [String] {
    func f(_ v: Double?, _ digits: Int = 4) -> String { v.map { String(cFormat: "%.\(digits)f", $0) } ?? "n/a" }
    return [
      "tracks \(tracks): ghost AUC \(f(ghostAUC)), ghost rejection at 90 % real-track efficiency \(f(ghostRejectionAt90))",
      "jets \(jets): quark/gluon AUC \(f(quarkAUC)), quark efficiency at 10 % gluon mistag \(f(quarkEfficiencyAt10))",
      "HCAL channels ≥ 5 GeV \(channels): resolution σ/E \(f(hcalResolution)), median bias \(f(hcalBias))",
      "MET resolution per component \(f(metResolution, 2)) GeV",
      "tracker edges \(edges): edge AUC \(f(edgeAUC))",
    ]
  }
}
