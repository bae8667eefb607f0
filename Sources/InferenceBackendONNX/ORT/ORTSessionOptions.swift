/// Settings applied to an `OrtSessionOptions` when an ``ORTSession`` is created.
struct ORTSessionOptions: Sendable, Equatable {
  /// Threads used inside one operator (`SetIntraOpNumThreads`); 0 lets ONNX Runtime choose.
  var intraOpThreads: Int = 1
  /// Threads used to run independent operators in parallel (`SetInterOpNumThreads`); 0 lets ONNX
  /// Runtime choose. Only used when ``sequentialExecution`` is false.
  var interOpThreads: Int = 1
  /// `ORT_SEQUENTIAL` when true, `ORT_PARALLEL` when false (`SetSessionExecutionMode`).
  var sequentialExecution = true
  /// Whether idle pool threads spin before sleeping: the session config entries
  /// `session.intra_op.allow_spinning` and `session.inter_op.allow_spinning` ("1"/"0").
  var allowSpinning = false
  /// `GraphOptimizationLevel`: 0 disable all, 1 basic, 2 extended, 3 layout, 99 all (the default).
  var graphOptimizationLevel: Int32 = 99
  /// Run on the environment's shared thread pools (`DisablePerSessionThreads`) instead of the session's
  /// own; the thread counts and spinning above are then not used.
  var sharedThreadPool = false

  init(
    intraOpThreads: Int = 1, interOpThreads: Int = 1, sequentialExecution: Bool = true,
    allowSpinning: Bool = false, graphOptimizationLevel: Int32 = 99, sharedThreadPool: Bool = false
  ) {
    self.sharedThreadPool = sharedThreadPool
    self.intraOpThreads = intraOpThreads
    self.interOpThreads = interOpThreads
    self.sequentialExecution = sequentialExecution
    self.allowSpinning = allowSpinning
    self.graphOptimizationLevel = graphOptimizationLevel
  }

  /// Creates an `OrtSessionOptions` with these settings. The caller releases it with
  /// `ReleaseSessionOptions`; on a thrown error nothing is left to release.
  func makeHandle(api: ORTAPITable) throws -> OpaquePointer {
    guard (0...Int(Int32.max)).contains(intraOpThreads), (0...Int(Int32.max)).contains(interOpThreads) else {
      throw ORTError.binding(
        "thread counts must be between 0 and \(Int32.max) (intra-op \(intraOpThreads), inter-op \(interOpThreads))")
    }
    var created: OpaquePointer?
    try api.check(api.createSessionOptions(&created), "CreateSessionOptions")
    guard let options = created else { throw ORTError.binding("CreateSessionOptions returned NULL") }
    do {
      if sharedThreadPool {
        try api.check(api.disablePerSessionThreads(options), "DisablePerSessionThreads")
      } else {
        try api.check(
          api.setIntraOpNumThreads(options, Int32(intraOpThreads)), "SetIntraOpNumThreads(\(intraOpThreads))")
        try api.check(
          api.setInterOpNumThreads(options, Int32(interOpThreads)), "SetInterOpNumThreads(\(interOpThreads))")
      }
      // ExecutionMode: ORT_SEQUENTIAL = 0, ORT_PARALLEL = 1.
      try api.check(api.setSessionExecutionMode(options, sequentialExecution ? 0 : 1), "SetSessionExecutionMode")
      try api.check(
        api.setSessionGraphOptimizationLevel(options, graphOptimizationLevel),
        "SetSessionGraphOptimizationLevel(\(graphOptimizationLevel))")
      if !sharedThreadPool {
        let spin = allowSpinning ? "1" : "0"
        for key in ["session.intra_op.allow_spinning", "session.inter_op.allow_spinning"] {
          try api.check(api.addSessionConfigEntry(options, key, spin), "AddSessionConfigEntry(\(key)=\(spin))")
        }
      }
    } catch {
      api.releaseSessionOptions(options)
      throw error
    }
    return options
  }
}
