// The knobs of the toy detector. Defaults reproduce the distributions the model zoo
// was trained on (zoo/toysim/*.py); see docs/events-physics.md.

/// What a toy event contains and how busy it is.
///
/// Plain data: nested per-subdetector settings (Codable; a decoded value needs every
/// key, as `ToyDetectorConfiguration()` encodes them). The defaults keep each collection inside the
/// distribution its zoo model was trained on; multiplicities follow the event's
/// pileup level, which one per-event random quantile sets for every subdetector.
public struct ToyDetectorConfiguration: Sendable, Codable, Equatable {
  /// LHCb-like long tracks for `lhcb_ghost_mlp`.
  public struct Tracks: Sendable, Codable, Equatable {
    /// Primary vertices per event are 1 + Poisson(this); the zoo trained on 4.5.
    public var meanExtraPrimaryVertices: Double = 4.5
    /// Mean number of reconstructed long tracks (real and ghost) per primary vertex:
    /// tracks per event are Poisson(this × primary vertices). 23 gives about 128 per event.
    public var perPrimaryVertex: Double = 23
    public init() {}
  }

  /// Quark and gluon jets for `jet_tagger_qg`.
  public struct Jets: Sendable, Codable, Equatable {
    /// Every event has at least this many jets (a dijet event: 2).
    public var minimumCount: Int = 2
    /// Mean jets per event: minimumCount + Poisson(meanCount − minimumCount).
    public var meanCount: Double = 8
    /// Probability that a jet is a quark jet (the zoo trained on 0.5).
    public var quarkFraction: Double = 0.5
    /// At most this many constituents are kept per jet (the zoo's P_MAX, 64).
    public var maxConstituents: Int = 64
    /// Pad every jet to `maxConstituents` instead of to the event's longest jet.
    public var padToMaxConstituents: Bool = false
    public init() {}
  }

  /// HCAL channels for `hcal_facile`.
  public struct HCAL: Sendable, Codable, Equatable {
    /// The run's average pileup μ is uniform in [muMinimum, muMaximum] (zoo: 20–70).
    public var muMinimum: Double = 20
    public var muMaximum: Double = 70
    /// Channels read out per event are Poisson(this × μ), each a distinct channel.
    public var channelsPerPileupInteraction: Double = 40
    /// Upper limit on channels per event (the detector has 22 320; above about half of
    /// them the draw of distinct channels departs from the trained channel distribution).
    public var maxChannels: Int = 11_160
    public init() {}
  }

  /// Particle-flow candidates of a W → ℓν event for `deepmet_toy`.
  public struct ParticleFlow: Sendable, Codable, Equatable {
    /// Mean number of pileup vertices (Poisson; the zoo trained on 20).
    public var meanPileupVertices: Double = 20
    /// Candidates beyond this are dropped at random (the zoo's P_MAX, 320).
    public var maxCandidates: Int = 320
    public init() {}
  }

  /// Silicon-tracker hits and candidate edges for `trk_edge_filter`.
  public struct Tracker: Sendable, Codable, Equatable {
    /// Charged particles with pT > 1 GeV per event (the zoo trained on exactly 300).
    public var particles: Int = 300
    public init() {}
  }

  public var tracks = Tracks()
  public var jets = Jets()
  public var hcal = HCAL()
  public var particleFlow = ParticleFlow()
  public var tracker = Tracker()
  /// The collections to generate; the others stay empty. Each collection has its own
  /// random stream, so switching one off leaves the others unchanged.
  public var models: [ToyModel] = ToyModel.allCases

  /// The defaults of every key.
  public init() {}

  /// The defaults, changed by `configure`: `.defaults { $0.jets.meanCount = 4 }`.
  public static func defaults(_ configure: (inout Self) -> Void = { _ in }) -> Self {
    var configuration = Self()
    configure(&configuration)
    return configuration
  }

  /// Whether the collection for `model` is generated.
  public func generates(_ model: ToyModel) -> Bool {
    models.contains(model)
  }

  /// Human-readable reasons why this configuration cannot be used; empty when valid.
  public var problems: [String] {
    var problems: [String] = []
    func check(_ condition: Bool, _ message: String) {
      if !condition { problems.append(message) }
    }
    check((0...100).contains(tracks.meanExtraPrimaryVertices), "tracks.meanExtraPrimaryVertices must be in 0...100")
    check((0...1000).contains(tracks.perPrimaryVertex), "tracks.perPrimaryVertex must be in 0...1000")
    check(jets.minimumCount >= 0, "jets.minimumCount must be ≥ 0")
    check(
      jets.meanCount >= Double(jets.minimumCount) && jets.meanCount <= 1000,
      "jets.meanCount must be in minimumCount...1000")
    check((0...1).contains(jets.quarkFraction), "jets.quarkFraction must be in 0...1")
    check((2...4096).contains(jets.maxConstituents), "jets.maxConstituents must be in 2...4096")
    check(
      hcal.muMinimum >= 0 && hcal.muMaximum >= hcal.muMinimum && hcal.muMaximum <= 1000,
      "hcal needs 0 ≤ muMinimum ≤ muMaximum ≤ 1000")
    check(hcal.channelsPerPileupInteraction >= 0, "hcal.channelsPerPileupInteraction must be ≥ 0")
    check(
      (0...ToyHCALChannels.detectorChannelCount).contains(hcal.maxChannels),
      "hcal.maxChannels must be in 0...\(ToyHCALChannels.detectorChannelCount)")
    check((0...700).contains(particleFlow.meanPileupVertices), "particleFlow.meanPileupVertices must be in 0...700")
    check(particleFlow.maxCandidates >= 1, "particleFlow.maxCandidates must be ≥ 1")
    check((0...100_000).contains(tracker.particles), "tracker.particles must be in 0...100000")
    return problems
  }
}
