#!/usr/bin/env bash
# Runs the whole test suite: Swift unit, in-process and live-socket tests, and the interop tests with
# the real Python Triton client (tritonclient, in the project-local .venv that this script prepares).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n==> %s\n' "$*"; }

step "Python environment (onnxruntime, tritonclient, onnx, pytest) in .venv"
dev/python-env.sh --print-ort-lib >/dev/null

step "example models are reproducible from dev/make-example-models.py"
.venv/bin/python dev/make-example-models.py --check --no-verify

step "swift build --build-tests"
swift build --build-tests

step "swift test"
swift test --skip-build

step "format check (swift-format lint)"
dev/format.sh --lint

echo
echo "all tests passed"
