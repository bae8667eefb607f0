#!/usr/bin/env bash
# Creates (or refreshes) the project-local Python environment at <repo>/.venv
# from dev/requirements.txt, then prints the path of the libonnxruntime shared
# library that the onnxruntime wheel ships.
#
# Usage:
#   dev/python-env.sh                  set up / refresh the venv, report progress,
#                                      print the libonnxruntime path last
#   dev/python-env.sh --print-ort-lib  same setup (progress on stderr only), then
#                                      print only the libonnxruntime path on stdout:
#                                        ORT_LIB="$(dev/python-env.sh --print-ort-lib)"
#   dev/python-env.sh --force          recreate the venv from scratch
#
# Environment:
#   PYTHON   base interpreter used to create the venv (default: python3)
#
# Idempotent: the sha256 of requirements.txt (plus the interpreter version) is kept
# in .venv/.offload-requirements.sha256; when it matches, nothing is installed.
# On a bare Debian 12 where `python3 -m venv` fails for lack of ensurepip, the
# python3-venv package is installed with apt-get when running as root.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "${SCRIPT_DIR}/.." && pwd)"
REQUIREMENTS="${SCRIPT_DIR}/requirements.txt"
VENV="${REPO_ROOT}/.venv"
STAMP="${VENV}/.offload-requirements.sha256"
BASE_PYTHON="${PYTHON:-python3}"

QUIET=0   # 1: progress goes to stderr, stdout carries only the library path

log() {
    if [[ "${QUIET}" == 1 ]]; then
        printf '[python-env] %s\n' "$*" >&2
    else
        printf '[python-env] %s\n' "$*"
    fi
}

die() {
    printf '[python-env] error: %s\n' "$*" >&2
    exit 1
}

# Runs a command with its output routed like log(): to stderr in quiet mode.
run_logged() {
    if [[ "${QUIET}" == 1 ]]; then
        "$@" >&2
    else
        "$@"
    fi
}

# The stamp: requirements content hash + venv interpreter version.
wanted_stamp() {
    local req_hash py_version
    req_hash="$(sha256sum "${REQUIREMENTS}" | cut -d' ' -f1)"
    py_version="$("${VENV}/bin/python" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')"
    printf '%s python-%s\n' "${req_hash}" "${py_version}"
}

venv_python_works() {
    [[ -x "${VENV}/bin/python" ]] && "${VENV}/bin/python" -c 'import sys' >/dev/null 2>&1
}

check_base_python() {
    command -v "${BASE_PYTHON}" >/dev/null 2>&1 \
        || die "'${BASE_PYTHON}' not found; install python3 (Debian: apt-get install python3 python3-venv)"
    "${BASE_PYTHON}" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
        || die "$("${BASE_PYTHON}" --version 2>&1) is too old: numpy/onnxruntime pins need Python >= 3.11"
}

install_venv_package() {
    if [[ "$(id -u)" != 0 ]]; then
        die "'${BASE_PYTHON} -m venv' failed and we are not root; install the python3-venv package (apt-get install python3-venv) and retry"
    fi
    command -v apt-get >/dev/null 2>&1 \
        || die "'${BASE_PYTHON} -m venv' failed and apt-get is not available to install python3-venv"
    local minor_pkg
    minor_pkg="python$("${BASE_PYTHON}" -c 'import sys; print("%d.%d" % sys.version_info[:2])')-venv"
    log "python venv support missing; installing python3-venv (${minor_pkg}) with apt-get"
    run_logged env DEBIAN_FRONTEND=noninteractive apt-get update -q \
        || die "apt-get update failed"
    run_logged env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-upgrade --no-install-recommends python3-venv \
        || die "apt-get could not install python3-venv"
    # python3-venv depends on the distribution's pythonX.Y-venv; if the interpreter
    # in use is another minor that Debian packages, add its venv package as well.
    run_logged env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-upgrade --no-install-recommends "${minor_pkg}" \
        || log "note: ${minor_pkg} not installable; relying on python3-venv"
}

create_venv() {
    check_base_python
    log "creating venv at ${VENV} with $("${BASE_PYTHON}" --version 2>&1) ($(command -v "${BASE_PYTHON}"))"
    rm -rf "${VENV}"
    if ! run_logged "${BASE_PYTHON}" -m venv "${VENV}"; then
        rm -rf "${VENV}"
        install_venv_package
        log "retrying venv creation"
        run_logged "${BASE_PYTHON}" -m venv "${VENV}" || { rm -rf "${VENV}"; die "venv creation failed"; }
    fi
    venv_python_works || { rm -rf "${VENV}"; die "venv at ${VENV} has no working python"; }
    "${VENV}/bin/python" -m pip --version >/dev/null 2>&1 \
        || { rm -rf "${VENV}"; die "venv at ${VENV} has no pip (ensurepip missing?)"; }
}

ensure_venv() {
    local force="$1"
    [[ -f "${REQUIREMENTS}" ]] || die "missing ${REQUIREMENTS}"

    if [[ "${force}" == 1 ]] || ! venv_python_works; then
        create_venv
    fi

    local want have=""
    want="$(wanted_stamp)"
    [[ -f "${STAMP}" ]] && have="$(cat "${STAMP}")"
    if [[ "${want}" == "${have}" ]]; then
        log "venv up to date (${VENV})"
        return 0
    fi

    log "installing ${REQUIREMENTS#"${REPO_ROOT}"/} into ${VENV}"
    rm -f "${STAMP}"   # a failed install must not leave a matching stamp behind
    run_logged "${VENV}/bin/python" -m pip install \
        --disable-pip-version-check --no-input --progress-bar off \
        -r "${REQUIREMENTS}"
    # Sanity check: the key modules import.
    run_logged "${VENV}/bin/python" -c '
import numpy, onnx, onnxruntime, tritonclient.grpc, pytest, matplotlib
print("numpy", numpy.__version__, "| onnx", onnx.__version__,
      "| onnxruntime", onnxruntime.__version__, "| pytest", pytest.__version__,
      "| matplotlib", matplotlib.__version__)
' || die "installed packages do not import"
    printf '%s\n' "${want}" > "${STAMP}"
    log "venv ready (${VENV})"
}

# Prints the absolute path of libonnxruntime.so.<version> inside the venv.
ort_lib_path() {
    local libs=()
    shopt -s nullglob
    libs=("${VENV}"/lib/python3.*/site-packages/onnxruntime/capi/libonnxruntime.so.[0-9]*)
    shopt -u nullglob
    [[ "${#libs[@]}" -ge 1 ]] || die "libonnxruntime.so.* not found under ${VENV}/lib/python3.*/site-packages/onnxruntime/capi"
    [[ "${#libs[@]}" -eq 1 ]] || die "several libonnxruntime libraries found: ${libs[*]}"
    printf '%s\n' "${libs[0]}"
}

main() {
    local force=0 print_only=0
    while [[ $# -gt 0 ]]; do
        case "$1" in
            --print-ort-lib) print_only=1 ;;
            --force) force=1 ;;
            -h|--help) sed -n '2,21p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; return 0 ;;
            *) die "unknown argument: $1 (try --help)" ;;
        esac
        shift
    done
    [[ "${print_only}" == 1 ]] && QUIET=1

    # Serialize concurrent runs (e.g. CI steps) on a lock held on this script.
    if command -v flock >/dev/null 2>&1; then
        exec 9<"${BASH_SOURCE[0]}"
        flock 9
    fi

    ensure_venv "${force}"

    local lib
    lib="$(ort_lib_path)"
    if [[ "${print_only}" == 1 ]]; then
        printf '%s\n' "${lib}"
    else
        log "libonnxruntime:"
        printf '%s\n' "${lib}"
    fi
}

main "$@"
