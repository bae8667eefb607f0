#!/usr/bin/env bash
# Several `offload serve` replicas on loopback behind nginx, a gRPC-aware load balancer.
#
#   dev/gateway.sh install
#       Installs Debian's nginx when it is missing (apt-get; through sudo when not root).
#
#   dev/gateway.sh start --replicas N --binary PATH --model-repository DIR --state-dir DIR
#                        [--grpc-port P] [--http-port P] [--listen ADDR] [--tries K]
#                        [--onnxruntime-library PATH] [--ready-timeout S] [--workers W]
#                        [-- EXTRA `offload serve` FLAGS]
#       Starts N replicas on 127.0.0.1, each on its own free gRPC, HTTP and metrics port, waits until
#       every one answers GET /v2/health/ready, writes the nginx configuration into the state
#       directory (from deploy/gateway/nginx.conf.template), checks it with `nginx -t`, starts nginx
#       as the current user and waits until the gateway forwards a readiness request.
#       --grpc-port / --http-port: the gateway's ports (default 8001 / 8000, as a single server, so
#       clients need no change; 0 picks free ports). --model-repository may be repeated. --tries:
#       attempts per request, first included (default N). The ONNX Runtime library comes from
#       --onnxruntime-library, else $OFFLOAD_ONNXRUNTIME_LIBRARY, else the server's own search.
#
#   dev/gateway.sh stop --state-dir DIR [--grace S]
#       Stops nginx (graceful quit), then each replica with SIGTERM (it drains) and SIGKILL after
#       --grace seconds (default 20). Only the processes recorded in the state directory are signalled.
#
#   dev/gateway.sh status --state-dir DIR
#       Prints each replica (alive, ready) and the gateway ports.
#
#   dev/gateway.sh render --state-dir DIR --grpc-upstream HOST:PORT[,...] --http-upstream HOST:PORT[,...]
#                         [--grpc-port P] [--http-port P] [--listen ADDR] [--tries K]
#       Writes the nginx configuration only (used by dev/validate-manifests.sh for `nginx -t`).
#
# State directory layout (a test reads these):
#   replicas.tsv        `# index pid grpc_port http_port metrics_port` header, then one line each
#   gateway.env         GATEWAY_GRPC_PORT, GATEWAY_HTTP_PORT, GATEWAY_LISTEN, NGINX_PID, REPLICAS
#   replica-I.log       each replica's stderr/stdout
#   prometheus-targets.json  the replicas' metrics endpoints (Prometheus file_sd; deploy/prometheus)
#   nginx/nginx.conf    the generated configuration; nginx/logs/{error,access}.log; nginx.pid
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TEMPLATE="${REPO_ROOT}/deploy/gateway/nginx.conf.template"

log() { printf '[gateway] %s\n' "$*" >&2; }
die() {
    printf '[gateway] error: %s\n' "$*" >&2
    exit 1
}

# nginx lives in /usr/sbin, which a non-root PATH may lack.
find_nginx() {
    if [[ -n "${NGINX:-}" ]]; then
        printf '%s\n' "${NGINX}"
    elif command -v nginx >/dev/null 2>&1; then
        command -v nginx
    elif [[ -x /usr/sbin/nginx ]]; then
        printf '/usr/sbin/nginx\n'
    else
        return 1
    fi
}

cmd_install() {
    if nginx_bin="$(find_nginx)"; then
        log "nginx already installed: ${nginx_bin} ($("${nginx_bin}" -v 2>&1))"
        return 0
    fi
    local sudo=()
    if [[ "$(id -u)" != 0 ]]; then
        command -v sudo >/dev/null 2>&1 || die "nginx is missing and sudo is not available: install Debian's nginx package as root"
        sudo=(sudo)
    fi
    log "installing Debian's nginx package"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx >/dev/null
    nginx_bin="$(find_nginx)" || die "nginx still not found after apt-get install"
    # The package may have started a system-wide nginx (port 80); this script never uses it.
    log "installed: $("${nginx_bin}" -v 2>&1)"
}

# N free TCP ports on 127.0.0.1, all distinct (the sockets are held until all are chosen).
free_ports() {
    python3 - "$1" <<'PY'
import socket, sys
held = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    held.append(s)
print(" ".join(str(s.getsockname()[1]) for s in held))
for s in held:
    s.close()
PY
}

# <state>/prometheus-targets.json: the replicas' metrics endpoints in Prometheus' file_sd format
# (deploy/prometheus/prometheus.yml, job offload-gateway-replicas). Arguments: state, then the
# replicas' ports as grpc http metrics triples.
write_prometheus_targets() {
    local state="$1"
    shift
    local targets="" i=0
    while (($# >= 3)); do
        targets+="${targets:+, }\"127.0.0.1:$3\""
        shift 3
        i=$((i + 1))
    done
    printf '[{"targets": [%s], "labels": {"gateway_state_dir": "%s"}}]\n' "${targets}" "${state}" \
        >"${state}/prometheus-targets.json.tmp"
    mv "${state}/prometheus-targets.json.tmp" "${state}/prometheus-targets.json"
}

# Absolute path of a directory, created when missing.
abs_dir() {
    mkdir -p "$1"
    (cd "$1" && pwd)
}

# Fills the template: scalar placeholders with sed, the upstream server lists line by line.
render_config() {
    local state="$1" listen="$2" grpc_port="$3" http_port="$4" tries="$5" workers="$6"
    local grpc_upstreams="$7" http_upstreams="$8"
    local max_fails=1 fail_timeout=2s next_timeout=10s
    # Connections per worker: up to 4096, within the open-file limit (raised towards its hard limit).
    ulimit -Sn 8192 2>/dev/null || true
    local nofile connections=4096
    nofile="$(ulimit -Sn)"
    if [[ "${nofile}" != unlimited ]] && ((nofile - 64 < connections)); then
        connections=$((nofile - 64))
    fi
    [[ -f "${TEMPLATE}" ]] || die "template missing: ${TEMPLATE}"
    mkdir -p "${state}/nginx/logs" "${state}/nginx/tmp"
    local user_directive=""
    if [[ "$(id -u)" == 0 ]]; then
        user_directive="user $(id -un) $(id -gn);"
    fi
    local grpc_lines="" http_lines="" hp
    for hp in ${grpc_upstreams//,/ }; do
        grpc_lines+="        server ${hp} max_fails=${max_fails} fail_timeout=${fail_timeout};"$'\n'
    done
    for hp in ${http_upstreams//,/ }; do
        http_lines+="        server ${hp} max_fails=${max_fails} fail_timeout=${fail_timeout};"$'\n'
    done
    [[ -n "${grpc_lines}" && -n "${http_lines}" ]] || die "no upstream servers to write"
    local out="${state}/nginx/nginx.conf"
    GRPC_LINES="${grpc_lines%$'\n'}" HTTP_LINES="${http_lines%$'\n'}" awk '
        /^#@/ { next }
        /^\{\{GRPC_SERVERS\}\}$/ { print ENVIRON["GRPC_LINES"]; next }
        /^\{\{HTTP_SERVERS\}\}$/ { print ENVIRON["HTTP_LINES"]; next }
        { print }
    ' "${TEMPLATE}" | sed \
        -e "s|{{USER_DIRECTIVE}}|${user_directive}|g" \
        -e "s|{{WORKERS}}|${workers}|g" \
        -e "s|{{WORKER_CONNECTIONS}}|${connections}|g" \
        -e "s|{{STATE}}|${state}/nginx|g" \
        -e "s|{{LISTEN}}|${listen}|g" \
        -e "s|{{GRPC_PORT}}|${grpc_port}|g" \
        -e "s|{{HTTP_PORT}}|${http_port}|g" \
        -e "s|{{TRIES}}|${tries}|g" \
        -e "s|{{MAX_FAILS}}|${max_fails}|g" \
        -e "s|{{FAIL_TIMEOUT}}|${fail_timeout}|g" \
        -e "s|{{NEXT_UPSTREAM_TIMEOUT}}|${next_timeout}|g" >"${out}"
    if grep -q '{{' "${out}"; then
        die "unfilled placeholder in ${out}: $(grep -m1 '{{' "${out}")"
    fi
    printf '%s\n' "${out}"
}

nginx_args() {
    local state="$1"
    printf '%s\n' -p "${state}/nginx/" -c "${state}/nginx/nginx.conf" -e "${state}/nginx/logs/error.log"
}

check_config() {
    local nginx_bin="$1" state="$2"
    local args
    mapfile -t args < <(nginx_args "${state}")
    if ! "${nginx_bin}" -t -q "${args[@]}"; then
        "${nginx_bin}" -t "${args[@]}" || true
        die "nginx rejected ${state}/nginx/nginx.conf"
    fi
}

# Runs "$@" with every inherited file descriptor above stderr closed. The daemons this script leaves
# behind must not keep the caller's descriptors open: Foundation's Process (the Swift tests), like any
# caller waiting for EOF on a pipe, would otherwise wait for the replicas and nginx to exit, not for us.
without_inherited_fds() {
    local fd
    for fd in /proc/"${BASHPID}"/fd/*; do
        fd="${fd##*/}"
        if [[ "${fd}" =~ ^[0-9]+$ ]] && ((fd > 2)); then eval "exec ${fd}>&-" 2>/dev/null || true; fi
    done
    exec "$@"
}

# True when PID is alive and is still the process we started: its command line contains MARK.
owned_pid() {
    local pid="$1" mark="$2"
    [[ -n "${pid}" && -r "/proc/${pid}/cmdline" ]] || return 1
    tr '\0' ' ' <"/proc/${pid}/cmdline" | grep -qF -- "${mark}"
}

wait_ready() {
    local url="$1" pid="$2" deadline="$3" what="$4" logfile="$5"
    while ! curl -sf -o /dev/null --max-time 2 "${url}"; do
        if [[ -n "${pid}" ]] && ! kill -0 "${pid}" 2>/dev/null; then
            log "${what} exited before it became ready; last lines of ${logfile}:"
            tail -n 20 "${logfile}" >&2 || true
            return 1
        fi
        if ((SECONDS >= deadline)); then
            log "${what} not ready at ${url} in time; last lines of ${logfile}:"
            tail -n 20 "${logfile}" >&2 || true
            return 1
        fi
        sleep 0.2
    done
}

start_failed() {
    local rc="$1"
    trap - EXIT
    if ((rc != 0)); then
        log "start failed; stopping what was started"
        cmd_stop --state-dir "${START_STATE}" --grace 5 || true
    fi
    exit "${rc}"
}

cmd_start() {
    local replicas="" binary="" state="" grpc_port=8001 http_port=8000 listen=127.0.0.1 tries=""
    local ort_lib="${OFFLOAD_ONNXRUNTIME_LIBRARY:-}" ready_timeout=180 workers=1
    local repositories=() extra=()
    while (($#)); do
        case "$1" in
        --replicas) replicas="$2"; shift 2 ;;
        --binary) binary="$2"; shift 2 ;;
        --model-repository) repositories+=("$2"); shift 2 ;;
        --state-dir) state="$2"; shift 2 ;;
        --grpc-port) grpc_port="$2"; shift 2 ;;
        --http-port) http_port="$2"; shift 2 ;;
        --listen) listen="$2"; shift 2 ;;
        --tries) tries="$2"; shift 2 ;;
        --workers) workers="$2"; shift 2 ;;
        --onnxruntime-library) ort_lib="$2"; shift 2 ;;
        --ready-timeout) ready_timeout="$2"; shift 2 ;;
        --) shift; extra=("$@"); break ;;
        *) die "start: unknown argument '$1' (see the header of dev/gateway.sh)" ;;
        esac
    done
    [[ "${replicas}" =~ ^[1-9][0-9]*$ ]] || die "start: --replicas N (N >= 1) is required"
    [[ -n "${binary}" && -x "${binary}" ]] || die "start: --binary PATH must name the offload executable (e.g. .build/release/offload)"
    ((${#repositories[@]})) || die "start: --model-repository DIR is required"
    [[ -n "${state}" ]] || die "start: --state-dir DIR is required"
    tries="${tries:-${replicas}}"
    local nginx_bin
    nginx_bin="$(find_nginx)" || die "nginx is not installed: run dev/gateway.sh install"
    command -v curl >/dev/null 2>&1 || die "curl is required"

    binary="$(cd "$(dirname "${binary}")" && pwd)/$(basename "${binary}")"
    state="$(abs_dir "${state}")"
    if [[ -f "${state}/gateway.env" || -f "${state}/replicas.tsv" ]]; then
        die "${state} holds a running or stale gateway: dev/gateway.sh stop --state-dir ${state} first"
    fi
    local repo_args=() r
    for r in "${repositories[@]}"; do
        [[ -d "${r}" ]] || die "model repository not found: ${r}"
        repo_args+=(--model-repository "$(cd "${r}" && pwd)")
    done
    local ort_args=()
    [[ -n "${ort_lib}" ]] && ort_args=(--onnxruntime-library "${ort_lib}")

    # Three free ports per replica, then two for the gateway (used when its ports are 0).
    local ports=()
    read -r -a ports <<<"$(free_ports $((replicas * 3 + 2)))"
    [[ "${grpc_port}" == 0 ]] && grpc_port="${ports[replicas * 3]}"
    [[ "${http_port}" == 0 ]] && http_port="${ports[replicas * 3 + 1]}"

    # From here on, any failure (or die) stops whatever was started.
    START_STATE="${state}"
    trap 'start_failed $?' EXIT
    printf '# index\tpid\tgrpc_port\thttp_port\tmetrics_port\n' >"${state}/replicas.tsv"
    local i pids=() grpc_up="" http_up=""
    for ((i = 0; i < replicas; i++)); do
        local g="${ports[i * 3]}" h="${ports[i * 3 + 1]}" m="${ports[i * 3 + 2]}"
        local logfile="${state}/replica-${i}.log"
        (without_inherited_fds nohup "${binary}" serve --host 127.0.0.1 --grpc-port "${g}" --http-port "${h}" \
            --metrics-port "${m}" "${repo_args[@]}" "${ort_args[@]}" "${extra[@]}") </dev/null >"${logfile}" 2>&1 &
        local pid=$!
        pids+=("${pid}")
        printf '%s\t%s\t%s\t%s\t%s\n' "${i}" "${pid}" "${g}" "${h}" "${m}" >>"${state}/replicas.tsv"
        grpc_up+="${grpc_up:+,}127.0.0.1:${g}"
        http_up+="${http_up:+,}127.0.0.1:${h}"
        log "replica ${i}: pid ${pid}, grpc 127.0.0.1:${g}, http 127.0.0.1:${h}, metrics 127.0.0.1:${m}"
    done
    printf 'BINARY=%q\n' "${binary}" >"${state}/gateway.env"
    write_prometheus_targets "${state}" "${ports[@]:0:replicas*3}"

    local deadline=$((SECONDS + ready_timeout))
    for ((i = 0; i < replicas; i++)); do
        local h="${ports[i * 3 + 1]}"
        wait_ready "http://127.0.0.1:${h}/v2/health/ready" "${pids[i]}" "${deadline}" "replica ${i}" \
            "${state}/replica-${i}.log"
    done
    log "all ${replicas} replicas ready after ${SECONDS}s"

    render_config "${state}" "${listen}" "${grpc_port}" "${http_port}" "${tries}" "${workers}" \
        "${grpc_up}" "${http_up}" >/dev/null
    check_config "${nginx_bin}" "${state}"
    local args
    mapfile -t args < <(nginx_args "${state}")
    (without_inherited_fds "${nginx_bin}" "${args[@]}")
    local nginx_pid=""
    for _ in $(seq 50); do
        nginx_pid="$(cat "${state}/nginx/nginx.pid" 2>/dev/null || true)"
        [[ -n "${nginx_pid}" ]] && break
        sleep 0.1
    done
    [[ -n "${nginx_pid}" ]] || die "nginx did not write its pid file; see ${state}/nginx/logs/error.log"
    {
        printf 'GATEWAY_LISTEN=%s\n' "${listen}"
        printf 'GATEWAY_GRPC_PORT=%s\n' "${grpc_port}"
        printf 'GATEWAY_HTTP_PORT=%s\n' "${http_port}"
        printf 'NGINX_PID=%s\n' "${nginx_pid}"
        printf 'NGINX=%q\n' "${nginx_bin}"
        printf 'REPLICAS=%s\n' "${replicas}"
        printf 'TRIES=%s\n' "${tries}"
    } >>"${state}/gateway.env"
    local probe_host="${listen}"
    [[ "${probe_host}" == 0.0.0.0 ]] && probe_host=127.0.0.1
    wait_ready "http://${probe_host}:${http_port}/v2/health/ready" "${nginx_pid}" $((SECONDS + 30)) "gateway" \
        "${state}/nginx/logs/error.log"
    trap - EXIT
    log "gateway ready: grpc ${listen}:${grpc_port}, http ${listen}:${http_port} (nginx pid ${nginx_pid}; state ${state})"
}

# Sends SIG to PID when it is still ours; waits up to GRACE seconds; then SIGKILL.
stop_process() {
    local pid="$1" exe="$2" grace="$3" what="$4"
    owned_pid "${pid}" "${exe}" || return 0
    kill -TERM "${pid}" 2>/dev/null || return 0
    local deadline=$((SECONDS + grace))
    while kill -0 "${pid}" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
    if kill -0 "${pid}" 2>/dev/null; then
        log "${what} (pid ${pid}) still running after ${grace}s: SIGKILL"
        kill -KILL "${pid}" 2>/dev/null || true
    fi
}

cmd_stop() {
    local state="" grace=20
    while (($#)); do
        case "$1" in
        --state-dir) state="$2"; shift 2 ;;
        --grace) grace="$2"; shift 2 ;;
        *) die "stop: unknown argument '$1'" ;;
        esac
    done
    [[ -n "${state}" && -d "${state}" ]] || die "stop: --state-dir DIR (an existing directory) is required"
    state="$(cd "${state}" && pwd)"
    # shellcheck disable=SC2034 # set by gateway.env, not all used here
    local BINARY="" NGINX_PID="" NGINX="" GATEWAY_LISTEN="" GATEWAY_GRPC_PORT="" GATEWAY_HTTP_PORT="" REPLICAS="" TRIES=""
    # shellcheck disable=SC1091
    [[ -f "${state}/gateway.env" ]] && source "${state}/gateway.env"

    # nginx first, so that no new request reaches a stopping replica.
    local nginx_pid="${NGINX_PID:-$(cat "${state}/nginx/nginx.pid" 2>/dev/null || true)}"
    if [[ -n "${nginx_pid}" ]] && owned_pid "${nginx_pid}" "nginx"; then
        kill -QUIT "${nginx_pid}" 2>/dev/null || true
        local deadline=$((SECONDS + 10))
        while kill -0 "${nginx_pid}" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
        if kill -0 "${nginx_pid}" 2>/dev/null; then kill -TERM "${nginx_pid}" 2>/dev/null || true; fi
        log "nginx (pid ${nginx_pid}) stopped"
    fi

    if [[ -f "${state}/replicas.tsv" ]]; then
        local index pid g h m pids=() marks=()
        while read -r index pid g h m; do
            [[ "${index}" == \#* || -z "${pid}" ]] && continue
            # A replica is recognised by its own --http-port flag (a recycled pid is left alone).
            if owned_pid "${pid}" "--http-port ${h} "; then
                kill -TERM "${pid}" 2>/dev/null || true
                pids+=("${pid}")
                marks+=("--http-port ${h} ")
            fi
        done <"${state}/replicas.tsv"
        # All replicas drain at once; then whatever is left gets SIGKILL.
        local k
        for k in "${!pids[@]}"; do
            stop_process "${pids[k]}" "${marks[k]}" "${grace}" "replica"
        done
        log "${#pids[@]} replica(s) stopped"
    fi
    rm -f "${state}/gateway.env" "${state}/replicas.tsv" "${state}/nginx/nginx.pid" "${state}/prometheus-targets.json"
}

cmd_status() {
    local state=""
    while (($#)); do
        case "$1" in
        --state-dir) state="$2"; shift 2 ;;
        *) die "status: unknown argument '$1'" ;;
        esac
    done
    [[ -n "${state}" && -f "${state}/gateway.env" ]] || die "status: no gateway recorded in '${state}'"
    # shellcheck disable=SC1091
    source "${state}/gateway.env"
    local alive="no"
    kill -0 "${NGINX_PID}" 2>/dev/null && alive="yes"
    printf 'gateway\tgrpc %s:%s\thttp %s:%s\tnginx pid %s alive %s\n' \
        "${GATEWAY_LISTEN}" "${GATEWAY_GRPC_PORT}" "${GATEWAY_LISTEN}" "${GATEWAY_HTTP_PORT}" "${NGINX_PID}" "${alive}"
    local index pid g h m ready
    while read -r index pid g h m; do
        [[ "${index}" == \#* ]] && continue
        alive="no"
        ready="no"
        kill -0 "${pid}" 2>/dev/null && alive="yes"
        curl -sf -o /dev/null --max-time 2 "http://127.0.0.1:${h}/v2/health/ready" && ready="yes"
        printf 'replica %s\tpid %s alive %s ready %s\tgrpc %s http %s metrics %s\n' \
            "${index}" "${pid}" "${alive}" "${ready}" "${g}" "${h}" "${m}"
    done <"${state}/replicas.tsv"
}

cmd_render() {
    local state="" grpc_port=8001 http_port=8000 listen=127.0.0.1 tries="" workers=1 grpc_up="" http_up=""
    while (($#)); do
        case "$1" in
        --state-dir) state="$2"; shift 2 ;;
        --grpc-port) grpc_port="$2"; shift 2 ;;
        --http-port) http_port="$2"; shift 2 ;;
        --listen) listen="$2"; shift 2 ;;
        --tries) tries="$2"; shift 2 ;;
        --workers) workers="$2"; shift 2 ;;
        --grpc-upstream) grpc_up="$2"; shift 2 ;;
        --http-upstream) http_up="$2"; shift 2 ;;
        *) die "render: unknown argument '$1'" ;;
        esac
    done
    [[ -n "${state}" && -n "${grpc_up}" && -n "${http_up}" ]] ||
        die "render: --state-dir, --grpc-upstream and --http-upstream are required"
    local count
    count="$(tr ',' '\n' <<<"${grpc_up}" | grep -c .)"
    state="$(abs_dir "${state}")"
    render_config "${state}" "${listen}" "${grpc_port}" "${http_port}" "${tries:-${count}}" "${workers}" \
        "${grpc_up}" "${http_up}"
}

main() {
    (($#)) || die "usage: dev/gateway.sh install|start|stop|status|render ... (see the header of this script)"
    local command="$1"
    shift
    case "${command}" in
    install) cmd_install "$@" ;;
    start) cmd_start "$@" ;;
    stop) cmd_stop "$@" ;;
    status) cmd_status "$@" ;;
    render) cmd_render "$@" ;;
    -h | --help | help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//' ;;
    *) die "unknown command '${command}' (install, start, stop, status, render)" ;;
    esac
}

main "$@"
