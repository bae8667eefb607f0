/// An error from ONNX Runtime (an `OrtStatus`) or from loading/using the library.
struct ORTError: Error, CustomStringConvertible, Sendable {
  /// The message, prefixed with what this binding was doing.
  let message: String
  /// The `OrtErrorCode` of the status, or ``loaderCode`` for errors raised by this binding itself.
  let code: Int32

  /// The code used for errors that did not come from an `OrtStatus` (loading, argument checks).
  static let loaderCode: Int32 = -1

  init(message: String, code: Int32) {
    self.message = message
    self.code = code
  }

  /// An error raised by this binding rather than by ONNX Runtime.
  static func binding(_ message: String) -> ORTError {
    ORTError(message: message, code: loaderCode)
  }

  /// The header's name for ``code`` (`ORT_INVALID_ARGUMENT`, ...), or `nil` for ``loaderCode``.
  var codeName: String? {
    switch code {
    case 0: return "ORT_OK"
    case 1: return "ORT_FAIL"
    case 2: return "ORT_INVALID_ARGUMENT"
    case 3: return "ORT_NO_SUCHFILE"
    case 4: return "ORT_NO_MODEL"
    case 5: return "ORT_ENGINE_ERROR"
    case 6: return "ORT_RUNTIME_EXCEPTION"
    case 7: return "ORT_INVALID_PROTOBUF"
    case 8: return "ORT_MODEL_LOADED"
    case 9: return "ORT_NOT_IMPLEMENTED"
    case 10: return "ORT_INVALID_GRAPH"
    case 11: return "ORT_EP_FAIL"
    case 12: return "ORT_MODEL_LOAD_CANCELED"
    case 13: return "ORT_MODEL_REQUIRES_COMPILATION"
    case 14: return "ORT_NOT_FOUND"
    case 15: return "ORT_DEVICE_RESET"
    case Self.loaderCode: return nil
    default: return "OrtErrorCode \(code)"
    }
  }

  var description: String {
    if let codeName { return "ONNX Runtime error \(codeName): \(message)" }
    return message
  }
}
