#!/usr/bin/env bash
# Client CPU per request: `offload bench` (the Swift client library) vs perf_analyzer (NVIDIA's C++ client),
# one release `offload serve` on loopback, the same model, batch 1, closed loop at each concurrency, one run.
#
# Both clients are measured the same way: their process's user+system CPU (GNU time) divided by the requests
# the server counted while they ran (ModelStatistics success count, warm-up windows included), so the ratio
# does not depend on either tool's own accounting. Server CPU per request is sampled over the same span.
#
# Usage: dev/bench/client-cost.sh [--model M] [--concurrency "1 8"] [--protocol grpc|http]
# Env: OFFLOAD_BIN (default .build/release/offload). Writes bench-results/client-cost-<date>/ and prints a table.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
root=$(pwd)
HELPER=${root}/dev/bench/vs_triton.py

model=ghost_mlp
concurrencies="1 8"
protocol=grpc
while [[ $# -gt 0 ]]; do
  case $1 in
    --model) model=$2; shift 2 ;;
    --concurrency) concurrencies=$2; shift 2 ;;
    --protocol) protocol=$2; shift 2 ;;
    *) echo "unknown argument $1 (see the header of $0)" >&2; exit 2 ;;
  esac
done
[[ -x /usr/bin/time ]] || { echo "GNU time is needed: apt-get install time" >&2; exit 1; }
perf_analyzer=$(dev/perf-analyzer.sh)
out=${root}/bench-results/client-cost-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "${out}"

source dev/bench/offload-server.bash
start_offload_server "${out}"
port=${grpc_port}
[[ "${protocol}" == http ]] && port=${http_port}

# One point: statistics and server CPU before, the client under GNU time, statistics after.
measure() {
  local client=$1 concurrency=$2
  local name=${client}-c${concurrency}
  python3 "${HELPER}" sample "http://127.0.0.1:${http_port}" "${model}" "${server_pid}" >"${out}/${name}.before.json"
  case ${client} in
    offload-bench)
      /usr/bin/time -f "%U %S %e" -o "${out}/${name}.time" "${offload_bin}" bench -u "127.0.0.1:${port}" \
        -i "${protocol}" -m "${model}" --concurrency-range "${concurrency}" -p 2000 -s 20 -r 5 \
        -f "${out}/${name}" >"${out}/${name}.txt" 2>&1 ;;
    perf_analyzer)
      /usr/bin/time -f "%U %S %e" -o "${out}/${name}.time" "${perf_analyzer}" -u "127.0.0.1:${port}" \
        -i "${protocol}" -m "${model}" --concurrency-range "${concurrency}" --measurement-interval 2000 -s 20 \
        --max-trials 5 >"${out}/${name}.txt" 2>&1 || true ;;
  esac
  python3 "${HELPER}" sample "http://127.0.0.1:${http_port}" "${model}" "${server_pid}" >"${out}/${name}.after.json"
  python3 - "${out}/${name}" "${client}" "${concurrency}" <<'EOF' | tee -a "${out}/rows.txt"
import json, os, sys
base, client, concurrency = sys.argv[1:4]
before, after = (json.load(open(f"{base}.{side}.json")) for side in ("before", "after"))
user, system, elapsed = (float(v) for v in open(f"{base}.time").read().split()[-3:])
requests = after["success_count"] - before["success_count"]
server_us = (after["cpu_ticks"] - before["cpu_ticks"]) * 1e6 / os.sysconf("SC_CLK_TCK")
rate = requests / elapsed if elapsed else 0
client_us = (user + system) * 1e6 / requests if requests else float("nan")
print(f"| {client} | {concurrency} | {requests:,} | {rate:,.0f} | {client_us:.1f} | {server_us / max(requests, 1):.1f} |")
EOF
}

{
  echo "# client CPU per request, ${model} batch 1, ${protocol}; $(git rev-parse --short HEAD); $(date -u +%FT%TZ)"
  echo "| client | in flight | requests | req/s (whole run) | client CPU µs/req | server CPU µs/req |"
  echo "|---|---|---|---|---|---|"
} | tee "${out}/table.md"
for concurrency in ${concurrencies}; do
  for client in perf_analyzer offload-bench; do measure "${client}" "${concurrency}"; done
done
cat "${out}/rows.txt" >>"${out}/table.md"
echo "written to ${out}/table.md"
