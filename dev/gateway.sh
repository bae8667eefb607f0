#!/usr/bin/env bash
# Several `offload serve` replicas on loopback behind HAProxy, a gRPC- and HTTP-aware load balancer that
# retries what a dying, draining or hung replica dropped (docs/deploy.md, "Why HAProxy").
#
#   dev/gateway.sh install
#       Installs Debian's haproxy when it is missing (apt-get; through sudo when not root).
#
#   dev/gateway.sh start --replicas N --binary PATH --model-repository DIR --state-dir DIR
#                        [--grpc-port P] [--http-port P] [--listen ADDR] [--retries K]
#                        [--hang-timeout DURATION] [--max-retried-request-size BYTES] [--threads T]
#                        [--onnxruntime-library PATH] [--ready-timeout S]
#                        [-- EXTRA `offload serve` FLAGS]
#       Starts N replicas on 127.0.0.1, each on its own free gRPC, HTTP and metrics port, waits until
#       every one answers GET /v2/health/ready, writes the HAProxy configuration into the state
#       directory (from deploy/gateway/haproxy.cfg.template), checks it with `haproxy -c`, starts
#       HAProxy as the current user and waits until the gateway forwards a readiness request.
#       --grpc-port / --http-port: the gateway's ports (default 8001 / 8000, as a single server, so
#       clients need no change; 0 picks free ports). --model-repository may be repeated. --retries:
#       further attempts per request after the first (default N-1, at least 1). --hang-timeout: a replica
#       silent this long on a request is taken as hung and the request goes to another (default 30s; an
#       HAProxy duration such as 3s or 500ms; set it above the slowest legitimate inference).
#       --max-retried-request-size: the buffer size, i.e. the largest request that can be retried
#       (default 16384, HAProxy's own; larger requests are streamed and not retried). The ONNX Runtime library comes
#       from --onnxruntime-library, else $OFFLOAD_ONNXRUNTIME_LIBRARY, else the server's own search.
#
#   dev/gateway.sh restart --state-dir DIR --index I [--grace S]
#       Rolling-restart step: drains replica I (SIGTERM, SIGKILL after --grace seconds, default 20),
#       starts it again on the same ports with the same flags and waits until it is ready. The gateway
#       retries whatever the stopping replica refused meanwhile.
#
#   dev/gateway.sh stop --state-dir DIR [--grace S]
#       Stops HAProxy (soft stop: open requests finish), then each replica with SIGTERM (it drains) and
#       SIGKILL after --grace seconds (default 20). Only the processes recorded in the state directory are
#       signalled.
#
#   dev/gateway.sh status --state-dir DIR
#       Prints each replica (alive, ready) and the gateway ports.
#
#   dev/gateway.sh render --state-dir DIR --grpc-upstream HOST:PORT[,...] --http-upstream HOST:PORT[,...]
#                         [--grpc-port P] [--http-port P] [--listen ADDR] [--retries K]
#                         [--hang-timeout DURATION] [--max-retried-request-size BYTES] [--threads T]
#       Writes the HAProxy configuration only (dev/validate-manifests.sh checks it with `haproxy -c`).
#       The i-th HTTP upstream is the i-th gRPC upstream's replica (its health is checked there).
#
# State directory layout (a test reads these):
#   replicas.tsv        `# index pid grpc_port http_port metrics_port` header, then one line each
#   gateway.env         GATEWAY_GRPC_PORT, GATEWAY_HTTP_PORT, GATEWAY_LISTEN, HAPROXY_PID, REPLICAS, ...
#   serve-args          the replicas' `offload serve` arguments after the ports, one per line (restart)
#   replica-I.log       each replica's stderr/stdout (a restarted replica appends to it)
#   prometheus-targets.json  the replicas' metrics endpoints (Prometheus file_sd; deploy/prometheus)
#   haproxy/haproxy.cfg the generated configuration; haproxy/haproxy.log: one line per request (which
#                       replica answered, status, retries) and HAProxy's own messages
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TEMPLATE="${REPO_ROOT}/deploy/gateway/haproxy.cfg.template"

log() { printf '[gateway] %s\n' "$*" >&2; }
die() {
    printf '[gateway] error: %s\n' "$*" >&2
    exit 1
}

# haproxy lives in /usr/sbin, which a non-root PATH may lack.
find_haproxy() {
    if [[ -n "${HAPROXY:-}" ]]; then
        printf '%s\n' "${HAPROXY}"
    elif command -v haproxy >/dev/null 2>&1; then
        command -v haproxy
    elif [[ -x /usr/sbin/haproxy ]]; then
        printf '/usr/sbin/haproxy\n'
    else
        return 1
    fi
}

cmd_install() {
    if haproxy_bin="$(find_haproxy)"; then
        log "haproxy already installed: ${haproxy_bin} ($("${haproxy_bin}" -v 2>&1 | head -n 1))"
        return 0
    fi
    local sudo=()
    if [[ "$(id -u)" != 0 ]]; then
        command -v sudo >/dev/null 2>&1 || die "haproxy is missing and sudo is not available: install Debian's haproxy package as root"
        sudo=(sudo)
    fi
    log "installing Debian's haproxy package"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends haproxy >/dev/null
    haproxy_bin="$(find_haproxy)" || die "haproxy still not found after apt-get install"
    # The package may have started a system-wide haproxy (its default configuration listens nowhere); this
    # script never uses it.
    log "installed: $("${haproxy_bin}" -v 2>&1 | head -n 1)"
}

# N free TCP ports on 127.0.0.1, all distinct (the sockets are held until all are chosen).
free_ports() {
    python3 "${REPO_ROOT}/dev/free_ports.py" "$1"
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

# Fills the template: scalar placeholders with sed, the server lists line by line.
render_config() {
    local state="$1" listen="$2" grpc_port="$3" http_port="$4" retries="$5" threads="$6"
    local grpc_upstreams="$7" http_upstreams="$8" hang_timeout="$9" bufsize="${10}"
    # Client connections: up to 4096, within the open-file limit (raised towards its hard limit); each
    # proxied request may hold a connection to a replica as well.
    ulimit -Sn 16384 2>/dev/null || true
    local nofile maxconn=4096
    nofile="$(ulimit -Sn)"
    if [[ "${nofile}" != unlimited ]] && (((nofile - 64) / 2 < maxconn)); then
        maxconn=$(((nofile - 64) / 2))
    fi
    [[ -f "${TEMPLATE}" ]] || die "template missing: ${TEMPLATE}"
    if ! [[ "${bufsize}" =~ ^[0-9]+$ ]] || ((bufsize < 16384)); then
        die "--max-retried-request-size must be a byte count of at least 16384 (got '${bufsize}')"
    fi
    mkdir -p "${state}/haproxy"
    local grpc=() http=() i grpc_lines="" http_lines=""
    IFS=, read -r -a grpc <<<"${grpc_upstreams}"
    IFS=, read -r -a http <<<"${http_upstreams}"
    ((${#grpc[@]} > 0 && ${#grpc[@]} == ${#http[@]})) ||
        die "need as many HTTP upstreams as gRPC upstreams (the i-th of each is one replica)"
    for i in "${!grpc[@]}"; do
        # The gRPC port's health is the same replica's readiness, asked over HTTP/1.1 on its HTTP port.
        grpc_lines+="    server replica${i} ${grpc[i]} proto h2 port ${http[i]##*:} check-proto h1"$'\n'
        http_lines+="    server replica${i} ${http[i]}"$'\n'
    done
    local out="${state}/haproxy/haproxy.cfg"
    GRPC_LINES="${grpc_lines%$'\n'}" HTTP_LINES="${http_lines%$'\n'}" awk '
        /^#@/ { next }
        /^\{\{GRPC_SERVERS\}\}$/ { print ENVIRON["GRPC_LINES"]; next }
        /^\{\{HTTP_SERVERS\}\}$/ { print ENVIRON["HTTP_LINES"]; next }
        { print }
    ' "${TEMPLATE}" | sed \
        -e "s|{{THREADS}}|${threads}|g" \
        -e "s|{{MAXCONN}}|${maxconn}|g" \
        -e "s|{{BUFSIZE}}|${bufsize}|g" \
        -e "s|{{LISTEN}}|${listen}|g" \
        -e "s|{{GRPC_PORT}}|${grpc_port}|g" \
        -e "s|{{HTTP_PORT}}|${http_port}|g" \
        -e "s|{{RETRIES}}|${retries}|g" \
        -e "s|{{HANG_TIMEOUT}}|${hang_timeout}|g" >"${out}"
    if grep -q '{{' "${out}"; then
        die "unfilled placeholder in ${out}: $(grep -m1 '{{' "${out}")"
    fi
    printf '%s\n' "${out}"
}

check_config() {
    local haproxy_bin="$1" state="$2"
    if ! "${haproxy_bin}" -c -q -f "${state}/haproxy/haproxy.cfg"; then
        "${haproxy_bin}" -c -f "${state}/haproxy/haproxy.cfg" || true
        die "haproxy rejected ${state}/haproxy/haproxy.cfg"
    fi
}

# Runs "$@" with every inherited file descriptor above stderr closed. The daemons this script leaves
# behind must not keep the caller's descriptors open: Foundation's Process (the Swift tests), like any
# caller waiting for EOF on a pipe, would otherwise wait for the replicas and HAProxy to exit, not for us.
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

# Starts replica INDEX of STATE on its ports with the recorded serve arguments; prints its pid.
start_replica() {
    local state="$1" index="$2" binary="$3" g="$4" h="$5" m="$6"
    local serve_args=()
    mapfile -t serve_args <"${state}/serve-args"
    (without_inherited_fds nohup "${binary}" serve --host 127.0.0.1 --grpc-port "${g}" --http-port "${h}" \
        --metrics-port "${m}" "${serve_args[@]}") </dev/null >>"${state}/replica-${index}.log" 2>&1 &
    printf '%s\n' "$!"
}

cmd_start() {
    local replicas="" binary="" state="" grpc_port=8001 http_port=8000 listen=127.0.0.1 retries=""
    local ort_lib="${OFFLOAD_ONNXRUNTIME_LIBRARY:-}" ready_timeout=180 threads=1 hang_timeout=30s
    local bufsize=16384
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
        --retries) retries="$2"; shift 2 ;;
        --hang-timeout) hang_timeout="$2"; shift 2 ;;
        --max-retried-request-size) bufsize="$2"; shift 2 ;;
        --threads) threads="$2"; shift 2 ;;
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
    retries="${retries:-$((replicas > 2 ? replicas - 1 : 1))}"
    local haproxy_bin
    haproxy_bin="$(find_haproxy)" || die "haproxy is not installed: run dev/gateway.sh install"
    command -v curl >/dev/null 2>&1 || die "curl is required"

    binary="$(cd "$(dirname "${binary}")" && pwd)/$(basename "${binary}")"
    state="$(abs_dir "${state}")"
    if [[ -f "${state}/gateway.env" || -f "${state}/replicas.tsv" ]]; then
        die "${state} holds a running or stale gateway: dev/gateway.sh stop --state-dir ${state} first"
    fi
    local serve_args=() r
    for r in "${repositories[@]}"; do
        [[ -d "${r}" ]] || die "model repository not found: ${r}"
        serve_args+=(--model-repository "$(cd "${r}" && pwd)")
    done
    [[ -n "${ort_lib}" ]] && serve_args+=(--onnxruntime-library "${ort_lib}")
    serve_args+=("${extra[@]}")
    printf '%s\n' "${serve_args[@]}" >"${state}/serve-args"

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
        : >"${state}/replica-${i}.log"
        local pid
        pid="$(start_replica "${state}" "${i}" "${binary}" "${g}" "${h}" "${m}")"
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

    render_config "${state}" "${listen}" "${grpc_port}" "${http_port}" "${retries}" "${threads}" \
        "${grpc_up}" "${http_up}" "${hang_timeout}" "${bufsize}" >/dev/null
    check_config "${haproxy_bin}" "${state}"
    # In the foreground (-db) under nohup, so that its request log (standard output) goes to a file.
    (without_inherited_fds nohup "${haproxy_bin}" -db -f "${state}/haproxy/haproxy.cfg") </dev/null \
        >"${state}/haproxy/haproxy.log" 2>&1 &
    local haproxy_pid=$!
    {
        printf 'GATEWAY_LISTEN=%s\n' "${listen}"
        printf 'GATEWAY_GRPC_PORT=%s\n' "${grpc_port}"
        printf 'GATEWAY_HTTP_PORT=%s\n' "${http_port}"
        printf 'HAPROXY_PID=%s\n' "${haproxy_pid}"
        printf 'HAPROXY=%q\n' "${haproxy_bin}"
        printf 'REPLICAS=%s\n' "${replicas}"
        printf 'RETRIES=%s\n' "${retries}"
        printf 'HANG_TIMEOUT=%s\n' "${hang_timeout}"
    } >>"${state}/gateway.env"
    local probe_host="${listen}"
    [[ "${probe_host}" == 0.0.0.0 ]] && probe_host=127.0.0.1
    wait_ready "http://${probe_host}:${http_port}/v2/health/ready" "${haproxy_pid}" $((SECONDS + 30)) "gateway" \
        "${state}/haproxy/haproxy.log"
    trap - EXIT
    log "gateway ready: grpc ${listen}:${grpc_port}, http ${listen}:${http_port} (haproxy pid ${haproxy_pid}; state ${state})"
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

cmd_restart() {
    local state="" index="" grace=20
    while (($#)); do
        case "$1" in
        --state-dir) state="$2"; shift 2 ;;
        --index) index="$2"; shift 2 ;;
        --grace) grace="$2"; shift 2 ;;
        *) die "restart: unknown argument '$1'" ;;
        esac
    done
    [[ -n "${state}" && -f "${state}/gateway.env" ]] || die "restart: no gateway recorded in '${state}'"
    state="$(cd "${state}" && pwd)"
    local BINARY=""
    # shellcheck disable=SC1091
    source "${state}/gateway.env"
    local line
    line="$(awk -F'\t' -v i="${index}" '$1 == i' "${state}/replicas.tsv")"
    [[ -n "${line}" ]] || die "restart: no replica ${index} in ${state}/replicas.tsv"
    local pid g h m
    IFS=$'\t' read -r _ pid g h m <<<"${line}"
    stop_process "${pid}" "--http-port ${h} " "${grace}" "replica ${index}"
    local new_pid
    new_pid="$(start_replica "${state}" "${index}" "${BINARY}" "${g}" "${h}" "${m}")"
    awk -F'\t' -v OFS='\t' -v i="${index}" -v p="${new_pid}" '$1 == i { $2 = p } { print }' \
        "${state}/replicas.tsv" >"${state}/replicas.tsv.tmp"
    mv "${state}/replicas.tsv.tmp" "${state}/replicas.tsv"
    wait_ready "http://127.0.0.1:${h}/v2/health/ready" "${new_pid}" $((SECONDS + 180)) "replica ${index}" \
        "${state}/replica-${index}.log"
    log "replica ${index} restarted: pid ${new_pid} (was ${pid})"
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
    local BINARY="" HAPROXY_PID="" HAPROXY="" GATEWAY_LISTEN="" GATEWAY_GRPC_PORT="" GATEWAY_HTTP_PORT="" REPLICAS=""
    # shellcheck disable=SC2034
    local RETRIES="" HANG_TIMEOUT=""
    # shellcheck disable=SC1091
    [[ -f "${state}/gateway.env" ]] && source "${state}/gateway.env"

    # HAProxy first, so that no new request reaches a stopping replica. SIGUSR1 is its soft stop: the
    # listeners close and the open requests finish.
    if [[ -n "${HAPROXY_PID}" ]] && owned_pid "${HAPROXY_PID}" "haproxy"; then
        kill -USR1 "${HAPROXY_PID}" 2>/dev/null || true
        local deadline=$((SECONDS + 10))
        while kill -0 "${HAPROXY_PID}" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
        if kill -0 "${HAPROXY_PID}" 2>/dev/null; then kill -TERM "${HAPROXY_PID}" 2>/dev/null || true; fi
        log "haproxy (pid ${HAPROXY_PID}) stopped"
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
    rm -f "${state}/gateway.env" "${state}/replicas.tsv" "${state}/prometheus-targets.json"
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
    kill -0 "${HAPROXY_PID}" 2>/dev/null && alive="yes"
    printf 'gateway\tgrpc %s:%s\thttp %s:%s\thaproxy pid %s alive %s\n' \
        "${GATEWAY_LISTEN}" "${GATEWAY_GRPC_PORT}" "${GATEWAY_LISTEN}" "${GATEWAY_HTTP_PORT}" "${HAPROXY_PID}" "${alive}"
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
    local state="" grpc_port=8001 http_port=8000 listen=127.0.0.1 retries="" threads=1 grpc_up="" http_up=""
    local hang_timeout=30s bufsize=16384
    while (($#)); do
        case "$1" in
        --state-dir) state="$2"; shift 2 ;;
        --grpc-port) grpc_port="$2"; shift 2 ;;
        --http-port) http_port="$2"; shift 2 ;;
        --listen) listen="$2"; shift 2 ;;
        --retries) retries="$2"; shift 2 ;;
        --hang-timeout) hang_timeout="$2"; shift 2 ;;
        --max-retried-request-size) bufsize="$2"; shift 2 ;;
        --threads) threads="$2"; shift 2 ;;
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
    render_config "${state}" "${listen}" "${grpc_port}" "${http_port}" "${retries:-$((count > 2 ? count - 1 : 1))}" \
        "${threads}" "${grpc_up}" "${http_up}" "${hang_timeout}" "${bufsize}"
}

main() {
    (($#)) || die "usage: dev/gateway.sh install|start|restart|stop|status|render ... (see the header of this script)"
    local command="$1"
    shift
    case "${command}" in
    install) cmd_install "$@" ;;
    start) cmd_start "$@" ;;
    restart) cmd_restart "$@" ;;
    stop) cmd_stop "$@" ;;
    status) cmd_status "$@" ;;
    render) cmd_render "$@" ;;
    -h | --help | help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//' ;;
    *) die "unknown command '${command}' (install, start, restart, stop, status, render)" ;;
    esac
}

main "$@"
