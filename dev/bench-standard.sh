#!/usr/bin/env bash
# The standard `offload bench` sweep on the bundled model zoo, recorded in docs/benchmarks.md.
#   1. builds release `offload`, serves models/ on 127.0.0.1 (one process);
#   2. runs `offload bench` for each standard point set with --baseline direct and --server-pid,
#      writing report.json/csv and plots per run under bench-results/standard-<date>/;
#   3. runs the Python tritonclient (dev/bench/tritonclient_load.py) on the ghost-track points, for the
#      client-CPU comparison;
#   4. regenerates the "Standard sweep" section of docs/benchmarks.md (between its markers) and copies
#      the plots to docs/images/bench/ (dev/bench/render_standard.py).
# Env: WINDOW_MS (default 1000), PORT (default 18961), OFFLOAD_BIN (a release binary to use instead of building
# .build/release/offload, e.g. dev/build-release.sh's).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
WINDOW_MS="${WINDOW_MS:-1000}"
PORT="${PORT:-18961}"
out="bench-results/standard-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "${out}"

ORT_LIB="$(dev/python-env.sh --print-ort-lib)"
if [[ -n "${OFFLOAD_BIN:-}" ]]; then
  offload=${OFFLOAD_BIN}
else
  echo "[bench] building release offload"
  swift build -c release --product offload >/dev/null
  offload=.build/release/offload
fi

"${offload}" serve --model-repository models --host 127.0.0.1 --grpc-port "${PORT}" --metrics-port 0 --http-port 0 \
  --onnxruntime-library "${ORT_LIB}" --log-level warning 2>/dev/null &
server=$!
trap 'kill ${server} 2>/dev/null || true' EXIT
for _ in $(seq 100); do "${offload}" health -u "127.0.0.1:${PORT}" >/dev/null 2>&1 && break; sleep 0.1; done

common=(-u "127.0.0.1:${PORT}" -p "${WINDOW_MS}" --warmup-ms 500 -r 6 --baseline direct --model-repository models
  --onnxruntime-library "${ORT_LIB}" --server-pid "${server}" --plot)
run() {
  local name="$1"; shift
  echo "[bench] ${name}: offload bench $*"
  "${offload}" bench "${common[@]}" -f "${out}/${name}" "$@" | tee "${out}/${name}.txt"
}
run ghost-b1 -m lhcb_ghost_mlp -b 1 --concurrency-range 1:7:2
run ghost-b1024 -m lhcb_ghost_mlp -b 1024 --concurrency-range 1:3:1
run hcal-b64 -m hcal_facile -b 64 --concurrency-range 1:4:1
run jets-b16 -m jet_tagger_qg -b 16 --shape pf_features:16,7,32 --shape pf_mask:16,1,32 --concurrency-range 1:4:1
run ghost-b1-poisson -m lhcb_ghost_mlp -b 1 --request-rate-range 500:2000:500 --request-distribution poisson

echo "[bench] Python tritonclient on the ghost-track points"
.venv/bin/python dev/bench/tritonclient_load.py --url "127.0.0.1:${PORT}" --model lhcb_ghost_mlp --input features \
  --width 17 --batch 1 --concurrency-range 1:7:2 --seconds "$(python3 -c "print(${WINDOW_MS}*3/1000)")" \
  --json "${out}/tritonclient-ghost-b1.json" | tee "${out}/tritonclient-ghost-b1.txt"

{
  echo "machine: $(nproc) cores, $(uname -r); load average before the sweep's end: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "ONNX Runtime: ${ORT_LIB}"
} > "${out}/environment.txt"
.venv/bin/python dev/bench/render_standard.py "${out}" docs/benchmarks.md docs/images/bench
echo "[bench] results in ${out}; docs/benchmarks.md section regenerated"
