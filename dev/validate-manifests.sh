#!/usr/bin/env bash
# Validates the deployment artifacts under deploy/ with real tools, installed by this script:
#
#   Helm chart    helm lint --strict and rendering (Helm's Go SDK, PyPI helm-python-sdk) for several
#                 value sets; the values schema; yamllint; Kubernetes schema validation of every
#                 rendered core object (kubernetes-validate, offline schemas of 1.25 and 1.37); the
#                 ScaledObject and ServiceMonitor against models generated from the KEDA and
#                 Prometheus Operator CRDs; object name rules
#   Gateway       haproxy -c on the chart's gateway config and on the one dev/gateway.sh writes, and a
#                 start/stop of HAProxy with that config (as `nobody` too when run as root): no root paths
#   Dashboard     JSON, the chart's copy identical, every PromQL query parses (promql-parser, then
#                 promtool check rules) and names only metrics the server exports (from the Swift sources)
#   Prometheus    promtool check config on deploy/prometheus/prometheus.yml
#   Dockerfile    hadolint;  shell scripts: shellcheck
#
#   dev/validate-manifests.sh            install what is missing, run every check
#
# Tools: Debian packages haproxy and shellcheck (apt-get; through sudo when not root), promtool out of
# Debian's prometheus package (downloaded and unpacked, not installed: no daemon is started), and
# the PyPI packages of deploy/tools/requirements.txt in a venv under $OFFLOAD_DEPLOY_TOOLS
# (default .build/deploy-tools, ignored by git; reinstalled when the requirements change).
# Rendered manifests stay in $OFFLOAD_DEPLOY_TOOLS/out for inspection.
# Ends with "N passed, M failed"; exit status 1 when any check failed.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${REPO_ROOT}"
# HAProxy is started from here too: allow its 4096 connections where the hard limit does.
ulimit -Sn 16384 2>/dev/null || true
TOOLS="${OFFLOAD_DEPLOY_TOOLS:-${REPO_ROOT}/.build/deploy-tools}"
VENV="${TOOLS}/venv"
OUT="${TOOLS}/out"
REQUIREMENTS="${REPO_ROOT}/deploy/tools/requirements.txt"
CHECKS="${REPO_ROOT}/deploy/tools/manifest_checks.py"
CHART="${REPO_ROOT}/deploy/helm/offload"
# Kubernetes versions the rendered manifests are validated against: the chart's minimum and the
# newest whose schemas kubernetes-validate ships.
KUBE_VERSIONS=(1.25.0 1.37.0)

log() { printf '[validate] %s\n' "$*"; }
die() {
    printf '[validate] error: %s\n' "$*" >&2
    exit 1
}

SUDO=()
if [[ "$(id -u)" != 0 ]]; then
    SUDO=(sudo)
fi
APT_UPDATED=0
apt_install() {
    if [[ "${APT_UPDATED}" == 0 ]]; then
        "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
        APT_UPDATED=1
    fi
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# ---- tools ----------------------------------------------------------------------------------------

install_tools() {
    mkdir -p "${TOOLS}"
    dev/gateway.sh install
    command -v shellcheck >/dev/null 2>&1 || {
        log "installing shellcheck (Debian)"
        apt_install shellcheck
    }

    # promtool from Debian's prometheus package, unpacked into the tools directory.
    if [[ ! -x "${TOOLS}/prometheus/usr/bin/promtool" ]]; then
        log "fetching promtool (Debian package prometheus, unpacked only)"
        rm -rf "${TOOLS}/debs" "${TOOLS}/prometheus"
        mkdir -p "${TOOLS}/debs"
        if ! (cd "${TOOLS}/debs" && apt-get download prometheus >/dev/null 2>&1); then
            "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
            APT_UPDATED=1
            (cd "${TOOLS}/debs" && apt-get download prometheus >/dev/null)
        fi
        dpkg-deb -x "${TOOLS}"/debs/prometheus_*.deb "${TOOLS}/prometheus"
    fi

    # The PyPI tools, reinstalled when requirements.txt or the interpreter change.
    local python="${PYTHON:-python3}" stamp
    stamp="$(sha256sum "${REQUIREMENTS}" | cut -d' ' -f1) $("${python}" -c 'import sys; print(sys.version.split()[0])')"
    if [[ ! -x "${VENV}/bin/python" || "$(cat "${VENV}/.stamp" 2>/dev/null)" != "${stamp}" ]]; then
        log "creating ${VENV} from deploy/tools/requirements.txt"
        rm -rf "${VENV}"
        if ! "${python}" -m venv "${VENV}" >/dev/null 2>&1; then
            rm -rf "${VENV}"
            log "python3 -m venv failed; installing python3-venv (Debian)"
            apt_install python3-venv
            "${python}" -m venv "${VENV}"
        fi
        "${VENV}/bin/pip" install -q --disable-pip-version-check --upgrade pip
        "${VENV}/bin/pip" install -q --disable-pip-version-check -r "${REQUIREMENTS}"
        printf '%s\n' "${stamp}" >"${VENV}/.stamp"
    fi
}

HAPROXY=""
report_versions() {
    HAPROXY="$(command -v haproxy || echo /usr/sbin/haproxy)"
    log "tools:"
    printf '  %s\n' \
        "$("${HAPROXY}" -v 2>&1 | head -n 1) (Debian $(dpkg-query -W -f='${Version}' haproxy 2>/dev/null || echo '?'))" \
        "shellcheck $(shellcheck --version | sed -n 's/^version: //p')" \
        "promtool $("${TOOLS}/prometheus/usr/bin/promtool" --version 2>&1 | sed -n '1s/.*version \([^ ]*\).*/\1/p') (Debian package prometheus)" \
        "$("${VENV}/bin/hadolint" --version)" \
        "$("${VENV}/bin/yamllint" --version)" \
        "kubernetes-validate $("${VENV}/bin/pip" show kubernetes-validate 2>/dev/null | sed -n 's/^Version: //p')" \
        "$("${VENV}/bin/python" -c 'import helm_python as h; print("helm-python-sdk", h.__version__, "(Helm SDK", h.helm_sdk_version() + ")")')" \
        "$("${VENV}/bin/pip" list 2>/dev/null | grep -iE '^(cloudcoil|promql)' | tr -s ' ' | tr '\n' ';' | sed 's/;$//')"
}

# ---- checks ---------------------------------------------------------------------------------------

PASSED=0
FAILED=0
FAILURES=()
check() {
    local name="$1"
    shift
    printf '\n[validate] --- %s\n' "${name}"
    if "$@"; then
        PASSED=$((PASSED + 1))
        printf '[validate] PASS %s\n' "${name}"
    else
        FAILED=$((FAILED + 1))
        FAILURES+=("${name}")
        printf '[validate] FAIL %s\n' "${name}"
    fi
}

SCENARIOS=(defaults everything minimal)

render_chart() {
    rm -rf "${OUT}"
    mkdir -p "${OUT}"
    "${VENV}/bin/python" "${CHECKS}" render "${OUT}"
}

rendered_files() {
    local s
    for s in "${SCENARIOS[@]}"; do printf '%s\n' "${OUT}/${s}.yaml"; done
}

kube_schemas() {
    local version rc=0 files output
    mapfile -t files < <(rendered_files)
    for version in "${KUBE_VERSIONS[@]}"; do
        if ! output="$("${VENV}/bin/kubernetes-validate" --strict -k "${version}" "${files[@]}" 2>&1)"; then
            rc=1
        fi
        # Custom resources have no schema here (a warning); they are checked against their CRDs next.
        grep -v '^INFO ' <<<"${output}" | grep -v "Couldn't find schema for kind \(ScaledObject\|ServiceMonitor\) " || true
        echo "Kubernetes ${version}: $(grep -c '^INFO .* passed' <<<"${output}" || true) objects valid (strict: unknown fields rejected)"
    done
    return "${rc}"
}

dashboard_copies() {
    python3 -m json.tool deploy/grafana/offload-dashboard.json >/dev/null &&
        cmp deploy/grafana/offload-dashboard.json "${CHART}/dashboards/offload-dashboard.json" &&
        echo "deploy/grafana/offload-dashboard.json is valid JSON and the chart ships the same file"
}

promql() {
    local files
    mapfile -t files < <(rendered_files)
    "${VENV}/bin/python" "${CHECKS}" metrics "${OUT}/promql-rules.yml" deploy/grafana/offload-dashboard.json "${files[@]}" &&
        "${TOOLS}/prometheus/usr/bin/promtool" check rules "${OUT}/promql-rules.yml"
}

prometheus_config() {
    # Debian builds Prometheus without Kubernetes service discovery, so its promtool cannot parse
    # kubernetes_sd_configs; those jobs are left out of this check (named in the output).
    "${VENV}/bin/python" "${CHECKS}" prometheus-config deploy/prometheus/prometheus.yml "${OUT}/prometheus-for-promtool.yml" &&
        "${TOOLS}/prometheus/usr/bin/promtool" check config "${OUT}/prometheus-for-promtool.yml"
}

haproxy_chart_gateway() {
    "${VENV}/bin/python" "${CHECKS}" haproxy-cfg "${OUT}/defaults.yaml" "${OUT}/chart-gateway-haproxy.cfg" &&
        "${HAPROXY}" -c -q -f "${OUT}/chart-gateway-haproxy.cfg" &&
        echo "haproxy -c: chart gateway configuration is valid"
}

haproxy_dev_gateway() {
    rm -rf "${OUT}/dev-gateway"
    dev/gateway.sh render --state-dir "${OUT}/dev-gateway" --grpc-port 18001 --http-port 18000 \
        --grpc-upstream 127.0.0.1:19001,127.0.0.1:19011 --http-upstream 127.0.0.1:19000,127.0.0.1:19010 >/dev/null &&
        "${HAPROXY}" -c -q -f "${OUT}/dev-gateway/haproxy/haproxy.cfg" &&
        echo "haproxy -c: dev/gateway.sh configuration is valid"
}

free_port_pair() {
    python3 "${REPO_ROOT}/dev/free_ports.py" 4
}

# Starts HAProxy with a dev/gateway.sh configuration whose replicas are all down: the gateway's own
# health answers 200, a KServe request gets 503 (no replica left to try), and a soft stop (SIGUSR1)
# ends it. Runs as whoever calls it (the caller passes `runuser -u nobody --` to prove no root path is used).
haproxy_smoke_as() {
    local state="$1"
    shift
    local ports
    read -r -a ports <<<"$(free_port_pair)"
    "$@" dev/gateway.sh render --state-dir "${state}" --grpc-port "${ports[0]}" --http-port "${ports[1]}" \
        --grpc-upstream "127.0.0.1:${ports[2]},127.0.0.1:${ports[3]}" --http-upstream "127.0.0.1:${ports[3]},127.0.0.1:${ports[2]}" >/dev/null || return 1
    "$@" "${HAPROXY}" -db -f "${state}/haproxy/haproxy.cfg" </dev/null >"${state}/haproxy.out" 2>&1 &
    local pid=$!
    local ok=1 health="" ready=""
    for _ in $(seq 50); do
        health="$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:${ports[1]}/gateway/health" || true)"
        [[ "${health}" == 200 ]] && break
        sleep 0.1
    done
    # The health checks take both replicas out of rotation within a few seconds; until then a request
    # is tried on each replica in turn and also ends with 503.
    ready="$(curl -s -o /dev/null -w '%{http_code}' --max-time 20 "http://127.0.0.1:${ports[1]}/v2/health/ready" || true)"
    # runuser forks HAProxy as its child and does not pass SIGUSR1 on: signal HAProxy itself.
    local haproxy_pid user
    haproxy_pid="$(pgrep -P "${pid}" haproxy || echo "${pid}")"
    user="$(ps -o user= -p "${haproxy_pid}" 2>/dev/null | tr -d ' ' || true)"
    kill -USR1 "${haproxy_pid}" 2>/dev/null || true
    for _ in $(seq 50); do
        kill -0 "${pid}" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "${pid}" 2>/dev/null; then
        echo "haproxy (pid ${pid}) did not stop on SIGUSR1"
        kill -KILL "${pid}" 2>/dev/null || true
        ok=0
    fi
    wait "${pid}" 2>/dev/null || true
    echo "haproxy as ${user:-?}: /gateway/health ${health}, /v2/health/ready ${ready} with every replica down"
    [[ "${health}" == 200 && "${ready}" == 503 && "${ok}" == 1 ]]
}

haproxy_smoke() {
    rm -rf "${OUT}/smoke-self" "${OUT}/smoke-nobody"
    mkdir -p "${OUT}/smoke-self"
    haproxy_smoke_as "${OUT}/smoke-self" env || return 1
    if [[ "$(id -u)" == 0 ]] && command -v runuser >/dev/null 2>&1 && id nobody >/dev/null 2>&1; then
        local state
        state="$(mktemp -d /tmp/offload-gateway-smoke.XXXXXX)"
        chown nobody "${state}"
        if runuser -u nobody -- test -r deploy/gateway/haproxy.cfg.template; then
            haproxy_smoke_as "${state}" runuser -u nobody -- || {
                rm -rf "${state}"
                return 1
            }
        else
            echo "skipped the run as nobody: it cannot read this checkout"
        fi
        rm -rf "${state}"
    fi
}

main() {
    install_tools
    report_versions
    check "shellcheck: dev/gateway.sh, dev/validate-manifests.sh, the release scripts" shellcheck dev/gateway.sh \
        dev/validate-manifests.sh dev/build-release.sh dev/build-wheel.sh dev/check-wheel.sh dev/build-image.sh \
        dev/check-prometheus.sh
    check "hadolint: deploy/docker/Dockerfile" "${VENV}/bin/hadolint" deploy/docker/Dockerfile
    check "yamllint: chart values, Chart.yaml, prometheus.yml" "${VENV}/bin/yamllint" --strict \
        -c deploy/tools/yamllint.yaml "${CHART}/Chart.yaml" "${CHART}/values.yaml" deploy/prometheus/prometheus.yml \
        deploy/tools/yamllint.yaml deploy/tools/yamllint-rendered.yaml
    check "helm lint --strict + render (Helm SDK) with every value set" render_chart
    if [[ -f "${OUT}/defaults.yaml" ]]; then
        local files
        mapfile -t files < <(rendered_files)
        check "yamllint: rendered manifests" "${VENV}/bin/yamllint" --strict -c deploy/tools/yamllint-rendered.yaml "${files[@]}"
        check "Kubernetes schemas (kubernetes-validate --strict)" kube_schemas
        check "ScaledObject / ServiceMonitor against their CRD schemas" "${VENV}/bin/python" "${CHECKS}" crs "${files[@]}"
        check "object names" "${VENV}/bin/python" "${CHECKS}" names "${files[@]}"
        check "PromQL of dashboard and KEDA: parses, exported metrics only" promql
        check "haproxy -c: chart gateway" haproxy_chart_gateway
    fi
    check "Grafana dashboard JSON and its chart copy" dashboard_copies
    check "promtool check config: deploy/prometheus/prometheus.yml" prometheus_config
    check "haproxy -c: dev/gateway.sh configuration" haproxy_dev_gateway
    check "haproxy start/stop without root paths" haproxy_smoke
    echo
    ((FAILED == 0)) || printf '[validate] failed: %s\n' "${FAILURES[@]}"
    echo "manifests: ${PASSED} passed, ${FAILED} failed"
    ((FAILED == 0))
}

main "$@"
