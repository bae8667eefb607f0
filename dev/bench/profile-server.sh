#!/usr/bin/env bash
# Where a server's CPU goes under perf_analyzer load: `perf record` (call graphs) of an `offload serve` while
# perf_analyzer drives one model, then the top symbols by self time, grouped by library.
#   dev/bench/profile-server.sh [OFFLOAD_BINARY] [MODEL] [IN_FLIGHT] [PROTOCOL] [OUT_DIR]
# Defaults: .build/release/offload, lhcb_ghost_mlp, 32, grpc, bench-results/profile-<UTC>; PA_EXTRA adds
# perf_analyzer arguments (e.g. "-b 1024"). Needs `perf`
# (Debian's linux-perf) and perf_analyzer (dev/perf-analyzer.sh).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
binary=${1:-.build/release/offload}
model=${2:-lhcb_ghost_mlp}
inflight=${3:-32}
protocol=${4:-grpc}
out=${5:-bench-results/profile-$(date -u +%Y%m%dT%H%M%SZ)}
command -v perf >/dev/null || { echo "perf is missing: apt-get install linux-perf" >&2; exit 1; }
analyzer=$(dev/perf-analyzer.sh)
library=$(dev/python-env.sh --print-ort-lib)
mkdir -p "${out}"
"${binary}" serve --model-repository models --host 127.0.0.1 --grpc-port 18981 --http-port 18980 \
  --metrics-port 18982 --onnxruntime-library "${library}" --log-level error >"${out}/server.log" 2>&1 &
pid=$!
trap 'kill "${pid}" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  curl -sf http://127.0.0.1:18980/v2/health/ready >/dev/null && break
  sleep 0.1
done
port=18981
[[ "${protocol}" == http ]] && port=18980
"${analyzer}" -m "${model}" -u "127.0.0.1:${port}" -i "${protocol}" --concurrency-range "${inflight}" \
  --measurement-interval 8000 -s 50 --max-trials 2 ${PA_EXTRA:-} >"${out}/perf_analyzer.txt" 2>&1 &
load=$!
sleep 3
perf record -F 2999 -g -p "${pid}" -o "${out}/perf.data" -- sleep 5 >/dev/null 2>&1
wait "${load}" || true
perf report -i "${out}/perf.data" --no-children --sort dso,symbol --stdio 2>/dev/null |
  grep -E '^ +[0-9]' | head -60 >"${out}/top-symbols.txt" || true
perf report -i "${out}/perf.data" --no-children --sort dso --stdio 2>/dev/null |
  grep -E '^ +[0-9]' | head -20 >"${out}/by-library.txt" || true
echo "profile in ${out}: by-library.txt, top-symbols.txt"
cat "${out}/by-library.txt"
