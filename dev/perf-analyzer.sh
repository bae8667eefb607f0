#!/usr/bin/env bash
# Installs NVIDIA's perf_analyzer (the C++ load generator Triton users benchmark with) into the project's
# .venv, for the interop test that runs it unmodified against `offload serve`
# (Tests/EndToEndTests/PerfAnalyzerInteropTests.swift).
#
# perf_analyzer is not on PyPI as its own package any more (the `perf-analyzer` name there is a
# placeholder), but the tritonclient wheels up to 2.50 ship the binary (data/bin/perf_analyzer). It links
# the CUDA runtime (libcudart.so.12, from the nvidia-cuda-runtime-cu12 wheel; no GPU is needed unless
# CUDA shared memory is asked for) and libb64 (Debian's libb64-0d, installed with apt-get when root).
# Both wheels are pinned; nothing is installed into the venv's site-packages (the tests use tritonclient
# 2.73 from dev/requirements.txt).
#
# Usage: dev/perf-analyzer.sh         install if missing, print the wrapper's path (.venv/bin/perf_analyzer)
# Idempotent: a stamp records the pinned versions.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

TRITONCLIENT_VERSION=2.50.0
CUDART_VERSION=12.9.79
HOME_DIR=.venv/perf_analyzer
WRAPPER=.venv/bin/perf_analyzer
STAMP="${HOME_DIR}/.stamp"
WANTED="tritonclient-${TRITONCLIENT_VERSION} cudart-${CUDART_VERSION}"

log() { printf '[perf-analyzer] %s\n' "$*" >&2; }
die() {
  printf '[perf-analyzer] error: %s\n' "$*" >&2
  exit 1
}

[[ -x .venv/bin/python ]] || dev/python-env.sh >&2

if ! ldconfig -p 2>/dev/null | grep -q 'libb64\.so\.0d'; then
  [[ "$(id -u)" == 0 ]] || die "libb64.so.0d is missing: apt-get install libb64-0d (needs root)"
  log "installing libb64-0d (Debian package)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libb64-0d >/dev/null 2>&1 || {
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libb64-0d >/dev/null
  }
fi

if [[ -x "${WRAPPER}" && -f "${STAMP}" && "$(cat "${STAMP}")" == "${WANTED}" ]]; then
  echo "${WRAPPER}"
  exit 0
fi

case "$(uname -m)" in
  x86_64) platform=manylinux1_x86_64 cuda_platform=manylinux_2_17_x86_64 ;;
  aarch64) platform=manylinux2014_aarch64 cuda_platform=manylinux_2_17_aarch64 ;;
  *) die "no perf_analyzer wheel for $(uname -m)" ;;
esac
downloads=$(mktemp -d)
trap 'rm -rf "${downloads}"' EXIT
log "downloading tritonclient ${TRITONCLIENT_VERSION} (${platform}) and nvidia-cuda-runtime-cu12 ${CUDART_VERSION}"
.venv/bin/python -m pip download --quiet --no-deps --only-binary=:all: --platform "${platform}" \
  -d "${downloads}" "tritonclient==${TRITONCLIENT_VERSION}" || die "pip download of tritonclient failed (needs PyPI)"
.venv/bin/python -m pip download --quiet --no-deps --only-binary=:all: --platform "${cuda_platform}" \
  -d "${downloads}" "nvidia-cuda-runtime-cu12==${CUDART_VERSION}" \
  || die "pip download of nvidia-cuda-runtime-cu12 failed (needs PyPI)"
rm -rf "${HOME_DIR}"
mkdir -p "${HOME_DIR}/lib"
.venv/bin/python - "${downloads}" "${HOME_DIR}" <<'PY'
import glob, os, sys, zipfile
downloads, home = sys.argv[1], sys.argv[2]
wanted = {"/bin/perf_analyzer": os.path.join(home, "perf_analyzer"),
          "/lib/libcudart.so.12": os.path.join(home, "lib", "libcudart.so.12")}
found = set()
for wheel in glob.glob(os.path.join(downloads, "*.whl")):
    with zipfile.ZipFile(wheel) as archive:
        for name in archive.namelist():
            for suffix, target in wanted.items():
                if name.endswith(suffix):
                    with open(target, "wb") as out:
                        out.write(archive.read(name))
                    os.chmod(target, 0o755)
                    found.add(suffix)
missing = set(wanted) - found
if missing:
    sys.exit(f"[perf-analyzer] error: not in the wheels: {sorted(missing)}")
PY
cat >"${WRAPPER}" <<EOF
#!/usr/bin/env bash
# perf_analyzer from tritonclient ${TRITONCLIENT_VERSION} with the CUDA runtime it links (dev/perf-analyzer.sh).
here="\$(cd "\$(dirname "\${BASH_SOURCE[0]}")/../perf_analyzer" && pwd)"
LD_LIBRARY_PATH="\${here}/lib\${LD_LIBRARY_PATH:+:\${LD_LIBRARY_PATH}}" exec "\${here}/perf_analyzer" "\$@"
EOF
chmod +x "${WRAPPER}"
"${WRAPPER}" --version >/dev/null 2>&1 || "${WRAPPER}" -h 2>&1 | grep -q "perf_analyzer" \
  || die "the installed perf_analyzer does not start: $("${WRAPPER}" -h 2>&1 | head -3)"
echo "${WANTED}" >"${STAMP}"
log "installed ${WRAPPER}"
echo "${WRAPPER}"
