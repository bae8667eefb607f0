#!/usr/bin/env bash
# Formats the Swift sources with swift-format and the committed .swift-format configuration.
# Generated protocol code (Sources/*/Generated) is left as generated.
#   dev/format.sh          format in place
#   dev/format.sh --lint   report differences, fail if any
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# Tracked files and new ones git does not ignore (a file not yet added is formatted and linted too).
mapfile -t files < <(git ls-files --cached --others --exclude-standard '*.swift' ':!:Sources/*/Generated/*' \
  2>/dev/null || find Sources Tests -name '*.swift' -not -path '*/Generated/*')
if [[ "${1:-}" == "--lint" ]]; then
  swift format lint --strict --configuration .swift-format "${files[@]}"
  echo "swift-format: ${#files[@]} files clean"
else
  swift format format --in-place --configuration .swift-format "${files[@]}"
  echo "swift-format: formatted ${#files[@]} files"
fi
