// The deterministic, counter-based toy event source.

/// Generates toy detector events; event i depends only on (seed, i, configuration).
///
/// Counter-based: every event has its own random generators, seeded by mixing the run
/// seed with the event index (SplitMix64), one per collection. So any range of events
/// can be generated anywhere, in any order, in parallel or split across jobs, and is
/// identical to the same events of one sequential run; and switching a collection off
/// leaves the others unchanged.
///
/// Each event draws one pileup quantile u ~ U(0, 1) and maps it through each
/// subdetector's pileup distribution (primary vertices 1 + Poisson(4.5), HCAL μ uniform
/// in 20–70, PF pileup vertices Poisson(20)): every marginal stays the one the model was
/// trained on, and a busy event is busy in every subdetector.
public struct EventGenerator: Sendable {
  public let seed: UInt64
  public let configuration: ToyDetectorConfiguration

  /// Random streams of one event.
  enum Stream: UInt64 {
    case pileup = 1, tracks, jets, hcal, particleFlow, tracker
  }

  /// A generator for the run `seed`. Traps if `configuration.problems` is not empty:
  /// validate user input first.
  public init(seed: UInt64, configuration: ToyDetectorConfiguration = ToyDetectorConfiguration()) {
    let problems = configuration.problems
    precondition(problems.isEmpty, "invalid toy detector configuration: \(problems.joined(separator: "; "))")
    self.seed = seed
    self.configuration = configuration
  }

  /// The event at `index` of this run.
  public func event(at index: UInt64) -> ToyEvent {
    func random(_ stream: Stream) -> EventRandom {
      EventRandom(seed: seed, event: index, stream: stream.rawValue)
    }
    let c = configuration
    var pileupRandom = random(.pileup)
    let u = pileupRandom.uniformOpen()

    var tracks = ToyTracks.empty
    if c.generates(.lhcbGhostMLP) {
      var r = random(.tracks)
      let nPV = 1 + EventRandom.poissonQuantile(c.tracks.meanExtraPrimaryVertices, u)
      tracks = TrackGenerator.generate(primaryVertexCount: nPV, configuration: c.tracks, random: &r)
    }
    var jets = ToyJets.empty
    if c.generates(.jetTaggerQG) {
      var r = random(.jets)
      jets = JetGenerator.generate(configuration: c.jets, random: &r)
    }
    var hcal = ToyHCALChannels.empty
    if c.generates(.hcalFacile) {
      var r = random(.hcal)
      let mu = c.hcal.muMinimum + (c.hcal.muMaximum - c.hcal.muMinimum) * u
      hcal = HCALGenerator.generate(pileupMu: mu, configuration: c.hcal, random: &r)
    }
    var pf = ToyPFCandidates.empty
    if c.generates(.deepmetToy) {
      var r = random(.particleFlow)
      let nPU = EventRandom.poissonQuantile(c.particleFlow.meanPileupVertices, u)
      pf = PFCandidateGenerator.generate(pileupVertices: nPU, configuration: c.particleFlow, random: &r)
    }
    var hits = ToyTrackerHits.empty
    if c.generates(.trkEdgeFilter) {
      var r = random(.tracker)
      hits = TrackerHitGenerator.generate(configuration: c.tracker, random: &r)
    }
    return ToyEvent(
      index: index, pileupQuantile: u, tracks: tracks, jets: jets, hcal: hcal, pfCandidates: pf, trackerHits: hits)
  }

  /// The events at `indices`, generated lazily.
  public func events(_ indices: Range<UInt64>) -> LazyMapSequence<Range<UInt64>, ToyEvent> {
    indices.lazy.map { event(at: $0) }
  }
}
