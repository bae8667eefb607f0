# Sourced by the bench scripts that measure one release `offload serve` of examples/models on loopback.
#   start_offload_server OUT_DIR [extra `offload serve` arguments...]
# Sets offload_bin, grpc_port, http_port and server_pid, logs to OUT_DIR/server.log, stops the server when the
# calling script exits, and returns once the server is ready. Env: OFFLOAD_BIN (default .build/release/offload).
start_offload_server() {
  local out=$1
  shift
  local root helper library
  root=$(pwd)
  helper=${root}/dev/bench/vs_triton.py
  offload_bin=${OFFLOAD_BIN:-${root}/.build/release/offload}
  [[ -x "${offload_bin}" ]] || { echo "no ${offload_bin}: swift build -c release --product offload" >&2; exit 1; }
  library=$(dev/python-env.sh --print-ort-lib)
  read -r -a ports <<<"$(python3 "${helper}" ports 2)"
  grpc_port=${ports[0]}
  http_port=${ports[1]}
  "${offload_bin}" serve --model-repository examples/models --host 127.0.0.1 --grpc-port "${grpc_port}" \
    --http-port "${http_port}" --metrics-port 0 --onnxruntime-library "${library}" --log-level warning "$@" \
    >"${out}/server.log" 2>&1 &
  server_pid=$!
  trap 'kill ${server_pid} 2>/dev/null || true' EXIT
  python3 "${helper}" wait-ready "http://127.0.0.1:${http_port}" "${server_pid}" 60 >/dev/null
}
