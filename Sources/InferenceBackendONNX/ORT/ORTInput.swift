/// One named input tensor for ``ORTSession/run(inputs:outputNames:)``.
///
/// Not `Sendable`: ``ORTInputData/raw(_:)`` borrows memory the caller owns.
struct ORTInput {
  /// The model input name.
  let name: String
  /// Element type; must be ``ORTElementType/string`` exactly when ``data`` is ``ORTInputData/strings(_:)``.
  let elementType: ORTElementType
  /// Concrete dimensions (no -1).
  let shape: [Int64]
  /// The elements.
  let data: ORTInputData

  init(name: String, elementType: ORTElementType, shape: [Int64], data: ORTInputData) {
    self.name = name
    self.elementType = elementType
    self.shape = shape
    self.data = data
  }
}
