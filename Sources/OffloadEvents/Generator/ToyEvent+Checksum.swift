// A content checksum of a toy event, for exactly-once and bit-equality tests.

extension ToyEvent {
  /// 64-bit FNV-1a over the event's content: the index, the pileup quantile, and every
  /// count, feature and truth value of every collection, as little-endian bytes
  /// (floats by their IEEE-754 bit patterns, booleans as one byte). The byte encoding is
  /// platform-independent; equal events have equal checksums, and different events almost
  /// surely differ.
  public func checksum() -> UInt64 {
    var h = FNV1a64()
    h.add(index)
    h.add(pileupQuantile.bitPattern)

    h.add(UInt64(tracks.count))
    h.add(UInt64(tracks.primaryVertexCount))
    h.add(tracks.features)
    h.add(tracks.isGhost)
    h.add(tracks.ghostness)

    h.add(UInt64(jets.count))
    h.add(UInt64(jets.paddedLength))
    h.add(jets.features)
    h.add(jets.mask)
    for m in jets.multiplicity { h.add(UInt32(bitPattern: m)) }
    h.add(jets.isQuark)
    h.add(jets.pt)
    h.add(jets.eta)

    h.add(UInt64(hcal.count))
    h.add(hcal.pileupMu.bitPattern)
    h.add(hcal.pulses)
    h.add(hcal.channels)
    h.add(hcal.trueEnergy)

    h.add(UInt64(pfCandidates.count))
    h.add(UInt64(pfCandidates.pileupVertexCount))
    h.add(pfCandidates.continuous)
    for c in pfCandidates.categorical { h.add(UInt64(bitPattern: c)) }
    h.add(pfCandidates.trueMETX.bitPattern)
    h.add(pfCandidates.trueMETY.bitPattern)

    h.add(UInt64(trackerHits.hitCount))
    h.add(UInt64(trackerHits.edgeCount))
    h.add(trackerHits.hits)
    for e in trackerHits.edgeIndex { h.add(UInt64(bitPattern: e)) }
    h.add(trackerHits.edgeIsTrue)
    for p in trackerHits.hitParticle { h.add(UInt32(bitPattern: p)) }
    return h.value
  }
}

/// 64-bit FNV-1a, fed little-endian integers byte by byte.
struct FNV1a64 {
  private(set) var value: UInt64 = 0xCBF2_9CE4_8422_2325
  private static let prime: UInt64 = 0x0000_0100_0000_01B3

  mutating func add(_ byte: UInt8) {
    value = (value ^ UInt64(byte)) &* Self.prime
  }

  mutating func add(_ word: UInt32) {
    var w = word
    for _ in 0..<4 {
      value = (value ^ (UInt64(w) & 0xFF)) &* Self.prime
      w >>= 8
    }
  }

  mutating func add(_ word: UInt64) {
    var w = word
    for _ in 0..<8 {
      value = (value ^ (w & 0xFF)) &* Self.prime
      w >>= 8
    }
  }

  mutating func add(_ values: [Float]) {
    for v in values { add(v.bitPattern) }
  }

  mutating func add(_ values: [Bool]) {
    for v in values { add(UInt8(v ? 1 : 0)) }
  }
}
