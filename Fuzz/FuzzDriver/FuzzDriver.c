// SwiftPM links an executable target with `--defsym main=<Target>_main`, so libFuzzer's own main() never runs;
// the Swift top-level code calls this instead, which starts libFuzzer through its documented entry point.
#include "FuzzDriver.h"

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

int offload_fuzz_main(int argc, char **argv, offload_fuzz_callback callback) {
  return LLVMFuzzerRunDriver(&argc, &argv, callback);
}
