#!/usr/bin/env bash
# The client-library benchmark recorded in docs/benchmarks.md, in one run: three release `offload serve`
# processes on loopback and offload-client-bench against them (client CPU per request vs the generated
# grpc-swift client, pool vs one connection, coalescing vs plain).
# Output: bench-results/client-<date>.txt (not committed).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SECONDS_PER_POINT="${SECONDS_PER_POINT:-3}"
BASE_PORT="${BASE_PORT:-18941}"
mkdir -p bench-results
out="bench-results/client-$(date -u +%Y%m%dT%H%M%SZ).txt"

ORT_LIB="$(dev/python-env.sh --print-ort-lib)"
echo "[bench] building release binaries"
swift build -c release --product offload >/dev/null
swift build -c release --product offload-client-bench >/dev/null

pids=()
ports=()
cleanup() { for pid in "${pids[@]}"; do kill "${pid}" 2>/dev/null || true; done; }
trap cleanup EXIT
for i in 0 1 2; do
  port=$((BASE_PORT + i))
  .build/release/offload serve --model-repository examples/models --host 127.0.0.1 --grpc-port "${port}" \
    --metrics-port 0 --http-port 0 --onnxruntime-library "${ORT_LIB}" --log-level warning 2>/dev/null &
  pids+=($!)
  ports+=("${port}")
done
for port in "${ports[@]}"; do
  for _ in $(seq 100); do
    .build/release/offload health -u "127.0.0.1:${port}" >/dev/null 2>&1 && break
    sleep 0.1
  done
done
{
  echo "# client benchmark $(date -u +%FT%TZ) on $(nproc) cores, $(uname -r)"
  echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  for executor in "" --swift-pool; do
    .build/release/offload-client-bench --seconds "${SECONDS_PER_POINT}" ${executor} \
      --ports "$(IFS=,; echo "${ports[*]}")" --server-pids "$(IFS=,; echo "${pids[*]}")"
    echo
  done
} | tee "${out}"
echo "[bench] written to ${out}"
