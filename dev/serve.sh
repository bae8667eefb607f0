#!/usr/bin/env bash
# Builds `offload` (release) and serves the bundled HEP model zoo (models/) over gRPC on port 8001.
# Installs ONNX Runtime (the pinned PyPI wheel) into the project-local .venv when it is missing.
#
#   dev/serve.sh                         serve the model zoo (models/) on 0.0.0.0:8001
#   dev/serve.sh --grpc-port 9001 ...    extra flags go to `offload serve` (see docs/configuration.md)
#   OFFLOAD_MODELS=examples/models dev/serve.sh    serve another repository (here: the test models)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

echo "[serve] ensuring ONNX Runtime (.venv, dev/python-env.sh)"
ORT_LIB="$(dev/python-env.sh --print-ort-lib)"

echo "[serve] building offload (release; the first build takes several minutes)"
swift build -c release --product offload

echo "[serve] starting: offload serve --model-repository ${OFFLOAD_MODELS:-models}"
exec .build/release/offload serve \
  --model-repository "${OFFLOAD_MODELS:-models}" \
  --onnxruntime-library "${ORT_LIB}" \
  "$@"
