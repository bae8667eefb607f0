/// The demo workflow: reconstruction work standing for the rest of the event processing, then every
/// zoo model on its collection (tracks, jets, HCAL channels, particle-flow candidates, tracker hits).
public enum DemoWorkflow {
  /// The modules, in order.
  /// - Parameters:
  ///   - models: Models to run (default: all five).
  ///   - workMicroseconds: CPU time of the reconstruction stand-in per event.
  public static func modules(models: [ToyModel] = ToyModel.allCases, workSteps: Int) -> [any EventModule] {
    [ReconstructionWorkModule(steps: workSteps)] + models.map { ModelInferenceModule(model: $0) }
  }
}
