/// Events from the toy generator: event `i` depends only on the seed and `i`, so any shard of the range
/// produces the same events as a single job.
public struct GeneratorSource: EventSource {
  /// The generator.
  public let generator: EventGenerator

  public var produces: [String] { [EventData.detectorProduct] }

  /// Creates a source.
  public init(generator: EventGenerator) { self.generator = generator }

  public func event(at index: UInt64) throws -> EventData {
    EventData(index: index, products: [EventData.detectorProduct: .toyEvent(generator.event(at: index))])
  }
}
