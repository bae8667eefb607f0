// libFuzzer target: a gRPC request stream (message prefixes, compression) → deframer → ModelInferRequest → RequestValidator.
// Built and run by dev/fuzz.sh (OFFLOAD_FUZZ=1); the logic is FuzzHarness.grpcStream (Fuzz/FuzzHarness).
import Foundation
import FuzzDriver
import FuzzHarness

/// One input. libFuzzer's archive needs this symbol to link (its unused main refers to it).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
  _ = FuzzHarness.grpcStream(bytes.map { Data(bytes: $0, count: count) } ?? Data())
  return 0
}

exit(offload_fuzz_main(CommandLine.argc, CommandLine.unsafeArgv, fuzzOneInput))
