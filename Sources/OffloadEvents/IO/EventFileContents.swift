// Everything an event file holds.

/// The events of an event file and the configuration they were generated with.
public struct EventFileContents: Sendable, Equatable {
  /// The events, in file order, each verified against its stored checksum.
  public var events: [ToyEvent]
  /// The JSON text stored with the events (typically the `ToyDetectorConfiguration` and
  /// seed of the run), or nil if none was stored.
  public var configurationJSON: String?

  public init(events: [ToyEvent], configurationJSON: String?) {
    self.events = events
    self.configurationJSON = configurationJSON
  }
}
