#!/usr/bin/env bash
# The test command (README, .ci/run): installs dependencies, generates reference models, builds and runs all tests.
# Tests that need ../shared/models skip with a message when it is absent (set EDGERUN_MODELS_DIR to point elsewhere).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)

bash scripts/setup.sh
bash scripts/gen_test_models.sh

echo "== build (release)"
bash scripts/build.sh release
echo "== tests (release)"
(cd build/release && ctest --output-on-failure -j "$(nproc)" --timeout 900)

# Untrusted-input tests again under AddressSanitizer + UndefinedBehaviorSanitizer.
echo "== build (asan-ubsan: loader, corrupt models, images)"
bash scripts/build.sh asan-ubsan test_corrupt_models test_onnx_loader test_wire test_tensor_proto test_image
echo "== tests (asan-ubsan)"
(cd build/asan-ubsan && ctest --output-on-failure -j "$(nproc)" --timeout 900 \
  -R 'test_corrupt_models|test_onnx_loader|test_wire|test_tensor_proto|test_image')

echo "== all tests passed in $(( $(date +%s) - start )) s"
