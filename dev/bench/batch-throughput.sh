#!/usr/bin/env bash
# Large batches out of the box: gRPC throughput of `offload serve` (its default settings, the bundled zoo in
# models/) against direct ONNX Runtime with ONNX Runtime's own defaults (all cores), one run, same machine.
# perf_analyzer is the client: batch 1024 (BATCH), 2 requests in flight (CONCURRENCY), 3 s windows.
# Several server binaries can be compared in the same run (e.g. before and after a change).
#
# Usage: dev/bench/batch-throughput.sh [BIN ...]        (default: .build/release/offload)
# Env: MODELS (default "jet_tagger_qg hcal_facile lhcb_ghost_mlp"), BATCH, CONCURRENCY, DIRECT_SECONDS.
# Writes bench-results/batch-throughput-<date>/table.md and prints it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
root=$(pwd)
HELPER=${root}/dev/bench/vs_triton.py
models=${MODELS:-jet_tagger_qg hcal_facile lhcb_ghost_mlp}
batch=${BATCH:-1024}
concurrency=${CONCURRENCY:-2}
bins=("$@")
[[ ${#bins[@]} -gt 0 ]] || bins=("${root}/.build/release/offload")
perf_analyzer=$(dev/perf-analyzer.sh)
ort_library=$(dev/python-env.sh --print-ort-lib)
out=${root}/bench-results/batch-throughput-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "${out}"

declare -A direct
for model in ${models}; do
  mapfile -t shapes < <(python3 "${HELPER}" shape-args models "${model}")
  direct[${model}]=$(.venv/bin/python dev/bench/direct_ort.py "models/${model}/1/model.onnx" "${batch}" \
    "${DIRECT_SECONDS:-5}" "${shapes[@]}" | python3 -c 'import json,sys; print(round(json.load(sys.stdin)["inferences_per_s"]))')
  echo "[batch] direct ONNX Runtime ${model}: ${direct[${model}]} infer/s" >&2
done

rows=()
for bin in "${bins[@]}"; do
  read -r -a ports <<<"$(python3 "${HELPER}" ports 2)"
  "${bin}" serve --model-repository models --host 127.0.0.1 --grpc-port "${ports[0]}" --http-port "${ports[1]}" \
    --metrics-port 0 --onnxruntime-library "${ort_library}" --log-level warning >"${out}/server.log" 2>&1 &
  pid=$!
  python3 "${HELPER}" wait-ready "http://127.0.0.1:${ports[1]}" "${pid}" 60 >/dev/null
  for model in ${models}; do
    mapfile -t shapes < <(python3 "${HELPER}" shape-args models "${model}")
    name=$(basename "${bin}")-${model}
    "${perf_analyzer}" -m "${model}" -u "127.0.0.1:${ports[0]}" -i grpc -b "${batch}" \
      --concurrency-range "${concurrency}" --measurement-interval 3000 -s 20 --max-trials 5 "${shapes[@]}" \
      >"${out}/${name}.txt" 2>&1 || true
    rate=$(grep -E "Concurrency: ${concurrency}, throughput" "${out}/${name}.txt" | tail -1 \
      | sed -E 's/.*throughput: ([0-9.e+]+) infer\/sec.*/\1/')
    rate=${rate:-0}
    rate=$(python3 -c "print(round(float('${rate}')))")
    ratio=$(python3 -c "print(f'{${rate} / ${direct[${model}]}:.2f}')")
    rows+=("| $(basename "${bin}") | ${model} | ${direct[${model}]} | ${rate} | ${ratio} |")
    echo "[batch] $(basename "${bin}") ${model}: ${rate} infer/s (${ratio} of direct)" >&2
  done
  kill "${pid}"
  wait "${pid}" 2>/dev/null || true
done
{
  echo "# batch ${batch}, ${concurrency} in flight, gRPC, perf_analyzer; $(git rev-parse --short HEAD); $(date -u +%FT%TZ); $(nproc) cores"
  echo "| server binary | model | direct ORT (its defaults) infer/s | offload serve infer/s | × direct |"
  echo "|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
} | tee "${out}/table.md"
