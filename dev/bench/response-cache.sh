#!/usr/bin/env bash
# The response cache's effect, same run: perf_analyzer against add_sub (uncached) and add_sub_cached (the
# same ONNX model with response_cache { enable: true }) on one release `offload serve --cache-config
# local,size=64MiB`. perf_analyzer sends the same input tensors in every request, so after the first request
# every cached request is a hit: the pair shows what a hit costs against an execution on the same server.
#
# Usage: dev/bench/response-cache.sh [--concurrency "1 8"] [--protocol grpc|http]
# Env: OFFLOAD_BIN (default .build/release/offload). Writes bench-results/response-cache-<date>/table.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
root=$(pwd)
HELPER=${root}/dev/bench/vs_triton.py

concurrencies="1 8"
protocol=grpc
while [[ $# -gt 0 ]]; do
  case $1 in
    --concurrency) concurrencies=$2; shift 2 ;;
    --protocol) protocol=$2; shift 2 ;;
    *) echo "unknown argument $1 (see the header of $0)" >&2; exit 2 ;;
  esac
done
perf_analyzer=$(dev/perf-analyzer.sh)
out=${root}/bench-results/response-cache-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "${out}"

source dev/bench/offload-server.bash
start_offload_server "${out}" --cache-config local,size=67108864
port=${grpc_port}
[[ "${protocol}" == http ]] && port=${http_port}

measure() {
  local model=$1 concurrency=$2
  local name=${model}-c${concurrency}
  python3 "${HELPER}" sample "http://127.0.0.1:${http_port}" "${model}" "${server_pid}" >"${out}/${name}.before.json"
  "${perf_analyzer}" -u "127.0.0.1:${port}" -i "${protocol}" -m "${model}" --concurrency-range "${concurrency}" \
    --measurement-interval 2000 -s 20 --max-trials 5 >"${out}/${name}.txt" 2>&1 || true
  python3 "${HELPER}" sample "http://127.0.0.1:${http_port}" "${model}" "${server_pid}" >"${out}/${name}.after.json"
  curl -s "http://127.0.0.1:${http_port}/v2/models/${model}/stats" >"${out}/${name}.stats.json"
  python3 - "${out}/${name}" "${model}" "${concurrency}" <<'PY' | tee -a "${out}/rows.txt"
import json, os, re, sys
base, model, concurrency = sys.argv[1:4]
before, after = (json.load(open(f"{base}.{side}.json")) for side in ("before", "after"))
text = open(f"{base}.txt").read()
rate = re.findall(r"Throughput: ([0-9.]+) infer/sec", text)
p50 = re.findall(r"p50 latency: ([0-9]+) usec", text)
requests = after["success_count"] - before["success_count"]
server_us = (after["cpu_ticks"] - before["cpu_ticks"]) * 1e6 / os.sysconf("SC_CLK_TCK") / max(requests, 1)
stats = json.load(open(f"{base}.stats.json"))["model_stats"][0]
hits = stats["inference_stats"]["cache_hit"]["count"]
print(f"| {model} | {concurrency} | {float(rate[-1]) if rate else float('nan'):,.0f} | {p50[-1] if p50 else '–'} "
      f"| {server_us:.1f} | {stats['execution_count']:,} | {hits:,} |")
PY
}

{
  echo "# response cache, add_sub batch 1, ${protocol}; $(git rev-parse --short HEAD); $(date -u +%FT%TZ)"
  echo "| model | in flight | req/s | p50 µs | server CPU µs/req | executions (total) | cache hits (total) |"
  echo "|---|---|---|---|---|---|---|"
} | tee "${out}/table.md"
for concurrency in ${concurrencies}; do
  for model in add_sub add_sub_cached; do measure "${model}" "${concurrency}"; done
done
cat "${out}/rows.txt" >>"${out}/table.md"
echo "written to ${out}/table.md"
