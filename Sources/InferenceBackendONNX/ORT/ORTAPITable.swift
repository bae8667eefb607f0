// The part of ONNX Runtime's C API (`struct OrtApi`) that this binding calls.
//
// `OrtApi` is a struct made only of function pointers, in declaration order, and ONNX Runtime only
// ever appends to it, so a function's slot (its index counted in pointers) never changes. The slot
// numbers below were counted from `onnxruntime_c_api.h` and checked against libonnxruntime 1.31.1;
// docs/onnxruntime-c-api.md records how.
//
// C types map as: every ORT handle (`OrtEnv*`, `OrtStatus*`, `OrtValue*`, ...) -> OpaquePointer,
// C enums and `int` -> Int32, `size_t` -> Int, `int64_t` -> Int64, `char*` -> CChar pointers.
// Every function returning `OrtStatus*` returns nil on success; a non-nil status must be released.

/// `OrtStatus* f(...)` results: nil on success.
typealias ORTStatusPointer = OpaquePointer?

// MARK: - Function types

typealias ORTGetErrorCodeFn = @convention(c) (OpaquePointer?) -> Int32
typealias ORTGetErrorMessageFn = @convention(c) (OpaquePointer?) -> UnsafePointer<CChar>?
/// Every `Release*` function: `void f(Ort* input)`, accepting NULL.
typealias ORTReleaseFn = @convention(c) (OpaquePointer?) -> Void

typealias ORTCreateSessionFn =
  @convention(c) (
    OpaquePointer?, UnsafePointer<CChar>?, OpaquePointer?, UnsafeMutablePointer<OpaquePointer?>?
  ) -> ORTStatusPointer
typealias ORTRunFn =
  @convention(c) (
    OpaquePointer?,  // session
    OpaquePointer?,  // run options (nullable)
    UnsafePointer<UnsafePointer<CChar>?>?,  // input names
    UnsafePointer<OpaquePointer?>?,  // input values
    Int,  // input count
    UnsafePointer<UnsafePointer<CChar>?>?,  // output names
    Int,  // output count
    UnsafeMutablePointer<OpaquePointer?>?  // output values (in: nil = let ORT allocate)
  ) -> ORTStatusPointer

typealias ORTCreateSessionOptionsFn = @convention(c) (UnsafeMutablePointer<OpaquePointer?>?) -> ORTStatusPointer
/// `f(OrtSessionOptions*, int or enum)`: thread counts, execution mode, optimization level.
typealias ORTSessionOptionsIntFn = @convention(c) (OpaquePointer?, Int32) -> ORTStatusPointer
/// `f(OrtX*)` returning a status: `DisablePerSessionThreads(OrtSessionOptions*)`.
typealias ORTHandleFn = @convention(c) (OpaquePointer?) -> ORTStatusPointer
/// `f(OrtX** out)`: `CreateThreadingOptions(OrtThreadingOptions** out)`.
typealias ORTCreateHandleFn = @convention(c) (UnsafeMutablePointer<OpaquePointer?>?) -> ORTStatusPointer
typealias ORTCreateEnvWithGlobalThreadPoolsFn =
  @convention(c) (
    Int32, UnsafePointer<CChar>?, OpaquePointer?, UnsafeMutablePointer<OpaquePointer?>?
  ) -> ORTStatusPointer
typealias ORTAddSessionConfigEntryFn =
  @convention(c) (
    OpaquePointer?, UnsafePointer<CChar>?, UnsafePointer<CChar>?
  ) -> ORTStatusPointer

/// `f(const OrtSession*, size_t* out)`: input/output counts.
typealias ORTSessionCountFn = @convention(c) (OpaquePointer?, UnsafeMutablePointer<Int>?) -> ORTStatusPointer
/// `f(const OrtSession*, size_t index, OrtAllocator*, char** out)`: input/output names.
typealias ORTSessionNameFn =
  @convention(c) (
    OpaquePointer?, Int, OpaquePointer?, UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
  ) -> ORTStatusPointer
/// `f(const OrtSession*, size_t index, OrtTypeInfo** out)`: input/output type info.
typealias ORTSessionTypeInfoFn =
  @convention(c) (
    OpaquePointer?, Int, UnsafeMutablePointer<OpaquePointer?>?
  ) -> ORTStatusPointer

typealias ORTGetAllocatorWithDefaultOptionsFn =
  @convention(c) (
    UnsafeMutablePointer<OpaquePointer?>?
  ) -> ORTStatusPointer
typealias ORTAllocatorFreeFn = @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?) -> ORTStatusPointer

/// `f(const OrtTypeInfo*, enum ONNXType* out)` and `f(const OrtValue*, enum ONNXType* out)`;
/// also `GetTensorElementType` (`enum ONNXTensorElementDataType* out`).
typealias ORTInt32OutFn = @convention(c) (OpaquePointer?, UnsafeMutablePointer<Int32>?) -> ORTStatusPointer
/// `f(const X*, size_t* out)`: dimension count, element count, string data length.
typealias ORTSizeOutFn = @convention(c) (OpaquePointer?, UnsafeMutablePointer<Int>?) -> ORTStatusPointer
/// `f(X*, Y** out)`: CastTypeInfoToTensorInfo, GetTensorTypeAndShape.
typealias ORTHandleOutFn = @convention(c) (OpaquePointer?, UnsafeMutablePointer<OpaquePointer?>?) -> ORTStatusPointer
typealias ORTGetDimensionsFn = @convention(c) (OpaquePointer?, UnsafeMutablePointer<Int64>?, Int) -> ORTStatusPointer

typealias ORTCreateCpuMemoryInfoFn =
  @convention(c) (
    Int32, Int32, UnsafeMutablePointer<OpaquePointer?>?
  ) -> ORTStatusPointer
typealias ORTCreateTensorWithDataFn =
  @convention(c) (
    OpaquePointer?,  // const OrtMemoryInfo*
    UnsafeMutableRawPointer?,  // p_data
    Int,  // p_data_len in bytes
    UnsafePointer<Int64>?,  // shape
    Int,  // shape_len
    Int32,  // ONNXTensorElementDataType
    UnsafeMutablePointer<OpaquePointer?>?
  ) -> ORTStatusPointer
typealias ORTCreateTensorFn =
  @convention(c) (
    OpaquePointer?,  // OrtAllocator*
    UnsafePointer<Int64>?,  // shape
    Int,  // shape_len
    Int32,  // ONNXTensorElementDataType
    UnsafeMutablePointer<OpaquePointer?>?
  ) -> ORTStatusPointer
typealias ORTGetTensorMutableDataFn =
  @convention(c) (
    OpaquePointer?, UnsafeMutablePointer<UnsafeMutableRawPointer?>?
  ) -> ORTStatusPointer
typealias ORTGetResizedStringTensorElementBufferFn =
  @convention(c) (
    OpaquePointer?, Int, Int, UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
  ) -> ORTStatusPointer
typealias ORTGetStringTensorContentFn =
  @convention(c) (
    OpaquePointer?, UnsafeMutableRawPointer?, Int, UnsafeMutablePointer<Int>?, Int
  ) -> ORTStatusPointer

// MARK: - Table

/// The used `OrtApi` entries, typed, read once from the table ONNX Runtime returns for `GetApi(31)`.
///
/// `@unchecked Sendable`: every stored property is a C function pointer, i.e. an immutable code
/// address inside the loaded library; copying or calling them from any thread is safe (whether a
/// given *call* is thread-safe is up to ONNX Runtime and documented where it is used).
struct ORTAPITable: @unchecked Sendable {
  /// The `OrtApi` version requested from `OrtApiBase::GetApi`.
  static let apiVersion: UInt32 = 31

  /// Slot 1: `OrtErrorCode GetErrorCode(const OrtStatus*)`.
  let getErrorCode: ORTGetErrorCodeFn
  /// Slot 2: `const char* GetErrorMessage(const OrtStatus*)`.
  let getErrorMessage: ORTGetErrorMessageFn
  /// Slot 7: `CreateSession(const OrtEnv*, const ORTCHAR_T* model_path, const OrtSessionOptions*, OrtSession** out)`.
  let createSession: ORTCreateSessionFn
  /// Slot 9: `Run(OrtSession*, const OrtRunOptions*, names, values, count, output names, count, OrtValue** outputs)`.
  let run: ORTRunFn
  /// Slot 10: `CreateSessionOptions(OrtSessionOptions** out)`.
  let createSessionOptions: ORTCreateSessionOptionsFn
  /// Slot 13: `SetSessionExecutionMode(OrtSessionOptions*, ExecutionMode)`.
  let setSessionExecutionMode: ORTSessionOptionsIntFn
  /// Slot 23: `SetSessionGraphOptimizationLevel(OrtSessionOptions*, GraphOptimizationLevel)`.
  let setSessionGraphOptimizationLevel: ORTSessionOptionsIntFn
  /// Slot 24: `SetIntraOpNumThreads(OrtSessionOptions*, int)`.
  let setIntraOpNumThreads: ORTSessionOptionsIntFn
  /// Slot 25: `SetInterOpNumThreads(OrtSessionOptions*, int)`.
  let setInterOpNumThreads: ORTSessionOptionsIntFn
  /// Slot 30: `SessionGetInputCount(const OrtSession*, size_t* out)`.
  let sessionGetInputCount: ORTSessionCountFn
  /// Slot 31: `SessionGetOutputCount(const OrtSession*, size_t* out)`.
  let sessionGetOutputCount: ORTSessionCountFn
  /// Slot 33: `SessionGetInputTypeInfo(const OrtSession*, size_t, OrtTypeInfo** out)`.
  let sessionGetInputTypeInfo: ORTSessionTypeInfoFn
  /// Slot 34: `SessionGetOutputTypeInfo(const OrtSession*, size_t, OrtTypeInfo** out)`.
  let sessionGetOutputTypeInfo: ORTSessionTypeInfoFn
  /// Slot 36: `SessionGetInputName(const OrtSession*, size_t, OrtAllocator*, char** out)`.
  let sessionGetInputName: ORTSessionNameFn
  /// Slot 37: `SessionGetOutputName(const OrtSession*, size_t, OrtAllocator*, char** out)`.
  let sessionGetOutputName: ORTSessionNameFn
  /// Slot 48: `CreateTensorAsOrtValue(OrtAllocator*, const int64_t* shape, size_t, ONNXTensorElementDataType, OrtValue** out)`.
  let createTensorAsOrtValue: ORTCreateTensorFn
  /// Slot 49: `CreateTensorWithDataAsOrtValue(const OrtMemoryInfo*, void* data, size_t bytes, const int64_t* shape, size_t, type, OrtValue** out)`.
  let createTensorWithDataAsOrtValue: ORTCreateTensorWithDataFn
  /// Slot 51: `GetTensorMutableData(OrtValue*, void** out)`.
  let getTensorMutableData: ORTGetTensorMutableDataFn
  /// Slot 53: `GetStringTensorDataLength(const OrtValue*, size_t* len)`.
  let getStringTensorDataLength: ORTSizeOutFn
  /// Slot 54: `GetStringTensorContent(const OrtValue*, void* s, size_t s_len, size_t* offsets, size_t offsets_len)`.
  let getStringTensorContent: ORTGetStringTensorContentFn
  /// Slot 55: `CastTypeInfoToTensorInfo(const OrtTypeInfo*, const OrtTensorTypeAndShapeInfo** out)`; `out` is owned by the type info.
  let castTypeInfoToTensorInfo: ORTHandleOutFn
  /// Slot 56: `GetOnnxTypeFromTypeInfo(const OrtTypeInfo*, enum ONNXType* out)`.
  let getOnnxTypeFromTypeInfo: ORTInt32OutFn
  /// Slot 60: `GetTensorElementType(const OrtTensorTypeAndShapeInfo*, enum ONNXTensorElementDataType* out)`.
  let getTensorElementType: ORTInt32OutFn
  /// Slot 61: `GetDimensionsCount(const OrtTensorTypeAndShapeInfo*, size_t* out)`.
  let getDimensionsCount: ORTSizeOutFn
  /// Slot 62: `GetDimensions(const OrtTensorTypeAndShapeInfo*, int64_t* dims, size_t dims_len)`; -1 for symbolic dims.
  let getDimensions: ORTGetDimensionsFn
  /// Slot 65: `GetTensorTypeAndShape(const OrtValue*, OrtTensorTypeAndShapeInfo** out)`; release with slot 99.
  let getTensorTypeAndShape: ORTHandleOutFn
  /// Slot 67: `GetValueType(const OrtValue*, enum ONNXType* out)`.
  let getValueType: ORTInt32OutFn
  /// Slot 69: `CreateCpuMemoryInfo(OrtAllocatorType, OrtMemType, OrtMemoryInfo** out)`.
  let createCpuMemoryInfo: ORTCreateCpuMemoryInfoFn
  /// Slot 76: `AllocatorFree(OrtAllocator*, void*)`.
  let allocatorFree: ORTAllocatorFreeFn
  /// Slot 78: `GetAllocatorWithDefaultOptions(OrtAllocator** out)`; the result must not be freed.
  let getAllocatorWithDefaultOptions: ORTGetAllocatorWithDefaultOptionsFn
  /// Slot 92: `ReleaseEnv(OrtEnv*)`.
  let releaseEnv: ORTReleaseFn
  /// Slot 93: `ReleaseStatus(OrtStatus*)`.
  let releaseStatus: ORTReleaseFn
  /// Slot 94: `ReleaseMemoryInfo(OrtMemoryInfo*)`.
  let releaseMemoryInfo: ORTReleaseFn
  /// Slot 95: `ReleaseSession(OrtSession*)`.
  let releaseSession: ORTReleaseFn
  /// Slot 96: `ReleaseValue(OrtValue*)`.
  let releaseValue: ORTReleaseFn
  /// Slot 98: `ReleaseTypeInfo(OrtTypeInfo*)`.
  let releaseTypeInfo: ORTReleaseFn
  /// Slot 99: `ReleaseTensorTypeAndShapeInfo(OrtTensorTypeAndShapeInfo*)`.
  let releaseTensorTypeAndShapeInfo: ORTReleaseFn
  /// Slot 100: `ReleaseSessionOptions(OrtSessionOptions*)`.
  let releaseSessionOptions: ORTReleaseFn
  /// Slot 119: `CreateEnvWithGlobalThreadPools(OrtLoggingLevel, const char* logid, const OrtThreadingOptions*, OrtEnv** out)`.
  let createEnvWithGlobalThreadPools: ORTCreateEnvWithGlobalThreadPoolsFn
  /// Slot 120: `DisablePerSessionThreads(OrtSessionOptions*)`: the session uses the environment's pools.
  let disablePerSessionThreads: ORTHandleFn
  /// Slot 121: `CreateThreadingOptions(OrtThreadingOptions** out)`.
  let createThreadingOptions: ORTCreateHandleFn
  /// Slot 122: `ReleaseThreadingOptions(OrtThreadingOptions*)`.
  let releaseThreadingOptions: ORTReleaseFn
  /// Slot 130: `AddSessionConfigEntry(OrtSessionOptions*, const char* key, const char* value)`.
  let addSessionConfigEntry: ORTAddSessionConfigEntryFn
  /// Slot 147: `SetGlobalIntraOpNumThreads(OrtThreadingOptions*, int)`.
  let setGlobalIntraOpNumThreads: ORTSessionOptionsIntFn
  /// Slot 148: `SetGlobalInterOpNumThreads(OrtThreadingOptions*, int)`.
  let setGlobalInterOpNumThreads: ORTSessionOptionsIntFn
  /// Slot 149: `SetGlobalSpinControl(OrtThreadingOptions*, int allow_spinning)`.
  let setGlobalSpinControl: ORTSessionOptionsIntFn
  /// Slot 252: `GetResizedStringTensorElementBuffer(OrtValue*, size_t index, size_t length_in_bytes, char** buffer)`.
  let getResizedStringTensorElementBuffer: ORTGetResizedStringTensorElementBufferFn

  /// Reads every used slot from the `OrtApi` table at `api`.
  /// - Throws: ``ORTError`` naming the slot when one is NULL (a table shorter or different than expected).
  init(api: UnsafeRawPointer) throws {
    let slots = api.assumingMemoryBound(to: UnsafeRawPointer?.self)
    func slot<F>(_ index: Int, _ name: String) throws -> F {
      guard let pointer = slots[index] else {
        throw ORTError.binding(
          "ONNX Runtime's OrtApi table has no \(name) (slot \(index)); "
            + "the library does not match C API version \(ORTAPITable.apiVersion)")
      }
      return unsafeBitCast(pointer, to: F.self)
    }
    getErrorCode = try slot(1, "GetErrorCode")
    getErrorMessage = try slot(2, "GetErrorMessage")
    createSession = try slot(7, "CreateSession")
    run = try slot(9, "Run")
    createSessionOptions = try slot(10, "CreateSessionOptions")
    setSessionExecutionMode = try slot(13, "SetSessionExecutionMode")
    setSessionGraphOptimizationLevel = try slot(23, "SetSessionGraphOptimizationLevel")
    setIntraOpNumThreads = try slot(24, "SetIntraOpNumThreads")
    setInterOpNumThreads = try slot(25, "SetInterOpNumThreads")
    sessionGetInputCount = try slot(30, "SessionGetInputCount")
    sessionGetOutputCount = try slot(31, "SessionGetOutputCount")
    sessionGetInputTypeInfo = try slot(33, "SessionGetInputTypeInfo")
    sessionGetOutputTypeInfo = try slot(34, "SessionGetOutputTypeInfo")
    sessionGetInputName = try slot(36, "SessionGetInputName")
    sessionGetOutputName = try slot(37, "SessionGetOutputName")
    createTensorAsOrtValue = try slot(48, "CreateTensorAsOrtValue")
    createTensorWithDataAsOrtValue = try slot(49, "CreateTensorWithDataAsOrtValue")
    getTensorMutableData = try slot(51, "GetTensorMutableData")
    getStringTensorDataLength = try slot(53, "GetStringTensorDataLength")
    getStringTensorContent = try slot(54, "GetStringTensorContent")
    castTypeInfoToTensorInfo = try slot(55, "CastTypeInfoToTensorInfo")
    getOnnxTypeFromTypeInfo = try slot(56, "GetOnnxTypeFromTypeInfo")
    getTensorElementType = try slot(60, "GetTensorElementType")
    getDimensionsCount = try slot(61, "GetDimensionsCount")
    getDimensions = try slot(62, "GetDimensions")
    getTensorTypeAndShape = try slot(65, "GetTensorTypeAndShape")
    getValueType = try slot(67, "GetValueType")
    createCpuMemoryInfo = try slot(69, "CreateCpuMemoryInfo")
    allocatorFree = try slot(76, "AllocatorFree")
    getAllocatorWithDefaultOptions = try slot(78, "GetAllocatorWithDefaultOptions")
    releaseEnv = try slot(92, "ReleaseEnv")
    releaseStatus = try slot(93, "ReleaseStatus")
    releaseMemoryInfo = try slot(94, "ReleaseMemoryInfo")
    releaseSession = try slot(95, "ReleaseSession")
    releaseValue = try slot(96, "ReleaseValue")
    releaseTypeInfo = try slot(98, "ReleaseTypeInfo")
    releaseTensorTypeAndShapeInfo = try slot(99, "ReleaseTensorTypeAndShapeInfo")
    releaseSessionOptions = try slot(100, "ReleaseSessionOptions")
    createEnvWithGlobalThreadPools = try slot(119, "CreateEnvWithGlobalThreadPools")
    disablePerSessionThreads = try slot(120, "DisablePerSessionThreads")
    createThreadingOptions = try slot(121, "CreateThreadingOptions")
    releaseThreadingOptions = try slot(122, "ReleaseThreadingOptions")
    addSessionConfigEntry = try slot(130, "AddSessionConfigEntry")
    setGlobalIntraOpNumThreads = try slot(147, "SetGlobalIntraOpNumThreads")
    setGlobalInterOpNumThreads = try slot(148, "SetGlobalInterOpNumThreads")
    setGlobalSpinControl = try slot(149, "SetGlobalSpinControl")
    getResizedStringTensorElementBuffer = try slot(252, "GetResizedStringTensorElementBuffer")
  }

  /// Turns an `OrtStatus*` into a thrown ``ORTError`` (and releases it); does nothing for nil (success).
  /// - Parameter context: what was being done, prefixed to ONNX Runtime's message.
  func check(_ status: ORTStatusPointer, _ context: @autoclosure () -> String) throws {
    guard let status else { return }
    let code = getErrorCode(status)
    let message = getErrorMessage(status).map { String(cString: $0) } ?? "(no message)"
    releaseStatus(status)
    throw ORTError(message: "\(context()): \(message)", code: code)
  }
}
