#!/usr/bin/env bash
# The real Prometheus against a live `offload serve` under load (deploy/tools/prometheus_live.py): SuperSONIC's
# scaling expression, every query of the shipped Grafana dashboard and every KEDA trigger of the chart must
# answer finite, labelled results. Uses what dev/validate-manifests.sh installs and renders (Debian's
# prometheus package unpacked into .build/deploy-tools, the chart rendered into .build/deploy-tools/out) and
# perf_analyzer from dev/perf-analyzer.sh as the load.
#
# Usage: dev/check-prometheus.sh [OFFLOAD_BINARY]   (default .build/dist/offload, else .build/release/offload)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

TOOLS="${OFFLOAD_DEPLOY_TOOLS:-.build/deploy-tools}"
OFFLOAD="${1:-}"
if [[ -z "${OFFLOAD}" ]]; then
  for candidate in .build/dist/offload .build/release/offload; do
    if [[ -x "${candidate}" ]]; then OFFLOAD="${candidate}"; break; fi
  done
fi
[[ -x "${OFFLOAD}" ]] || { echo "check-prometheus: no offload binary: run dev/build-release.sh or pass one" >&2; exit 1; }
for needed in "${TOOLS}/venv/bin/python" "${TOOLS}/prometheus/usr/bin/prometheus" "${TOOLS}/out/everything.yaml"; do
  [[ -e "${needed}" ]] || { echo "check-prometheus: ${needed} is missing: run dev/validate-manifests.sh first" >&2; exit 1; }
done
PERF_ANALYZER="$(dev/perf-analyzer.sh)"
dev/python-env.sh --print-ort-lib >/dev/null

WORK="$(mktemp -d /tmp/offload-prometheus.XXXXXX)"
trap 'rm -rf "${WORK}"' EXIT
"${TOOLS}/venv/bin/python" deploy/tools/prometheus_live.py \
  --offload "${OFFLOAD}" --prometheus "${TOOLS}/prometheus/usr/bin/prometheus" --perf-analyzer "${PERF_ANALYZER}" \
  --models models --dashboard deploy/grafana/offload-dashboard.json \
  --rendered-chart "${TOOLS}/out/everything.yaml" --work "${WORK}"
