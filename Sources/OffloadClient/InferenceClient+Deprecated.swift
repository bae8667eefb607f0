/// The client's former name, which shadowed this module's (`OffloadClient.X` could not name the module's
/// types from code that also saw the class).
@available(*, deprecated, renamed: "InferenceClient")
public typealias OffloadClient = InferenceClient
