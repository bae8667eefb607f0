// libFuzzer target: HTTP/REST infer body (JSON, binary tensors) → HTTPInferCodec → RequestValidator.
// Built and run by dev/fuzz.sh (OFFLOAD_FUZZ=1); the logic is FuzzHarness.httpInfer (Fuzz/FuzzHarness).
import Foundation
import FuzzDriver
import FuzzHarness

/// One input. libFuzzer's archive needs this symbol to link (its unused main refers to it).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
  _ = FuzzHarness.httpInfer(bytes.map { Data(bytes: $0, count: count) } ?? Data())
  return 0
}

exit(offload_fuzz_main(CommandLine.argc, CommandLine.unsafeArgv, fuzzOneInput))
