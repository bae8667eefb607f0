#!/usr/bin/env bash
# Builds `offload` (release) and serves the bundled model repository over gRPC on port 8001.
# Installs ONNX Runtime (the pinned PyPI wheel) into the project-local .venv when it is missing.
#
#   dev/serve.sh                         serve examples/models on 0.0.0.0:8001
#   dev/serve.sh --grpc-port 9001 ...    extra flags go to `offload serve` (see docs/configuration.md)
#   OFFLOAD_MODELS=/path/to/repo dev/serve.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

echo "[serve] ensuring ONNX Runtime (.venv, dev/python-env.sh)"
ORT_LIB="$(dev/python-env.sh --print-ort-lib)"

echo "[serve] building offload (release; the first build takes several minutes)"
swift build -c release --product offload

echo "[serve] starting: offload serve --model-repository ${OFFLOAD_MODELS:-examples/models}"
exec .build/release/offload serve \
  --model-repository "${OFFLOAD_MODELS:-examples/models}" \
  --onnxruntime-library "${ORT_LIB}" \
  "$@"
