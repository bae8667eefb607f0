/// The data of one ``ORTInput``.
enum ORTInputData {
  /// Raw little-endian element bytes, wrapped without copying (`CreateTensorWithDataAsOrtValue`).
  /// The caller keeps the memory alive and unchanged until ``ORTSession/run(inputs:outputNames:)``
  /// returns; ONNX Runtime only reads it. The count must be exactly element count × element size.
  /// Buffers should be aligned to the element size (Swift arrays are); kernels may assume it.
  /// An empty buffer (even with a nil base address) is fine for zero-element tensors.
  case raw(UnsafeRawBufferPointer)
  /// One byte string per element, in row-major order, for `string` tensors. Copied into a tensor
  /// made by ONNX Runtime's default allocator, element by element with
  /// `GetResizedStringTensorElementBuffer`, so strings may contain NUL bytes and need no terminator.
  case strings([[UInt8]])
}
