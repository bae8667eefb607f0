#!/usr/bin/env bash
# Builds the Offload server image from scratch (no base image is pulled: nothing but the package
# registries is reachable here) with Debian's buildah, and optionally serves from it with podman
# (docs/install.md, "Container").
#
# The image holds: /usr/local/bin/offload (the stripped static-stdlib release binary),
# /opt/onnxruntime/lib/libonnxruntime.so.1.31.1 (from the pinned wheel in .venv), the few shared
# libraries both need (as `ldd` finds them on this Debian 12 machine: glibc, libstdc++, libgcc_s,
# libz and the dynamic loader), the model zoo at /opt/offload/models, an /etc/passwd naming the
# non-root user 10001 it runs as, and an empty /tmp. Entry point `offload serve`, default command
# `--model-repository /opt/offload/models`, ports 8000 (HTTP), 8001 (gRPC), 8002 (metrics).
#
# Usage: dev/build-image.sh [--binary PATH] [--tag NAME:TAG] [--archive FILE] [--run] [--inspect]
#   --binary PATH   package this offload binary (default: dev/build-release.sh builds it)
#   --tag NAME:TAG  image name (default offload:VERSION, what the Helm chart's defaults pull)
#   --archive FILE  also write it as a docker-archive (for `podman load`, `docker load`, and
#                   `apptainer run docker-archive:FILE`)
#   --inspect       print the image's layers, file list, size and entry point
#   --run           serve the zoo from the image with podman (host network, 127.0.0.1, free ports) and
#                   infer over gRPC and HTTP with tritonclient, outputs compared with ONNX Runtime
# Installs buildah, podman and runc with apt-get when missing (as root). Podman runs with runc and a
# containers.conf made here (no default ulimits, cgroupfs), as shared/design/facts.md found necessary.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO="$(pwd)"

say() { printf '[build-image] %s\n' "$*" >&2; }
die() { printf '[build-image] error: %s\n' "$*" >&2; exit 1; }

VERSION="$(sed -n 's/.*public static let version = "\(.*\)"/\1/p' Sources/InferenceServer/OffloadServer.swift)"
BINARY=""
TAG="offload:${VERSION}"
ARCHIVE=""
RUN=0
INSPECT=0
IMAGE_LIMIT=$((120 * 1000 * 1000))
while [[ $# -gt 0 ]]; do
  case "$1" in
    --binary) BINARY="$2"; shift 2 ;;
    --tag) TAG="$2"; shift 2 ;;
    --archive) ARCHIVE="$2"; shift 2 ;;
    --run) RUN=1; shift ;;
    --inspect) INSPECT=1; shift ;;
    -h | --help) sed -n '2,23p' "$0"; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
done

missing=()
for tool in buildah podman runc; do command -v "${tool}" >/dev/null || missing+=("${tool}"); done
if ((${#missing[@]} > 0)); then
  [[ "$(id -u)" == 0 ]] || die "needs ${missing[*]}: apt-get install buildah podman runc (as root)"
  say "installing ${missing[*]} (Debian packages)"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends buildah podman runc >/dev/null
fi

# Container settings that work on this machine kind (crun fails on its rlimits and hybrid cgroups).
CONF_DIR="${REPO}/.build/image"
mkdir -p "${CONF_DIR}"
cat >"${CONF_DIR}/containers.conf" <<'EOF'
[containers]
default_ulimits = []

[engine]
cgroup_manager = "cgroupfs"
runtime = "runc"
EOF
export CONTAINERS_CONF="${CONF_DIR}/containers.conf"
# Docker's image format: OCI's has no HEALTHCHECK.
export BUILDAH_FORMAT=docker

ORT_LIB="$(readlink -f "$(dev/python-env.sh --print-ort-lib)")"
[[ -f "${ORT_LIB}" ]] || die "no libonnxruntime.so from dev/python-env.sh"
ORT_NAME="$(basename "${ORT_LIB}")"

if [[ -z "${BINARY}" ]]; then BINARY="$(dev/build-release.sh)"; fi

ROOT="${CONF_DIR}/rootfs"
rm -rf "${ROOT}"
mkdir -p "${ROOT}/usr/local/bin" "${ROOT}/opt/onnxruntime/lib" "${ROOT}/opt/offload" "${ROOT}/etc" "${ROOT}/tmp"
chmod 1777 "${ROOT}/tmp"
install -m 0755 "${BINARY}" "${ROOT}/usr/local/bin/offload"
strip "${ROOT}/usr/local/bin/offload"
install -m 0755 "${ORT_LIB}" "${ROOT}/opt/onnxruntime/lib/${ORT_NAME}"
cp -R models "${ROOT}/opt/offload/models"

# Every shared library the binary and ONNX Runtime load, at the path the loader looks for it, and the
# loader itself. Symbolic links are followed: the image holds the real files under the linked names.
{
  ldd "${ROOT}/usr/local/bin/offload"
  ldd "${ORT_LIB}"
} | awk '/=> \// { print $3 } /^\s*\/[^ ]*ld-linux/ { print $1 }' | sort -u | while read -r lib; do
  mkdir -p "${ROOT}$(dirname "${lib}")"
  cp -L "${lib}" "${ROOT}${lib}"
done
# Debian's /lib64 and /lib are links into /usr; keep the same layout so the ELF interpreter path works.
[[ -e "${ROOT}/lib64/ld-linux-x86-64.so.2" ]] || {
  mkdir -p "${ROOT}/lib64"
  cp -L /lib64/ld-linux-x86-64.so.2 "${ROOT}/lib64/" 2>/dev/null || true
}
printf 'root:x:0:0:root:/root:/sbin/nologin\noffload:x:10001:10001:offload:/nonexistent:/sbin/nologin\n' >"${ROOT}/etc/passwd"
printf 'root:x:0:\noffload:x:10001:\n' >"${ROOT}/etc/group"

say "building ${TAG} from scratch (buildah)"
podman image rm -f "${TAG}" >/dev/null 2>&1 || true
CTR="$(buildah from scratch)"
trap 'buildah rm "${CTR}" >/dev/null 2>&1 || true' EXIT
buildah copy --quiet "${CTR}" "${ROOT}/" / >/dev/null
buildah config \
  --entrypoint '["/usr/local/bin/offload", "serve"]' \
  --cmd '--model-repository /opt/offload/models' \
  --env "OFFLOAD_ONNXRUNTIME_LIBRARY=/opt/onnxruntime/lib/${ORT_NAME}" \
  --env "PATH=/usr/local/bin" \
  --workingdir /opt/offload \
  --user 10001:10001 \
  --port 8000 --port 8001 --port 8002 \
  --stop-signal SIGTERM \
  --healthcheck 'CMD ["/usr/local/bin/offload", "health", "-u", "127.0.0.1:8001", "--attempts", "1", "--timeout-ms", "3000"]' \
  --healthcheck-interval 10s --healthcheck-timeout 5s --healthcheck-start-period 30s --healthcheck-retries 3 \
  --created-by "dev/build-image.sh (buildah, from scratch)" \
  --label "org.opencontainers.image.title=offload" \
  --label "org.opencontainers.image.version=${VERSION}" \
  --label "org.opencontainers.image.description=Offload inference server (Triton-compatible), ONNX Runtime ${ORT_NAME#libonnxruntime.so.}, HEP model zoo" \
  "${CTR}"
buildah commit --quiet --format docker --rm "${CTR}" "${TAG}" >/dev/null
trap - EXIT

SIZE="$(podman image inspect --format '{{.Size}}' "${TAG}")"
say "${TAG}: ${SIZE} bytes ($(awk -v b="${SIZE}" 'BEGIN { printf "%.1f MiB", b / 1048576 }'))"
((SIZE <= IMAGE_LIMIT)) || die "the image is ${SIZE} bytes, over the 120 MB limit"

if [[ -n "${ARCHIVE}" ]]; then
  rm -f "${ARCHIVE}"
  podman save --quiet --format docker-archive -o "${ARCHIVE}" "${TAG}"
  say "docker-archive: ${ARCHIVE} ($(stat -c %s "${ARCHIVE}") bytes)"
fi

if [[ "${INSPECT}" == 1 ]]; then
  echo "== image ${TAG}"
  podman image inspect --format 'size {{.Size}} bytes; entrypoint {{.Config.Entrypoint}}; cmd {{.Config.Cmd}}; user {{.Config.User}}; env {{.Config.Env}}; ports {{.Config.ExposedPorts}}' "${TAG}"
  echo "== layers"
  podman history --format '{{.ID}} {{.Size}} {{.CreatedBy}}' "${TAG}"
  echo "== files (bytes, path)"
  (cd "${ROOT}" && find . -type f -printf '%s %p\n' | sort -k2)
fi

if [[ "${RUN}" == 1 ]]; then
  PY="${REPO}/.venv/bin/python"
  read -r HTTP GRPC METRICS <<<"$("${PY}" dev/free_ports.py 3)"
  NAME="offload-image-check-$$"
  say "podman run ${TAG} on gRPC ${GRPC}, HTTP ${HTTP} (host network, 127.0.0.1)"
  # --no-healthcheck: podman would schedule the image's HEALTHCHECK with systemd timers, which this
  # machine has not; the check runs once by hand below instead.
  podman run -d --rm --no-healthcheck --name "${NAME}" --network host "${TAG}" \
    --model-repository /opt/offload/models --host 127.0.0.1 \
    --http-port "${HTTP}" --grpc-port "${GRPC}" --metrics-port "${METRICS}" >/dev/null
  trap 'podman rm -f "${NAME}" >/dev/null 2>&1 || true' EXIT
  "${PY}" dev/infer-check.py --http "${HTTP}" --grpc "${GRPC}" --zoo "${REPO}/models" --rows 32 --seed 11 \
    --label container || { podman logs "${NAME}" >&2 || true; die "inference against the container failed"; }
  # The image's HEALTHCHECK command (offload health over gRPC), run inside the container; it needs the
  # default port 8001, so it is run with the port this container listens on.
  podman exec "${NAME}" /usr/local/bin/offload health -u "127.0.0.1:${GRPC}" --attempts 1 --timeout-ms 3000 >&2 \
    || die "offload health inside the container failed"
  podman stop -t 10 "${NAME}" >/dev/null
  trap - EXIT
  say "served from the image and answered over gRPC and HTTP"
fi
echo "${TAG}"
