#!/usr/bin/env bash
# Builds the DocC documentation of the public libraries (OffloadClient, KServeProtocol) from the debug build's
# modules, with warnings as errors (a broken symbol link fails), into .build/docs/<Module>.
#   dev/docs.sh            # after `swift build` (or dev/test.sh)
# Uses the toolchain's swift-symbolgraph-extract and docc; no plugin, no second build.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[[ -d .build/debug/Modules ]] || { echo "no debug build: run 'swift build' first" >&2; exit 1; }
out=.build/docs
rm -rf "${out}" && mkdir -p "${out}"
# C modules of the dependencies (NIO, BoringSSL, zlib ...), as the compiler saw them.
clang_flags=()
while IFS= read -r map; do clang_flags+=(-Xcc "-fmodule-map-file=${map}"); done < <(ls .build/debug/*.build/module.modulemap | grep -v -- "-tool.build/")
while IFS= read -r dir; do clang_flags+=(-Xcc "-I${dir}"); done < <(find .build/checkouts -type d -name include)
for module in OffloadClient KServeProtocol; do
  graphs="${out}/symbol-graphs/${module}"
  mkdir -p "${graphs}"
  echo "==> ${module}: symbol graph"
  swift symbolgraph-extract -module-name "${module}" -I .build/debug/Modules -target "$(uname -m)-unknown-linux-gnu" \
    -minimum-access-level public -output-dir "${graphs}" "${clang_flags[@]}" >/dev/null
  echo "==> ${module}: docc convert"
  docc convert "Sources/${module}/${module}.docc" --additional-symbol-graph-dir "${graphs}" \
    --fallback-display-name "${module}" --fallback-bundle-identifier "org.offload.${module}" \
    --output-path "${out}/${module}" --warnings-as-errors
done
echo "documentation in ${out}/<Module> (static site: docc process-archive transform-for-static-hosting to publish)"
