// Toy events as a columnar file Python users can open: a numpy `.npz` archive.

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// Writes and reads toy events as a numpy `.npz` archive of columns (see
/// docs/events-file-format.md), which `numpy.load` opens directly.
///
/// Every collection is stored flattened, awkward-array style: one `<prefix>_count` column of
/// shape `[nEvents]` gives each event's number of objects, and every per-object column
/// has the objects of all events one after another along its first axis (event 0's first,
/// then event 1's, …). Offsets are `concatenate([0], cumsum(counts))`. Indices stored in a
/// column (`edges_index`) are local to their event. Columns, format version 1:
///
/// | column | dtype | shape | content |
/// | --- | --- | --- | --- |
/// | `format_version` | int64 | `[]` | 1 |
/// | `feature_names_json` | uint8 | `[n]` | UTF-8 JSON: column → names along its last axis |
/// | `configuration_json` | uint8 | `[n]` | UTF-8 JSON given to `write` (absent if none) |
/// | `event_index` | uint64 | `[E]` | `ToyEvent.index` |
/// | `event_pileup_quantile` | float64 | `[E]` | `ToyEvent.pileupQuantile` |
/// | `event_checksum` | uint64 | `[E]` | `ToyEvent.checksum()` |
/// | `tracks_count` | int64 | `[E]` | tracks per event |
/// | `tracks_primary_vertex_count` | int64 | `[E]` | |
/// | `tracks_features` | float32 | `[T, 17]` | `ToyTracks.featureNames` order |
/// | `tracks_is_ghost` | bool | `[T]` | |
/// | `tracks_ghostness` | float32 | `[T]` | |
/// | `jets_count` | int64 | `[E]` | jets per event |
/// | `jets_padded_length` | int64 | `[E]` | P of the event's `pf_features` |
/// | `jets_multiplicity` | int32 | `[J]` | constituents per jet |
/// | `jets_is_quark`, `jets_pt`, `jets_eta` | bool, float32, float32 | `[J]` | |
/// | `jets_constituents` | float32 | `[C, 7]` | unpadded particles (C = Σ multiplicity), `ToyJets.featureNames` |
/// | `hcal_count` | int64 | `[E]` | channels per event |
/// | `hcal_pileup_mu` | float32 | `[E]` | |
/// | `hcal_pulses` | float32 | `[H, 8]` | |
/// | `hcal_channel` | float32 | `[H, 4]` | ieta, iphi, depth, μ |
/// | `hcal_true_energy` | float32 | `[H]` | |
/// | `pf_count` | int64 | `[E]` | candidates per event |
/// | `pf_pileup_vertex_count` | int64 | `[E]` | |
/// | `pf_true_met_x`, `pf_true_met_y` | float32 | `[E]` | |
/// | `pf_continuous` | float32 | `[N, 6]` | `ToyPFCandidates.continuousNames` order |
/// | `pf_categorical` | int64 | `[N, 3]` | `ToyPFCandidates.categoricalNames` order |
/// | `hits_count` | int64 | `[E]` | tracker hits per event |
/// | `hits_position` | float32 | `[Hh, 3]` | r, φ, z |
/// | `hits_particle` | int32 | `[Hh]` | −1 for noise |
/// | `edges_count` | int64 | `[E]` | candidate edges per event |
/// | `edges_index` | int64 | `[Ee, 2]` | (inner, outer) hit, indices within the event |
/// | `edges_is_true` | bool | `[Ee]` | |
///
/// Jets are stored without their padding: `pf_features` [nJets, 7, P] and `pf_mask`
/// [nJets, 1, P] are rebuilt from `jets_constituents`, `jets_multiplicity` and
/// `jets_padded_length`, with zeros (and mask 0) beyond each jet's multiplicity, as the
/// generator lays them out; `write` refuses jets that are not laid out so. Likewise
/// `edge_index` [2, E] is stored transposed, one row per edge.
///
/// `read(write(events)) == events` bit for bit, and `read` recomputes every event's checksum
/// and throws if it differs from `event_checksum`. Columns a reader does not know are
/// ignored, so later versions may add some. The archive is written reproducibly
/// (`NumpyArchive`): the same events and configuration always give the same bytes.
public enum EventFile {
  /// The format version this code writes and reads.
  public static let formatVersion: Int64 = 1

  /// Writes `events` to `url` (replacing any file there), with `configurationJSON` stored
  /// as the `configuration_json` column if given.
  ///
  /// Throws `EventFileError.unrepresentable` for an event whose jets are not zero-padded
  /// as the generator lays them out, and `NumpyArchiveError` when the file cannot be written.
  public static func write(_ events: [ToyEvent], configurationJSON: String?, to url: URL) throws {
    let columns = try EventColumns.encode(events, configurationJSON: configurationJSON)
    try NumpyArchive.write(columns, to: url)
  }

  /// The events stored at `url`, in file order, each verified against its checksum.
  public static func read(from url: URL) throws -> [ToyEvent] {
    try readContents(from: url).events
  }

  /// The events and the configuration JSON stored at `url`.
  ///
  /// Throws `NumpyArchiveError` when the archive or one of its arrays is damaged, and
  /// `EventFileError` when columns are missing or inconsistent or an event's checksum
  /// does not match.
  public static func readContents(from url: URL) throws -> EventFileContents {
    let columns = try NumpyArchive.read(from: url)
    return try EventColumns.decode(columns, file: url.path)
  }
}
