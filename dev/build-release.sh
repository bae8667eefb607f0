#!/usr/bin/env bash
# Builds the release `offload` binary that the wheel and the container image ship (docs/install.md):
#   swift build -c release --static-swift-stdlib --disable-default-traits, linked with --no-export-dynamic,
# then strips it into .build/dist/offload and prints that path on stdout.
#
# - --static-swift-stdlib: the Swift runtime and FoundationEssentials are linked in; the binary needs only
#   glibc, libstdc++, libgcc_s and libz, and dlopens ONNX Runtime at run time.
# - --disable-default-traits: without HTTPClientTransport (AsyncHTTPClient) and NumpyArchives (ZIPFoundation),
#   whose libraries import all of Foundation and so link its ICU data (34 MB) and CoreFoundation.
#   The server, `health`, and `infer` / `bench` / `events` over gRPC are all there (Package.swift).
# - --no-export-dynamic: SwiftPM exports every symbol of an executable for backtraces (4.5 MB of dynamic
#   symbol tables); a stripped binary has no use for them.
#
# Usage: dev/build-release.sh [--full]   (--full: keep the default traits, for a from-source binary)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

TRAITS=(--disable-default-traits)
if [[ "${1:-}" == "--full" ]]; then TRAITS=(); fi
FLAGS=(-c release --static-swift-stdlib --product offload "${TRAITS[@]}" -Xlinker --no-export-dynamic)

printf '[build-release] swift build %s\n' "${FLAGS[*]}" >&2
swift build "${FLAGS[@]}" >&2
BIN="$(swift build "${FLAGS[@]}" --show-bin-path)/offload"
mkdir -p .build/dist
install -m 0755 "${BIN}" .build/dist/offload
strip .build/dist/offload
printf '[build-release] %s: %s bytes stripped (%s unstripped)\n' .build/dist/offload \
  "$(stat -c %s .build/dist/offload)" "$(stat -c %s "${BIN}")" >&2
echo "$(pwd)/.build/dist/offload"
