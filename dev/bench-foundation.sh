#!/usr/bin/env bash
# The foundation benchmark recorded in docs/benchmarks.md, in one run:
#   1. the machine's floor: loopback TCP ping-pong between two processes (dev/bench/tcp_pingpong.c);
#   2. offload-foundation-bench with client and server in one process;
#   3. offload-foundation-bench against a separately started `offload serve` (two processes).
# Each table row carries its ratio to direct ONNX Runtime calls measured in the same process and run.
# Output: bench-results/foundation-<date>.txt (not committed).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SECONDS_PER_POINT="${SECONDS_PER_POINT:-3}"
PORT="${PORT:-18931}"
mkdir -p bench-results
out="bench-results/foundation-$(date -u +%Y%m%dT%H%M%SZ).txt"

ORT_LIB="$(dev/python-env.sh --print-ort-lib)"
echo "[bench] building release binaries"
swift build -c release --product offload >/dev/null
swift build -c release --product offload-foundation-bench >/dev/null
gcc -O2 -o .build/tcp_pingpong dev/bench/tcp_pingpong.c

{
  echo "# foundation benchmark $(date -u +%FT%TZ) on $(nproc) cores, $(uname -r)"
  echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  .build/tcp_pingpong
  echo
  echo "## client and server in one process"
  .build/release/offload-foundation-bench --seconds "${SECONDS_PER_POINT}"
  echo
  echo "## client and server in two processes"
} | tee "${out}"

.build/release/offload serve --model-repository examples/models --host 127.0.0.1 --grpc-port "${PORT}" --http-port 0 \
  --onnxruntime-library "${ORT_LIB}" --log-level warning 2>/dev/null &
server=$!
trap 'kill ${server} 2>/dev/null || true' EXIT
sleep 2
.build/release/offload-foundation-bench --seconds "${SECONDS_PER_POINT}" --target "${PORT}" --server-pid "${server}" | tee -a "${out}"
echo "[bench] written to ${out}"
