#!/usr/bin/env bash
# Configures and builds one preset: bash scripts/build.sh [release|debug|asan-ubsan] [ninja targets...]
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-release}"
shift || true
jobs="${EDGERUN_JOBS:-$(nproc)}"
if [ ! -f "build/$preset/build.ninja" ]; then
  cmake --preset "$preset" >/dev/null
fi
ninja -C "build/$preset" -j "$jobs" "$@" | grep -v '^\[' || true
test "${PIPESTATUS[0]}" -eq 0
