#!/usr/bin/env bash
# An ensemble against the client calling both of its models, same server, same run: the zoo's
# lhcb_ghost_filter (lhcb_ghost_mlp -> lhcb_ghost_selection) in one request, and the two requests a client
# would send instead (the second carries the first's ghost_prob). Python tritonclient.grpc for both modes, so
# the client's own cost per request is in both; the server's CPU time per pipeline is client-independent.
#
# Usage: dev/bench/ensemble.sh [--batches 1,128] [--concurrency 1,8] [--rounds 3] [--seconds 3]
# Env: OFFLOAD_BIN (default .build/release/offload). Writes bench-results/ensemble-<date>/table.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
root=$(pwd)
dev/python-env.sh >/dev/null
out=${root}/bench-results/ensemble-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "${out}"

source dev/bench/offload-server.bash
start_offload_server "${out}" --model-repository models
echo "offload serve (pid ${server_pid}) on gRPC ${grpc_port}; results in ${out}" >&2
.venv/bin/python dev/bench/ensemble_vs_client.py --url "127.0.0.1:${grpc_port}" --pid "${server_pid}" "$@" \
  | tee "${out}/table.md"
