// libFuzzer's driver for the fuzz executables (Fuzz/Fuzz*/main.swift); only in the package under OFFLOAD_FUZZ=1.
#ifndef OFFLOAD_FUZZ_DRIVER_H
#define OFFLOAD_FUZZ_DRIVER_H

#include <stddef.h>
#include <stdint.h>

/// libFuzzer's per-input callback (the signature of LLVMFuzzerTestOneInput).
typedef int (*offload_fuzz_callback)(const uint8_t *data, size_t size);

/// Runs libFuzzer with the process's arguments (-runs=N, corpus directories, ...); returns its exit status.
int offload_fuzz_main(int argc, char **argv, offload_fuzz_callback callback);

#endif
