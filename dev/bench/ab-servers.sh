#!/usr/bin/env bash
# A/B of two `offload` server binaries on the same points, interleaved (A B A B) so drift on a shared machine
# hits both alike. The client is always the current release `offload bench`.
#   dev/bench/ab-servers.sh BEFORE_BINARY AFTER_BINARY [MODEL] [OUT_DIR]
# Writes OUT_DIR/<before|after>-r<round>-c<concurrency>/report.json and prints one line per run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
before=${1:?usage: dev/bench/ab-servers.sh BEFORE_BINARY AFTER_BINARY [MODEL] [OUT_DIR]}
after=${2:?usage: dev/bench/ab-servers.sh BEFORE_BINARY AFTER_BINARY [MODEL] [OUT_DIR]}
model=${3:-lhcb_ghost_mlp}
out=${4:-bench-results/ab-$(date -u +%Y%m%dT%H%M%SZ)}
client=.build/release/offload
[[ -x "${client}" ]] || swift build -c release --product offload
library=$(dev/python-env.sh --print-ort-lib)
mkdir -p "${out}"
for round in 1 2; do
  for variant in before after; do
    binary=${before}
    [[ "${variant}" == after ]] && binary=${after}
    "${binary}" serve --model-repository models --host 127.0.0.1 --grpc-port 18971 --http-port 18970 \
      --metrics-port 18972 --onnxruntime-library "${library}" --log-level error >/dev/null 2>&1 &
    pid=$!
    for _ in $(seq 100); do
      "${client}" health -u 127.0.0.1:18971 >/dev/null 2>&1 && break
      sleep 0.1
    done
    for concurrency in 1 8; do
      run=${out}/${variant}-r${round}-c${concurrency}
      "${client}" bench -u 127.0.0.1:18971 -m "${model}" --concurrency-range "${concurrency}" -p 2000 \
        --warmup-ms 1000 --server-pid "${pid}" -f "${run}" >/dev/null
      python3 - "${run}/report.json" "${variant} r${round} c${concurrency}" <<'PY'
import json, sys
point = json.load(open(sys.argv[1]))["points"][0]
latency = point["latency_us"]
print(f"{sys.argv[2]}: {point['inferences_per_second']:.0f} infer/s, p50 {latency.get('p50', 0):.0f} us, "
      f"server CPU {point['server_cpu_us_per_request'] or 0:.1f} us/req, overhead {point['server']['overhead_us']:.1f} us")
PY
    done
    kill "${pid}"
    wait "${pid}" 2>/dev/null || true
  done
done
