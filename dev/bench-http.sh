#!/usr/bin/env bash
# HTTP/REST (binary tensors) vs gRPC through the same server, in one run, with `offload bench`:
# ghost_mlp (examples/models) at batch 1 and 1024, 1 and 4 requests in flight, client and server CPU.
# Output: bench-results/http-<date>/ (report.json/csv per point set) and a summary on stdout.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
WINDOW_MS="${WINDOW_MS:-1000}"
GRPC_PORT="${GRPC_PORT:-18981}"
HTTP_PORT="${HTTP_PORT:-18980}"
out="bench-results/http-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "${out}"
ORT_LIB="$(dev/python-env.sh --print-ort-lib)"
swift build -c release --product offload >/dev/null
offload=.build/release/offload
"${offload}" serve --model-repository examples/models --host 127.0.0.1 --grpc-port "${GRPC_PORT}" \
  --http-port "${HTTP_PORT}" --metrics-port 0 --onnxruntime-library "${ORT_LIB}" --log-level warning 2>/dev/null &
server=$!
trap 'kill ${server} 2>/dev/null || true' EXIT
for _ in $(seq 100); do "${offload}" health -u "127.0.0.1:${GRPC_PORT}" >/dev/null 2>&1 && break; sleep 0.1; done
for batch in 1 1024; do
  for proto in grpc http; do
    port=$([ "${proto}" = grpc ] && echo "${GRPC_PORT}" || echo "${HTTP_PORT}")
    echo "## ghost_mlp batch ${batch} over ${proto}"
    "${offload}" bench -i "${proto}" -u "127.0.0.1:${port}" -m ghost_mlp -b "${batch}" --concurrency-range 1:4:3 \
      -p "${WINDOW_MS}" --warmup-ms 500 -r 6 --server-pid "${server}" -f "${out}/b${batch}-${proto}" 2>/dev/null
  done
done | tee "${out}/summary.txt"
echo "[bench] written to ${out}"
