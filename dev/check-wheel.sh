#!/usr/bin/env bash
# Checks the `offload-server` wheel the way a user meets it (docs/install.md): its tag and size, then a
# brand-new venv in an empty temporary directory (no project files on any path, no
# OFFLOAD_ONNXRUNTIME_LIBRARY, no VIRTUAL_ENV), `pip install WHEEL` (onnxruntime comes from PyPI as
# its dependency), `offload serve` from the venv's bin on the bundled zoo, and tritonclient (the
# project's .venv) inferring over gRPC and HTTP, compared with ONNX Runtime run on the same model file;
# then the same through `python -m offload_server serve`.
#
# Usage: dev/check-wheel.sh [WHEEL]   (default: builds one with dev/build-wheel.sh)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO="$(pwd)"

say() { printf '[check-wheel] %s\n' "$*" >&2; }
die() { printf '[check-wheel] FAILED: %s\n' "$*" >&2; exit 1; }

WHEEL="${1:-}"
if [[ -z "${WHEEL}" ]]; then WHEEL="$(dev/build-wheel.sh)"; fi
WHEEL="$(readlink -f "${WHEEL}")"
[[ -f "${WHEEL}" ]] || die "no wheel at ${WHEEL}"
NAME="$(basename "${WHEEL}")"

# Tag: a platform wheel for Linux glibc (manylinux_X_Y_ARCH), not py3-none-any; size <= 25 MB.
[[ "${NAME}" =~ ^offload_server-[0-9.]+-py3-none-manylinux_[0-9]+_[0-9]+_(x86_64|aarch64)\.whl$ ]] \
  || die "${NAME} is not tagged py3-none-manylinux_X_Y_ARCH"
SIZE=$(stat -c %s "${WHEEL}")
((SIZE <= 25 * 1000 * 1000)) || die "${NAME} is ${SIZE} bytes, over 25 MB"
say "${NAME}: ${SIZE} bytes"

CLIENT_PYTHON="$(dev/python-env.sh --print-ort-lib >/dev/null && echo "${REPO}/.venv/bin/python")"
WORK="$(mktemp -d /tmp/offload-wheel-check.XXXXXX)"
SERVER_PID=""
cleanup() {
  if [[ -n "${SERVER_PID}" ]]; then kill "${SERVER_PID}" 2>/dev/null || true; wait "${SERVER_PID}" 2>/dev/null || true; fi
  rm -rf "${WORK}"
}
trap cleanup EXIT

say "brand-new venv in ${WORK}; pip install ${NAME}"
cd "${WORK}"
# A clean environment: nothing of the project's or the caller's Python setup leaks in.
CLEAN_ENV=(env -i "PATH=/usr/local/bin:/usr/bin:/bin" "HOME=${HOME:-/root}" "TMPDIR=${TMPDIR:-/tmp}")
"${CLEAN_ENV[@]}" python3 -m venv venv
"${CLEAN_ENV[@]}" venv/bin/pip install -q --disable-pip-version-check "${WHEEL}"
[[ -x venv/bin/offload ]] || die "pip put no offload executable into venv/bin"
ZOO="$("${CLEAN_ENV[@]}" venv/bin/python -m offload_server --print-zoo)"
[[ -f "${ZOO}/lhcb_ghost_mlp/config.pbtxt" ]] || die "the bundled zoo is missing at ${ZOO}"

# serve_and_infer LABEL COMMAND...: starts the server, waits for ready, infers, stops it.
serve_and_infer() {
  local label="$1"
  shift
  read -r HTTP GRPC METRICS <<<"$("${CLIENT_PYTHON}" "${REPO}/dev/free_ports.py" 3)"
  say "${label}: serving the zoo on gRPC ${GRPC}, HTTP ${HTTP}"
  "${CLEAN_ENV[@]}" "$@" --model-repository "${ZOO}" --host 127.0.0.1 \
    --http-port "${HTTP}" --grpc-port "${GRPC}" --metrics-port "${METRICS}" >"${WORK}/server.log" 2>&1 &
  SERVER_PID=$!
  "${CLIENT_PYTHON}" "${REPO}/dev/infer-check.py" --http "${HTTP}" --grpc "${GRPC}" --zoo "${ZOO}" --label "${label}" \
    || { cat "${WORK}/server.log" >&2; die "${label}"; }
  kill "${SERVER_PID}"
  wait "${SERVER_PID}" 2>/dev/null || true
  SERVER_PID=""
}

serve_and_infer "offload from the venv's bin" venv/bin/offload serve
serve_and_infer "python -m offload_server" venv/bin/python -m offload_server serve
say "passed"
