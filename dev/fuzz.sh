#!/usr/bin/env bash
# Fuzzing: builds the libFuzzer targets of Fuzz/ (OFFLOAD_FUZZ=1, in the separate scratch path .build/fuzz, so
# the normal .build is untouched) and runs each for a fixed number of inputs from its seed corpus.
#   dev/fuzz.sh                                   every target, 20000 inputs each (the CI run)
#   dev/fuzz.sh --target FuzzHTTPInfer --runs -1 --max-total-time 3600    one target for an hour
# Options:
#   --runs N             inputs per target (default 20000; -1: until --max-total-time or a crash)
#   --max-total-time S   stop each target after S seconds (default 0: no limit)
#   --target NAME        run only this target (repeatable); targets: FuzzGRPCInferRequest FuzzGRPCStream FuzzHTTPInfer FuzzModelConfig
#   --max-len BYTES      largest input libFuzzer generates (default 4096)
#   --release            build with -c release (faster inputs, slower build; `assert` is off)
#   --keep-corpus        after the run, minimize the grown corpus (libFuzzer -merge=1: the smallest set with the
#                        same coverage) into Fuzz/Grown/<target>/, which Tests/FuzzRegressionTests replays (no
#                        input may crash) and later runs start from. Commit it after a deep run.
#   --parallel N         run up to N targets at once (default 1; one core each)
#   -- ARGS              further libFuzzer flags, e.g. -- -detect_leaks=0 -rss_limit_mb=4096
# Seeds (Fuzz/Corpus/<target>), the kept corpus (Fuzz/Grown/<target>) and saved crashes (Fuzz/Regressions/<target>)
# are copied into the working corpus
# .build/fuzz-work/<target>, which keeps what libFuzzer adds between runs; the files in git are never changed.
# Crashes go to .build/fuzz-artifacts/<target>/; the summary table is also written to .build/fuzz-report.json.
# Exits 1 when any target crashed (or failed to run).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

all_targets=(FuzzGRPCInferRequest FuzzGRPCStream FuzzHTTPInfer FuzzModelConfig)
runs=20000
max_total_time=0
max_len=4096
configuration=debug
targets=()
libfuzzer_args=()
keep_corpus=0
parallel=1

usage() { sed -n '2,21p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
fail() {
  echo "dev/fuzz.sh: $*" >&2
  exit 2
}
integer() { [[ "$2" =~ ^-?[0-9]+$ ]] || fail "$1 needs an integer, got '$2'"; }

while (($#)); do
  case "$1" in
    --runs) integer "$1" "${2-}" && runs="$2" && shift 2 ;;
    --max-total-time) integer "$1" "${2-}" && max_total_time="$2" && shift 2 ;;
    --max-len) integer "$1" "${2-}" && max_len="$2" && shift 2 ;;
    --target)
      [[ " ${all_targets[*]} " == *" ${2-} "* ]] || fail "unknown target '${2-}' (one of: ${all_targets[*]})"
      targets+=("$2")
      shift 2
      ;;
    --release) configuration=release && shift ;;
    --keep-corpus) keep_corpus=1 && shift ;;
    --parallel) integer "$1" "${2-}" && parallel="$2" && shift 2 ;;
    --) shift && libfuzzer_args=("$@") && break ;;
    -h | --help) usage && exit 0 ;;
    *) usage >&2 && fail "unknown option '$1'" ;;
  esac
done
((${#targets[@]})) || targets=("${all_targets[@]}")

scratch=.build/fuzz
work=.build/fuzz-work
artifacts=.build/fuzz-artifacts
report=.build/fuzz-report.json

# The fuzz targets and the instrumentation exist only when the manifest sees OFFLOAD_FUZZ=1.
export OFFLOAD_FUZZ=1
for target in "${targets[@]}"; do
  printf '\n==> building %s (%s, libFuzzer + AddressSanitizer)\n' "${target}" "${configuration}"
  swift build --scratch-path "${scratch}" -c "${configuration}" --product "${target}"
done
bin="$(swift build --scratch-path "${scratch}" -c "${configuration}" --show-bin-path)"

# Swift's crash backtracer inspects the crashing process in a way AddressSanitizer reports as a bug of its own;
# libFuzzer prints the stack itself.
export SWIFT_BACKTRACE=enable=no

json_string() {
  local s=${1//\\/\\\\}
  printf '"%s"' "${s//\"/\\\"}"
}

# fuzz_one TARGET: runs one target; writes its table row and JSON entry next to its log; exit 1 on a crash.
fuzz_one() {
  local target="$1" corpus log stamp start status elapsed_ms seconds executions crashes artifact
  local dictionary=() found=() artifact_list=()
  corpus="${work}/${target}"
  mkdir -p "${corpus}" "${artifacts}/${target}"
  cp -R "Fuzz/Corpus/${target}/." "${corpus}/"
  if [[ -d "Fuzz/Grown/${target}" ]]; then cp -R "Fuzz/Grown/${target}/." "${corpus}/"; fi
  for file in "Fuzz/Regressions/${target}"/*; do
    if [[ -f "${file}" && "$(basename "${file}")" != README* ]]; then cp "${file}" "${corpus}/"; fi
  done
  if [[ -f "Fuzz/Dictionaries/${target}.dict" ]]; then dictionary=("-dict=Fuzz/Dictionaries/${target}.dict"); fi
  log="${work}/${target}.log"
  stamp="${work}/${target}.started"
  touch "${stamp}"

  printf '\n==> fuzzing %s: %s inputs, max %s s (log: %s)\n' "${target}" "${runs}" "${max_total_time}" "${log}"
  start=$(date +%s%N)
  status=0
  "${bin}/${target}" -runs="${runs}" -max_total_time="${max_total_time}" -max_len="${max_len}" -timeout=30 \
    -print_final_stats=1 -artifact_prefix="${artifacts}/${target}/" "${dictionary[@]}" "${libfuzzer_args[@]+"${libfuzzer_args[@]}"}" \
    "${corpus}" >"${log}" 2>&1 || status=$?
  elapsed_ms=$((($(date +%s%N) - start) / 1000000))
  seconds="$((elapsed_ms / 1000)).$((elapsed_ms % 1000 / 100))"

  executions=$(awk '/^stat::number_of_executed_units:/ { n = $2 } END { print n }' "${log}")
  if [[ -z "${executions}" ]]; then
    executions=$(sed -n 's/^Done \([0-9]*\) runs in .*/\1/p' "${log}" | tail -n 1)
  fi
  mapfile -t found < <(find "${artifacts}/${target}" -type f -newer "${stamp}" \
    \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | sort)
  crashes=${#found[@]}

  local failed=0
  if ((status != 0 || crashes > 0)); then
    failed=1
    echo "!!! ${target}: libFuzzer exited with status ${status}; last lines of ${log}:"
    tail -n 40 "${log}" | sed 's/^/    /'
    if ((crashes == 0)); then
      echo "!!! ${target} failed without a crash file (bad flags, or the binary did not start)"
    fi
    for artifact in "${found[@]}"; do
      echo "!!! ${target} crash input: ${artifact}"
      echo "    reproduce: ${bin}/${target} ${artifact}"
      echo "    after fixing it, keep it as a regression test (Tests/FuzzRegressionTests runs every file there):"
      echo "      cp ${artifact} Fuzz/Regressions/${target}/<short-name-of-the-bug>"
    done
  fi

  if ((keep_corpus && failed == 0)); then
    # The smallest set of the working corpus with the same coverage, as the committed starting point.
    rm -rf "Fuzz/Grown/${target}.new"
    mkdir -p "Fuzz/Grown/${target}.new"
    "${bin}/${target}" -merge=1 -max_len="${max_len}" "Fuzz/Grown/${target}.new" "${corpus}" >"${work}/${target}.merge.log" 2>&1
    rm -rf "Fuzz/Grown/${target}"
    mv "Fuzz/Grown/${target}.new" "Fuzz/Grown/${target}"
    echo "${target}: kept $(find "Fuzz/Grown/${target}" -type f | wc -l) inputs in Fuzz/Grown/${target}"
  fi

  printf '%-22s %12s %8s %9s\n' "${target}" "${executions:--}" "${crashes}" "${seconds}" >"${work}/${target}.row"
  for artifact in "${found[@]}"; do artifact_list+=("$(json_string "${artifact}")"); done
  (
    printf '    {"target": %s, "executions": %s, "crashes": %s, "seconds": %s, "exit_status": %s, "artifacts": [%s], "log": %s}' \
      "$(json_string "${target}")" "${executions:-null}" "${crashes}" "${seconds}" "${status}" \
      "$(IFS=,; echo "${artifact_list[*]}")" "$(json_string "${log}")"
  ) >"${work}/${target}.entry"
  return "${failed}"
}

# Up to --parallel targets at once, each a single libFuzzer process (one core).
failed=0
running=0
for target in "${targets[@]}"; do
  if ((running >= parallel)); then
    wait -n || failed=1
    running=$((running - 1))
  fi
  fuzz_one "${target}" &
  running=$((running + 1))
done
while ((running > 0)); do
  wait -n || failed=1
  running=$((running - 1))
done
rows=()
entries=()
for target in "${targets[@]}"; do
  rows+=("$(cat "${work}/${target}.row" 2>/dev/null || printf '%-22s %12s' "${target}" "(no result)")")
  entries+=("$(cat "${work}/${target}.entry" 2>/dev/null || printf '    {"target": %s}' "$(json_string "${target}")")")
done

printf '\n%-22s %12s %8s %9s\n' target executions crashes seconds
printf '%s\n' "${rows[@]}"
{
  printf '{\n  "configuration": "%s",\n  "runs": %s,\n  "max_total_time": %s,\n  "max_len": %s,\n  "targets": [\n' \
    "${configuration}" "${runs}" "${max_total_time}" "${max_len}"
  (IFS=$'\n'; echo "${entries[*]}" | sed '$!s/$/,/')
  printf '  ]\n}\n'
} >"${report}"
echo "report: ${report}"
exit "${failed}"
