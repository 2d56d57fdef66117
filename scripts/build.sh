#!/usr/bin/env bash
# Configures and builds one preset: bash scripts/build.sh [release|debug|asan-ubsan] [ninja targets...]
# Quiet on success (warnings still shown); the full log and a non-zero exit on failure.
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-release}"
shift || true
jobs="${EDGERUN_JOBS:-$(nproc)}"
if [ ! -f "build/$preset/build.ninja" ]; then
  cmake --preset "$preset" >/dev/null
fi
log=$(mktemp)
if ninja -C "build/$preset" -j "$jobs" "$@" >"$log" 2>&1; then
  grep -v -e '^\[' -e '^ninja: ' "$log" || true
  rm -f "$log"
else
  cat "$log"
  rm -f "$log"
  echo "build.sh: build of preset '$preset' failed" >&2
  exit 1
fi
