#!/usr/bin/env bash
# What compressing gRPC responses costs: one `offload serve` binary started twice, with
# --grpc-infer-response-compression-level none (the default) and high, and `offload bench` (the Offload
# Swift client, which lists gzip and deflate in grpc-accept-encoding) sending identity_fp32 requests of
# 17, 4,096 and 262,144 random floats, one in flight, to each; interleaved (none, high; twice) so drift on a
# shared machine hits both alike. Random floats hardly compress, as real detector features.
#   dev/bench/response-compression.sh [BINARY] [OUT_DIR]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
binary=${1:-.build/release/offload}
out=${2:-bench-results/response-compression-$(date -u +%Y%m%dT%H%M%SZ)}
[[ -x "${binary}" ]] || swift build -c release --product offload
library=$(dev/python-env.sh --print-ort-lib)
mkdir -p "${out}"
declare -A pids
for level in none high; do
  port=18981
  [[ "${level}" == high ]] && port=18991
  "${binary}" serve --model-repository examples/models --host 127.0.0.1 --grpc-port "${port}" --http-port 0 \
    --metrics-port 0 --onnxruntime-library "${library}" --log-level error \
    --grpc-infer-response-compression-level "${level}" >/dev/null 2>&1 &
  pids[${level}]=$!
  for _ in $(seq 100); do
    "${binary}" health -u "127.0.0.1:${port}" >/dev/null 2>&1 && break
    sleep 0.1
  done
done
trap 'kill ${pids[none]} ${pids[high]} 2>/dev/null || true' EXIT
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for round in 1 2; do
  for width in 17 4096 262144; do
    for level in none high; do
      port=18981
      [[ "${level}" == high ]] && port=18991
      run=${out}/${level}-w${width}-r${round}
      "${binary}" bench -u "127.0.0.1:${port}" -m identity_fp32 --shape "INPUT0:1,${width}" \
        --concurrency-range 1 -p 2000 --warmup-ms 500 --server-pid "${pids[${level}]}" -f "${run}" >/dev/null
    done
  done
done
python3 - "${out}" <<'PY'
import json, statistics, sys
out = sys.argv[1]
print("| floats per request | response compression | requests/s | p50 µs | client CPU µs/req | server CPU µs/req | server CPU vs none |")
print("|---|---|---|---|---|---|---|")
for width in (17, 4096, 262144):
    rows = {}
    for level in ("none", "high"):
        points = [json.load(open(f"{out}/{level}-w{width}-r{r}/report.json"))["points"][0] for r in (1, 2)]
        median = lambda f: statistics.median(f(p) for p in points)
        rows[level] = (median(lambda p: p["requests_per_second"]), median(lambda p: p["latency_us"]["p50"]),
                       median(lambda p: p["client_cpu_us_per_request"]), median(lambda p: p["server_cpu_us_per_request"]))
    for level, (rps, p50, client, server) in rows.items():
        print(f"| {width:,} | {level} | {rps:,.0f} | {p50:,.0f} | {client:,.1f} | {server:,.1f} | {server / rows['none'][3]:.2f} |")
PY
echo "[bench] reports in ${out}"
