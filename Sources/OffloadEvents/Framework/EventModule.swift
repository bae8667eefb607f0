public import KServeProtocol

/// A step of an event-processing workflow. Modules declare the products they read and write; the
/// ``EventProcessor`` checks before the first event that every product a module consumes is produced by
/// a module before it.
public protocol EventModule: Sendable {
  /// Name used in errors, logs and timing tables.
  var label: String { get }
  /// Products read from the event.
  var consumes: [String] { get }
  /// Products written into the event.
  var produces: [String] { get }
}

/// An ordinary module: runs to completion on a worker thread.
public protocol SynchronousModule: EventModule {
  /// Reads and writes the event's products.
  /// - Throws: Anything; the event fails and the run stops with the error.
  func produce(_ event: inout EventData) throws
}

/// An ExternalWork-style module (CMSSW's `acquire()` / `produce()`): `acquire` builds the inference
/// requests on a worker thread, the requests are sent and awaited without holding any worker thread
/// (other events use the workers meanwhile), and `produce` runs on a worker when the answers are back.
public protocol AsynchronousModule: EventModule {
  /// Reads the event and returns the requests to send (may be empty).
  func acquire(_ event: EventData) throws -> [InferenceRequest]
  /// Stores what the answers mean; `responses` are in the order of the requests.
  func produce(_ event: inout EventData, responses: [InferenceResponse]) throws
}

/// What a workflow configuration got wrong, found before any event runs.
public struct WorkflowError: Error, CustomStringConvertible {
  /// What is wrong and how to fix it.
  public var description: String
  /// Creates an error.
  public init(_ description: String) { self.description = description }
}

extension Array where Element == any EventModule {
  /// Checks that every consumed product has an earlier producer (`sourceProducts` exist from the start)
  /// and that no product is produced twice.
  /// - Throws: ``WorkflowError`` naming the module and product.
  public func checkDependencies(sourceProducts: Set<String>) throws {
    var available = sourceProducts
    for module in self {
      for product in module.consumes where !available.contains(product) {
        throw WorkflowError(
          "module '\(module.label)' consumes '\(product)', which no earlier module produces; "
            + "available: \(available.sorted().joined(separator: ", ")); reorder the modules or add a producer")
      }
      for product in module.produces {
        guard available.insert(product).inserted else {
          throw WorkflowError(
            "module '\(module.label)' produces '\(product)', which an earlier module already produces")
        }
      }
    }
  }
}
