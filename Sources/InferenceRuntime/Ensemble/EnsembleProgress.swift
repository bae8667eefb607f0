/// Which steps of one ensemble request may run: a step is ready once every step it reads from has
/// finished. A pure state machine; the runtime starts the steps it hands out and reports each completion.
public struct EnsembleProgress: Sendable {
  private let dependents: [[Int]]
  private var waitingOn: [Int]
  private var finished: Int = 0

  /// The steps ready at the start (those that read only ensemble inputs), ascending.
  public private(set) var initiallyReady: [Int]

  /// Starts tracking one request through a plan.
  public init(_ plan: EnsemblePlan) {
    dependents = plan.dependents
    waitingOn = plan.steps.map(\.dependencies.count)
    initiallyReady = plan.steps.indices.filter { plan.steps[$0].dependencies.isEmpty }
  }

  /// Records that a step finished.
  /// - Parameter step: The step.
  /// - Returns: The steps that became ready, ascending.
  public mutating func complete(_ step: Int) -> [Int] {
    finished += 1
    var ready: [Int] = []
    for dependent in dependents[step] {
      waitingOn[dependent] -= 1
      if waitingOn[dependent] == 0 { ready.append(dependent) }
    }
    return ready
  }

  /// Whether every step has finished.
  public var isDone: Bool { finished == waitingOn.count }
}
