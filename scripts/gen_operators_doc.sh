#!/usr/bin/env bash
# Regenerates docs/operators.md: builds conformance_runner (release preset, or $EDGERUN_BUILD_DIR) and runs it over
# the ONNX backend test data ($EDGERUN_ONNX_TESTS_DIR, default ../shared/onnx-backend-tests).
#   bash scripts/gen_operators_doc.sh [extra conformance_runner arguments, e.g. --verbose]
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir="${EDGERUN_BUILD_DIR:-build/release}"
data_dir="${EDGERUN_ONNX_TESTS_DIR:-$(pwd)/../shared/onnx-backend-tests}"
# The version of the data, named in the document. The shared copy is ONNX v1.22.0 (see ../shared/models/MANIFEST.md).
data_label="${EDGERUN_ONNX_TESTS_LABEL:-ONNX 1.22.0 backend test data (onnx/backend/test/data at tag v1.22.0)}"

if [ ! -d "$data_dir/node" ]; then
  echo "gen_operators_doc: no ONNX backend test data in $data_dir (set EDGERUN_ONNX_TESTS_DIR)" >&2
  exit 1
fi
if [ ! -f "$build_dir/build.ninja" ]; then
  if [ -z "${EDGERUN_BUILD_DIR:-}" ]; then
    cmake --preset release >/dev/null
  else
    cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  fi
fi
ninja -C "$build_dir" -j "${EDGERUN_JOBS:-$(nproc)}" conformance_runner | grep -v -e '^\[' -e '^ninja: ' || true
test "${PIPESTATUS[0]}" -eq 0

mkdir -p docs
# --check is not passed: the document is written whatever the pass rates are.
"$build_dir/tests/conformance_runner" --data "$data_dir" --data-label "$data_label" --markdown docs/operators.md "$@"
