#!/usr/bin/env bash
# The test command (README, .ci/run): installs dependencies, generates reference models, builds and runs all tests,
# then (on an x86-64 host) cross builds for aarch64 and runs the `emulated` test subset under qemu (docs/arm64.md).
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

# Untrusted-input tests (label `untrusted`, listed in tests/CMakeLists.txt) again under AddressSanitizer +
# UndefinedBehaviorSanitizer.
echo "== build (asan-ubsan: loader, corrupt models, images, drawing, detection/OCR post-processing, watch rules)"
bash scripts/build.sh asan-ubsan untrusted_tests
echo "== tests (asan-ubsan, label 'untrusted')"
(cd build/asan-ubsan && ctest --output-on-failure --no-tests=error -j "$(nproc)" --timeout 900 -L untrusted)

# aarch64 (Raspberry Pi 5): cross build + the `emulated` subset (kernels, ops, a conformance subset, three real
# models) under qemu-aarch64-static -cpu cortex-a76 -L .cache/sysroot-arm64 (CMAKE_CROSSCOMPILING_EMULATOR).
if [ "$(dpkg --print-architecture)" = amd64 ]; then
  echo "== build (aarch64-cross: library + emulated tests)"
  arm_start=$(date +%s)
  bash scripts/build.sh aarch64-cross emulated_tests
  echo "== tests (aarch64-cross under qemu, label 'emulated'; built in $(( $(date +%s) - arm_start )) s)"
  arm_start=$(date +%s)
  (cd build/aarch64-cross && ctest --output-on-failure --no-tests=error -j "$(nproc)" -L emulated)
  echo "== aarch64 emulated tests passed in $(( $(date +%s) - arm_start )) s"
else
  echo "== aarch64 cross stage skipped (host is $(dpkg --print-architecture); run the tests natively instead)"
fi

echo "== all tests passed in $(( $(date +%s) - start )) s"
