#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// Events read from an events file (``EventFile``), held in memory; indices are positions in the file.
public struct FileSource: EventSource {
  /// The events.
  public let events: [ToyEvent]

  public var produces: [String] { [EventData.detectorProduct] }

  /// Reads a file.
  public init(url: URL) throws { events = try EventFile.read(from: url) }

  public func event(at index: UInt64) throws -> EventData {
    guard index < UInt64(events.count) else {
      throw WorkflowError("the events file has \(events.count) events; event \(index) is past its end")
    }
    return EventData(index: index, products: [EventData.detectorProduct: .toyEvent(events[Int(index)])])
  }
}
