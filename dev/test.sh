#!/usr/bin/env bash
# Runs the whole test suite: the deployment manifest checks, Swift unit, in-process and live-socket tests
# (the gateway failover tests among them, which need HAProxy), and the interop tests with the real Python
# Triton clients (tritonclient and perf_analyzer, in the project-local .venv that this script prepares).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n==> %s\n' "$*"; }

step "Python environment (onnxruntime, tritonclient, onnx, pytest) in .venv"
dev/python-env.sh --print-ort-lib >/dev/null

step "perf_analyzer (NVIDIA's C++ load generator, from the tritonclient 2.50 wheel) in .venv"
dev/perf-analyzer.sh >/dev/null

step "example models are reproducible from dev/make-example-models.py"
.venv/bin/python dev/make-example-models.py --check --no-verify

step "deployment manifests (dev/validate-manifests.sh)"
# Helm chart, Kubernetes schemas, HAProxy configurations, dashboard PromQL, Dockerfile, scripts; installs its
# tools on first use (Debian haproxy and shellcheck through apt, as root or with sudo; PyPI tools into
# .build/deploy-tools). Any failed check stops the run here.
dev/validate-manifests.sh

step "swift build --build-tests (a target importing a project target it does not declare fails the build)"
swift build --build-tests --explicit-target-dependency-import-check error

step "swift test (one test at a time)"
# Serial: many suites start real servers (gateway replicas, killed servers, the interop server); run in
# parallel on 2 cores they starve each other's 1 s health checks and deadlines, which made live tests
# flaky in CI. Serial costs a few minutes and removes that cross-suite interference.
swift test --skip-build --no-parallel

step "release binary, Python wheel, container image (docs/install.md)"
# The trimmed static release build (dev/build-release.sh; ~7 min cold on 2 cores), its size limits, the wheel
# installed into a brand-new venv and served from with tritonclient inferring (dev/check-wheel.sh), then the
# image built from scratch with buildah and served from with podman (dev/build-image.sh installs buildah,
# podman and runc through apt when run as root; without them and without root the image step is skipped).
RELEASE_BINARY="$(dev/build-release.sh)"
dev/check-wheel.sh "$(dev/build-wheel.sh --binary "${RELEASE_BINARY}")"
if [[ "$(id -u)" == 0 ]] || { command -v buildah && command -v podman && command -v runc; } >/dev/null; then
  dev/build-image.sh --binary "${RELEASE_BINARY}" --inspect --run
else
  echo "container image: skipped (needs buildah, podman and runc: apt-get install buildah podman runc, as root)"
fi

step "the real Prometheus against a live server under load (dev/check-prometheus.sh)"
# SuperSONIC's scaling expression, every Grafana panel and variable query, every KEDA trigger of the chart:
# each must answer finite, labelled results (tools and the rendered chart from dev/validate-manifests.sh).
dev/check-prometheus.sh "${RELEASE_BINARY}"

step "API documentation (dev/docs.sh: DocC for OffloadClient and KServeProtocol, warnings as errors)"
dev/docs.sh

step "fuzzing (dev/fuzz.sh: each libFuzzer target for a fixed 20000 inputs)"
# A separate build (.build/fuzz, OFFLOAD_FUZZ=1) with libFuzzer + AddressSanitizer on the project's parsers; any
# crash fails the run and leaves its input in .build/fuzz-artifacts. Longer runs: dev/fuzz.sh --runs -1
# --max-total-time 3600 (docs/security.md).
dev/fuzz.sh --runs 20000

step "format check (swift-format lint)"
dev/format.sh --lint

echo
echo "all tests passed"
