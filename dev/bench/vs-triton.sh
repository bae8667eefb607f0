#!/usr/bin/env bash
# Offload vs NVIDIA Triton on the same zoo models, one server after the other on 127.0.0.1, with NVIDIA's
# perf_analyzer (dev/perf-analyzer.sh) as the client: batch 1, closed loop at 1, 8 and 32 in flight, gRPC and
# HTTP, 2 s measurement windows.
#
# The Triton reference is Triton 2.51 from PyPI (nvidia-pytriton 0.7.0), installed once into
# bench-results/triton/ (git-ignored): a venv from /usr/bin/python3.11 (the Python-backend stub links Debian's
# libpython3.11) with numpy<2 and the project's onnxruntime pin, and a copy of the wheel's tritonserver tree
# with the 3.11 stub in backends/python/. The wheel has no onnxruntime backend, so each model is served by
# the Python backend: a model.py that runs the zoo's ONNX file with ONNX Runtime (one intra-op thread) and
# merges the requests of one execution (concatenated along the batch dimension, one run, split back). Its
# config.pbtxt has the zoo's inputs, outputs, max_batch_size and instance group, and `dynamic_batching {}`
# (no delay; TRITON_QUEUE_DELAY_US sets one) where the zoo's model batches dynamically.
#
# Per point: perf_analyzer's throughput and p50/p99 (its last, stable windows); requests per execution and
# server CPU per request from the server's statistics (/v2/models/<m>/stats) and /proc/<pid>/stat
# (utime+stime of the server and its child processes: Triton's Python stubs) read before and after the
# point, so over the whole point including perf_analyzer's warm-up windows.
#
# Usage: dev/bench/vs-triton.sh [--quick] [--only offload|triton] [--models m1,m2] [--out DIR]
#   --quick        1 and 32 in flight only (4 points per server instead of 6)
#   --only S       run one server (the other's columns stay empty)
#   --models LIST  zoo models to compare (default lhcb_ghost_mlp; env VS_TRITON_MODELS)
#   --out DIR      result directory (default bench-results/vs-triton-<UTC timestamp>)
# Environment: OFFLOAD_BIN (default .build/release/offload), OFFLOAD_MODELS (the repository Offload serves,
#   default models/), PA_STABILITY (perf_analyzer -s, default 20),
#   PA_MAX_TRIALS (default 5), TRITON_QUEUE_DELAY_US (default 0). A point that does not stabilize is
#   measured again with -s 100 --max-trials 3 and marked unstable (an asterisk in the table).
# Writes DIR/vs-triton.md, DIR/vs-triton.json, DIR/points.jsonl, perf_analyzer outputs and server logs.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
root=$(pwd)

PYTRITON_VERSION=0.7.0
TRITON_HOME=${root}/bench-results/triton
TRITON_VENV=${TRITON_HOME}/venv
TRITON_SERVER=${TRITON_HOME}/server
TRITON_LIBS=${TRITON_VENV}/lib/python3.11/site-packages/nvidia_pytriton.libs
HELPER=${root}/dev/bench/vs_triton.py

log() { printf '[vs-triton] %s\n' "$*" >&2; }
die() {
  printf '[vs-triton] error: %s\n' "$*" >&2
  exit 1
}

quick=0
only=""
models=${VS_TRITON_MODELS:-lhcb_ghost_mlp}
out=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) quick=1 ;;
    --only)
      only=${2:?--only needs offload or triton}
      shift
      ;;
    --models)
      models=${2:?--models needs a comma-separated list}
      shift
      ;;
    --out)
      out=${2:?--out needs a directory}
      shift
      ;;
    -h | --help)
      awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "${BASH_SOURCE[0]}"
      exit 0
      ;;
    *) die "unknown argument: $1 (try --help)" ;;
  esac
  shift
done
[[ -z "${only}" || "${only}" == offload || "${only}" == triton ]] || die "--only takes offload or triton"
IFS=', ' read -r -a model_list <<<"${models}"
[[ ${#model_list[@]} -gt 0 ]] || die "no models"
for model in "${model_list[@]}"; do
  [[ -f "models/${model}/config.pbtxt" ]] || die "models/${model}/config.pbtxt not found"
done
servers=(offload triton)
[[ -n "${only}" ]] && servers=("${only}")
concurrencies=(1 8 32)
[[ "${quick}" == 1 ]] && concurrencies=(1 32)
protocols=(grpc http)
stamp=$(date -u +%Y%m%dT%H%M%SZ)
out=${out:-bench-results/vs-triton-${stamp}}
mkdir -p "${out}"
out=$(cd "${out}" && pwd)
offload_bin=${OFFLOAD_BIN:-.build/release/offload}

# --- the Triton reference (idempotent) ---
install_triton() {
  local ort_version wanted
  ort_version=$(sed -n 's/^onnxruntime==\([^ ]*\).*/\1/p' dev/requirements.txt)
  [[ -n "${ort_version}" ]] || die "no onnxruntime pin in dev/requirements.txt"
  wanted="nvidia-pytriton==${PYTRITON_VERSION} numpy<2 onnxruntime==${ort_version}"
  if [[ -f "${TRITON_HOME}/.stamp" && "$(cat "${TRITON_HOME}/.stamp")" == "${wanted}" \
    && -x "${TRITON_SERVER}/bin/tritonserver" ]]; then
    return 0
  fi
  [[ -x /usr/bin/python3.11 ]] || die "/usr/bin/python3.11 is missing (apt-get install python3.11 python3.11-venv)"
  log "installing the Triton reference into ${TRITON_HOME#"${root}"/} (${wanted})"
  rm -rf "${TRITON_HOME}"
  mkdir -p "${TRITON_HOME}"
  /usr/bin/python3.11 -m venv "${TRITON_VENV}" || die "venv creation failed (python3.11-venv installed?)"
  "${TRITON_VENV}/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
    "nvidia-pytriton==${PYTRITON_VERSION}" "numpy<2" "onnxruntime==${ort_version}" >&2 \
    || die "pip install of ${wanted} failed (needs PyPI)"
  local wheel=${TRITON_VENV}/lib/python3.11/site-packages/pytriton/tritonserver
  [[ -x "${wheel}/bin/tritonserver" ]] || die "no tritonserver in the nvidia-pytriton wheel (${wheel})"
  cp -r "${wheel}" "${TRITON_SERVER}"
  cp "${wheel}/python_backend_stubs/3.11/triton_python_backend_stub" "${TRITON_SERVER}/backends/python/"
  echo "${wanted}" >"${TRITON_HOME}/.stamp"
}

# --- servers ---
server_pid=""
server_children=""
stop_server() {
  [[ -n "${server_pid}" ]] || return 0
  server_children=$(pgrep -P "${server_pid}" || true)
  kill "${server_pid}" 2>/dev/null || true
  for _ in $(seq 100); do
    kill -0 "${server_pid}" 2>/dev/null || break
    sleep 0.1
  done
  kill -9 "${server_pid}" 2>/dev/null || true
  wait "${server_pid}" 2>/dev/null || true
  local child
  for child in ${server_children}; do
    kill "${child}" 2>/dev/null || true
  done
  server_pid=""
}
trap stop_server EXIT
trap 'exit 130' INT TERM

start_server() {
  local server=$1 model
  read -r grpc_port http_port metrics_port < <(python3 "${HELPER}" ports 3)
  if [[ "${server}" == offload ]]; then
    local load=()
    for model in "${model_list[@]}"; do load+=(--load-model "${model}"); done
    "${offload_bin}" serve --model-repository "${OFFLOAD_MODELS:-models}" --host 127.0.0.1 --grpc-port "${grpc_port}" \
      --http-port "${http_port}" --metrics-port "${metrics_port}" --onnxruntime-library "${ort_library}" \
      --model-control-mode explicit "${load[@]}" --log-level error >"${out}/offload.log" 2>&1 &
  else
    rm -rf "${TRITON_HOME}/models"
    "${TRITON_VENV}/bin/python" "${HELPER}" make-repo models "${TRITON_HOME}/models" "${model_list[@]}"
    env LD_LIBRARY_PATH="${TRITON_LIBS}${LD_LIBRARY_PATH:+:${LD_LIBRARY_PATH}}" PATH="${TRITON_VENV}/bin:${PATH}" \
      "${TRITON_SERVER}/bin/tritonserver" --model-repository "${TRITON_HOME}/models" \
      --backend-directory "${TRITON_SERVER}/backends" --cache-directory "${TRITON_SERVER}/caches" \
      --http-address 127.0.0.1 --http-port "${http_port}" --grpc-address 127.0.0.1 --grpc-port "${grpc_port}" \
      --metrics-address 127.0.0.1 --metrics-port "${metrics_port}" --exit-timeout-secs 5 \
      --log-verbose 0 --log-info false >"${out}/triton.log" 2>&1 &
  fi
  server_pid=$!
  local seconds
  seconds=$(python3 "${HELPER}" wait-ready "http://127.0.0.1:${http_port}" "${server_pid}" 60) \
    || die "${server} did not become ready; see ${out}/${server}.log: $(tail -5 "${out}/${server}.log")"
  log "${server} ready in ${seconds} s (pid ${server_pid}; gRPC ${grpc_port}, HTTP ${http_port})"
}

# One point: statistics + CPU sample, perf_analyzer, sample again.
measure() {
  local server=$1 model=$2 protocol=$3 concurrency=$4
  local name=${server}-${model}-${protocol}-c${concurrency} port=${grpc_port} stable=true shapes=()
  [[ "${protocol}" == http ]] && port=${http_port}
  mapfile -t shapes < <(python3 "${HELPER}" shape-args models "${model}")
  local stats_url=http://127.0.0.1:${http_port}
  local pa_args=(-m "${model}" -u "127.0.0.1:${port}" -i "${protocol}" -b 1 --concurrency-range "${concurrency}"
    --measurement-interval 2000 -f "${out}/${name}.csv" "${shapes[@]}")
  python3 "${HELPER}" sample "${stats_url}" "${model}" "${server_pid}" >"${out}/${name}.before.json"
  if ! "${perf_analyzer}" "${pa_args[@]}" -s "${PA_STABILITY:-20}" --max-trials "${PA_MAX_TRIALS:-5}" \
    >"${out}/${name}.txt" 2>&1; then
    grep -q "stable measurement" "${out}/${name}.txt" \
      || die "perf_analyzer failed on ${name}: $(tail -5 "${out}/${name}.txt")"
    stable=false
    "${perf_analyzer}" "${pa_args[@]}" -s 100 --max-trials 3 >"${out}/${name}.txt" 2>&1 \
      || die "perf_analyzer failed on ${name}: $(tail -5 "${out}/${name}.txt")"
  fi
  python3 "${HELPER}" sample "${stats_url}" "${model}" "${server_pid}" >"${out}/${name}.after.json"
  python3 "${HELPER}" point "${out}/${name}.before.json" "${out}/${name}.after.json" "${out}/${name}.csv" \
    "${model}" "${server}" "${protocol}" "${concurrency}" "${stable}" >>"${out}/points.jsonl"
}

# --- main ---
perf_analyzer=$(dev/perf-analyzer.sh)
perf_analyzer=${root}/${perf_analyzer#"${root}"/}
for server in "${servers[@]}"; do
  if [[ "${server}" == offload ]]; then
    [[ -x "${offload_bin}" ]] || die "no ${offload_bin}: swift build -c release --product offload (or set OFFLOAD_BIN)"
    ort_library=$(dev/python-env.sh --print-ort-lib)
  else
    install_triton
  fi
done
revision=$(git rev-parse --short HEAD)
# The binary is usually built from the working tree: say so when it differs from HEAD.
if [[ -n "$(git status --porcelain -- Sources Package.swift)" ]]; then
  revision+=" (Sources modified)"
fi
: >"${out}/points.jsonl"
for server in "${servers[@]}"; do
  start_server "${server}"
  for model in "${model_list[@]}"; do
    for protocol in "${protocols[@]}"; do
      for concurrency in "${concurrencies[@]}"; do
        measure "${server}" "${model}" "${protocol}" "${concurrency}"
      done
    done
  done
  stop_server
done
echo
python3 "${HELPER}" table "${out}/points.jsonl" "${out}" "$(date -u '+%Y-%m-%d %H:%M UTC')" "${revision}"
log "results in ${out#"${root}"/}"
