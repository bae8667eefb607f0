/// One value an event carries between modules.
public enum EventProduct: Sendable, Equatable {
  /// The generated (or read) detector event.
  case toyEvent(ToyEvent)
  /// A flat array of numbers (model outputs, per-object results).
  case floats([Float])
  /// One number.
  case scalar(Double)
}

/// An event travelling through the modules: its number and the products made so far.
public struct EventData: Sendable, Equatable {
  /// Position in the run's event range.
  public var index: UInt64
  /// Products by name.
  public var products: [String: EventProduct]

  /// Creates an event with initial products.
  public init(index: UInt64, products: [String: EventProduct] = [:]) {
    self.index = index
    self.products = products
  }

  /// The detector event stored under `name`.
  /// - Throws: ``WorkflowError`` when it is missing or of another kind.
  public func toyEvent(_ name: String = EventData.detectorProduct) throws -> ToyEvent {
    guard case .toyEvent(let event)? = products[name] else {
      throw WorkflowError("event \(index) has no detector event '\(name)'")
    }
    return event
  }

  /// The float array stored under `name`.
  public func floats(_ name: String) throws -> [Float] {
    guard case .floats(let values)? = products[name] else {
      throw WorkflowError("event \(index) has no float product '\(name)'")
    }
    return values
  }

  /// Name of the product the event source writes.
  public static let detectorProduct = "detector"
}
