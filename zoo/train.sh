#!/usr/bin/env bash
# Retrains the whole model zoo from its seeds and rewrites models/ (see zoo/train.py).
#   zoo/train.sh [--only NAME] [--out DIR] [--no-check]
# BLAS runs single-threaded so that training is bit-for-bit reproducible.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
dev/python-env.sh >/dev/null
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 PYTHONHASHSEED=0
start=$(date +%s)
.venv/bin/python -m zoo.train "$@"
echo "zoo/train.sh: $(( $(date +%s) - start )) s wall clock"
