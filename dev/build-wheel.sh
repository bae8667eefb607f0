#!/usr/bin/env bash
# Builds the `offload-server` Python wheel (docs/install.md) from the release binary:
#   1. the stripped static release binary of dev/build-release.sh (or --binary PATH);
#   2. a staging copy of packaging/wheel/ with the binary as bin/offload and the model zoo (models/) as
#      offload_server/models, built with hatchling through `python -m build`;
#   3. the platform tag the binary really needs, read by `auditwheel show` from its glibc symbol
#      versions, written into the wheel's name and WHEEL file with `wheel tags`;
#   4. a size table (binary, wheel, ONNX Runtime) and the limits: wheel <= 25 MB, binary <= 40 MB.
#
# Usage: dev/build-wheel.sh [--binary PATH] [--out DIR] [--no-limits]
#   --binary PATH  package this (stripped or not) offload binary instead of building one
#   --out DIR      where the wheel goes (default .build/wheel/dist); its path is printed last on stdout
#   --no-limits    report the sizes without failing on them
# The build tools (pinned) live in .build/wheel-tools, a venv made on first use.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO="$(pwd)"

BINARY=""
OUT="${REPO}/.build/wheel/dist"
LIMITS=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --binary) BINARY="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    --no-limits) LIMITS=0; shift ;;
    -h | --help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "build-wheel: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

say() { printf '[build-wheel] %s\n' "$*" >&2; }
die() { printf '[build-wheel] error: %s\n' "$*" >&2; exit 1; }
mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }

WHEEL_LIMIT=$((25 * 1000 * 1000))
BINARY_LIMIT=$((40 * 1000 * 1000))

# The version has one source: the server's own (ServerMetadata reports it).
VERSION="$(sed -n 's/.*public static let version = "\(.*\)"/\1/p' Sources/InferenceServer/OffloadServer.swift)"
[[ -n "${VERSION}" ]] || die "no version in Sources/InferenceServer/OffloadServer.swift"
grep -q "^version = \"${VERSION}\"$" packaging/wheel/pyproject.toml \
  || die "packaging/wheel/pyproject.toml's version differs from OffloadServer.version ${VERSION}: make them equal"
grep -q "^__version__ = \"${VERSION}\"$" packaging/wheel/offload_server/__init__.py \
  || die "offload_server.__version__ differs from OffloadServer.version ${VERSION}: make them equal"

TOOLS="${REPO}/.build/wheel-tools"
if [[ ! -x "${TOOLS}/bin/auditwheel" ]]; then
  say "creating ${TOOLS} (build, hatchling, wheel, auditwheel from PyPI)"
  python3 -m venv "${TOOLS}"
  "${TOOLS}/bin/pip" install -q --disable-pip-version-check \
    build==1.6.1 hatchling==1.33.0 wheel==0.48.0 auditwheel==6.8.2
fi

STAGE="${REPO}/.build/wheel/stage"
rm -rf "${STAGE}"
mkdir -p "${STAGE}/bin" "${OUT}"
cp -R packaging/wheel/. "${STAGE}/"
find "${STAGE}" -name '__pycache__' -prune -exec rm -rf {} +

if [[ -z "${BINARY}" ]]; then BINARY="$(dev/build-release.sh)"; fi
[[ -x "${BINARY}" ]] || die "${BINARY} is not an executable"
install -m 0755 "${BINARY}" "${STAGE}/bin/offload"
strip "${STAGE}/bin/offload"
STRIPPED=$(stat -c %s "${STAGE}/bin/offload")
"${STAGE}/bin/offload" --help >/dev/null || die "the binary does not run: ${BINARY}"

# The zoo: each model's config and ONNX files (no training outputs beyond what serve reads).
cp -R models "${STAGE}/offload_server/models"

say "building the wheel (hatchling)"
rm -f "${OUT}"/offload_server-"${VERSION}"-*.whl
(cd "${STAGE}" && "${TOOLS}/bin/python" -m build --wheel --no-isolation --outdir "${OUT}" . >&2)
ANY="${OUT}/offload_server-${VERSION}-py3-none-any.whl"
[[ -f "${ANY}" ]] || die "hatchling made no ${ANY}"

# auditwheel reads the ELF files' glibc/libstdc++ symbol versions and names the oldest manylinux
# policy they fit; the binary itself is the only ELF file in the wheel.
SHOW="$("${TOOLS}/bin/auditwheel" show "${ANY}" 2>&1)" || die "auditwheel show failed: ${SHOW}"
TAG="$(printf '%s\n' "${SHOW}" | grep -o 'manylinux_[0-9]*_[0-9]*_[a-z0-9_]*' | head -n1)"
[[ -n "${TAG}" ]] || die "auditwheel named no manylinux tag: ${SHOW}"
say "auditwheel: consistent with ${TAG}"
"${TOOLS}/bin/python" -m wheel tags --remove --python-tag py3 --abi-tag none --platform-tag "${TAG}" "${ANY}" >&2
WHEEL="${OUT}/offload_server-${VERSION}-py3-none-${TAG}.whl"
[[ -f "${WHEEL}" ]] || die "wheel tags made no ${WHEEL}"
WHEEL_SIZE=$(stat -c %s "${WHEEL}")

ORT_SIZE=""
if ORT_LIB="$(dev/python-env.sh --print-ort-lib 2>/dev/null)" && [[ -f "${ORT_LIB}" ]]; then
  ORT_SIZE=$(stat -c %s "$(readlink -f "${ORT_LIB}")")
fi

{
  echo "| artefact | bytes | size |"
  echo "| --- | ---: | ---: |"
  echo "| offload binary, stripped | ${STRIPPED} | $(mib "${STRIPPED}") |"
  echo "| wheel $(basename "${WHEEL}") | ${WHEEL_SIZE} | $(mib "${WHEEL_SIZE}") |"
  if [[ -n "${ORT_SIZE}" ]]; then
    echo "| libonnxruntime.so (onnxruntime wheel) | ${ORT_SIZE} | $(mib "${ORT_SIZE}") |"
    echo "| server on disk (binary + ONNX Runtime) | $((STRIPPED + ORT_SIZE)) | $(mib $((STRIPPED + ORT_SIZE))) |"
  fi
} >&2

if [[ "${LIMITS}" == 1 ]]; then
  ((WHEEL_SIZE <= WHEEL_LIMIT)) || die "the wheel is $(mib "${WHEEL_SIZE}"), over the 25 MB limit"
  ((STRIPPED <= BINARY_LIMIT)) || die "the stripped binary is $(mib "${STRIPPED}"), over the 40 MB limit"
fi
echo "${WHEEL}"
