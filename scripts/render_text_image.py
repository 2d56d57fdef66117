#!/usr/bin/python3
"""Renders a small text image and preprocesses it the PaddleOCR way into inputs for the det / cls / rec models.

Usage: /usr/bin/python3 scripts/render_text_image.py OUTDIR      (OUTDIR = .../generated/paddleocr)

Writes OUTDIR/text.png, OUTDIR/lines.json (the rendered lines and their boxes) and
  OUTDIR/det/test_data_set_0/input_0.pb   [1, 3, H, W]  H, W multiples of 32 (max side 960), ImageNet mean/std
  OUTDIR/cls/test_data_set_{0,1,2}/input_0.pb [1, 3, 48, 192] a text line upright, rotated 180 degrees, and cut
                                          to its top half (an ambiguous input whose output is not saturated),
                                          (x/255 - 0.5) / 0.5, zero-padded
  OUTDIR/rec/test_data_set_{0,1}/input_0.pb [1, 3, 48, W] two text lines, W from each line's aspect ratio
as ONNX TensorProto (raw_data). Channels are BGR like PaddleOCR's cv2.imread pipeline. Needs numpy and PIL only;
fonts from Debian's fonts-dejavu-core. Idempotent: does nothing when every file exists.
"""

import json
import math
import os
import shutil
import struct
import sys

import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONT_DIRS = ["/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu"]
IMAGE_SIZE = (620, 470)  # (W, H): deliberately not multiples of 32 so the det resize does something
LINES = [
    ("DejaVuSans.ttf", 34, "edgerun reads this line"),
    ("DejaVuSans-Bold.ttf", 30, "INVOICE No. 2024-0173"),
    ("DejaVuSerif.ttf", 28, "Total: 1,234.56 EUR"),
    ("DejaVuSansMono.ttf", 26, "model.onnx 4.7 MB"),
    ("DejaVuSans.ttf", 24, "Hello, World!"),
]
REC_LINES = [0, 4]  # rec gets two lines of different widths: two test data sets, two input shapes
# cls test sets: (line, variant, the orientation the classifier must answer; None = ambiguous, compared only).
# The softmax of a clear case saturates to 1.0 / 1e-11, which hides numeric errors; the top half of a line does not.
CLS_CASES = [(1, "upright", 0), (0, "rotated 180", 180), (1, "top half", None)]
# Bump when the inputs change: existing generated data with another version is regenerated.
FORMAT_VERSION = 2
BACKGROUND = (245, 243, 235)
INK = (20, 30, 90)

DET_MEAN = np.array([0.485, 0.456, 0.406], np.float32)
DET_STD = np.array([0.229, 0.224, 0.225], np.float32)
DET_LIMIT_SIDE = 960
REC_HEIGHT = 48
CLS_SHAPE = (48, 192)


def find_font(name):
    for d in FONT_DIRS:
        p = os.path.join(d, name)
        if os.path.isfile(p):
            return p
    raise SystemExit(f"font {name} not found in {FONT_DIRS} (install fonts-dejavu-core)")


def varint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def tensor_proto(array, name):
    """Serializes a float32 array as TensorProto {dims=1, data_type=2 (FLOAT), name=8, raw_data=9}."""
    array = np.ascontiguousarray(array, dtype="<f4")
    out = bytearray()
    for d in array.shape:
        out += varint((1 << 3) | 0) + varint(int(d))
    out += varint((2 << 3) | 0) + varint(1)
    name_bytes = name.encode()
    out += varint((8 << 3) | 2) + varint(len(name_bytes)) + name_bytes
    raw = array.tobytes()
    out += varint((9 << 3) | 2) + varint(len(raw)) + raw
    return bytes(out)


def write_input(outdir, model, index, array):
    d = os.path.join(outdir, model, f"test_data_set_{index}")
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "input_0.pb")
    with open(path + ".tmp", "wb") as f:
        f.write(tensor_proto(array, "x"))
    os.replace(path + ".tmp", path)
    print(f"  {model}/test_data_set_{index}/input_0.pb {list(array.shape)}")


def render():
    img = Image.new("RGB", IMAGE_SIZE, BACKGROUND)
    draw = ImageDraw.Draw(img)
    boxes = []
    y = 28
    for font_name, size, text in LINES:
        font = ImageFont.truetype(find_font(font_name), size)
        x = 30 + 12 * len(boxes)
        draw.text((x, y), text, font=font, fill=INK)
        l, t, r, b = draw.textbbox((x, y), text, font=font)
        # A margin like a detector's box expansion: the recognizer expects some background around the glyphs.
        m = 6
        boxes.append([max(0, l - m), max(0, t - m), min(IMAGE_SIZE[0], r + m), min(IMAGE_SIZE[1], b + m)])
        y = b + 40
    return img, boxes


def to_bgr_float(img):
    return np.asarray(img, dtype=np.float32)[:, :, ::-1]  # [H, W, 3] BGR, 0..255


def det_input(img):
    w, h = img.size
    ratio = min(1.0, DET_LIMIT_SIDE / max(h, w))
    rh = max(int(round(h * ratio / 32) * 32), 32)
    rw = max(int(round(w * ratio / 32) * 32), 32)
    x = to_bgr_float(img.resize((rw, rh), Image.BILINEAR)) / 255.0
    x = (x - DET_MEAN) / DET_STD
    return x.transpose(2, 0, 1)[None].astype(np.float32)  # [1, 3, H, W]


def line_input(crop, width_cap):
    """PaddleOCR resize_norm_img: height 48, width from the aspect ratio (capped), zero padding on the right."""
    w, h = crop.size
    rw = int(math.ceil(REC_HEIGHT * w / h))
    out_w = rw if width_cap is None else width_cap
    rw = min(rw, out_w)
    x = to_bgr_float(crop.resize((rw, REC_HEIGHT), Image.BILINEAR)) / 255.0
    x = (x - 0.5) / 0.5
    padded = np.zeros((REC_HEIGHT, out_w, 3), np.float32)
    padded[:, :rw] = x
    return padded.transpose(2, 0, 1)[None].astype(np.float32)  # [1, 3, 48, W]


def cls_crop(img, box, variant):
    crop = img.crop(box)
    if variant == "rotated 180":
        return crop.rotate(180)
    if variant == "top half":
        return crop.crop((0, 0, crop.size[0], crop.size[1] // 2))
    return crop


def read_version(outdir):
    try:
        with open(os.path.join(outdir, "lines.json")) as f:
            return json.load(f).get("version")
    except (OSError, ValueError, AttributeError):
        return None


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    outdir = sys.argv[1]
    wanted = ["text.png", "lines.json", "det/test_data_set_0/input_0.pb"]
    wanted += [f"cls/test_data_set_{i}/input_0.pb" for i in range(len(CLS_CASES))]
    wanted += [f"rec/test_data_set_{i}/input_0.pb" for i in range(len(REC_LINES))]
    if all(os.path.isfile(os.path.join(outdir, f)) for f in wanted) and read_version(outdir) == FORMAT_VERSION:
        print(f"  PaddleOCR inputs exist, skipped ({outdir})")
        return 0
    os.makedirs(outdir, exist_ok=True)
    # lines.json is written last: its version says the inputs are complete.
    if os.path.exists(os.path.join(outdir, "lines.json")):
        os.remove(os.path.join(outdir, "lines.json"))
    for model in ("det", "cls", "rec"):  # test sets of an older version (stale references included)
        d = os.path.join(outdir, model)
        for name in os.listdir(d) if os.path.isdir(d) else []:
            if name.startswith("test_data_set_"):
                shutil.rmtree(os.path.join(d, name))
    img, boxes = render()
    img.save(os.path.join(outdir, "text.png"))
    write_input(outdir, "det", 0, det_input(img))
    for i, (line, variant, _) in enumerate(CLS_CASES):
        write_input(outdir, "cls", i, line_input(cls_crop(img, boxes[line], variant), CLS_SHAPE[1]))
    for i, line in enumerate(REC_LINES):
        write_input(outdir, "rec", i, line_input(img.crop(boxes[line]), None))
    meta = {
        "version": FORMAT_VERSION,
        "image": "text.png",
        "lines": [{"text": t, "font": f, "size": s, "box": b} for (f, s, t), b in zip(LINES, boxes)],
        "rec": [LINES[i][2] for i in REC_LINES],
        "cls": [{"text": LINES[line][2], "variant": variant, "angle": angle} for line, variant, angle in CLS_CASES],
    }
    with open(os.path.join(outdir, "lines.json"), "w") as f:
        json.dump(meta, f, indent=2)
    print(f"  wrote {os.path.join(outdir, 'text.png')} {IMAGE_SIZE[0]}x{IMAGE_SIZE[1]}, {len(LINES)} lines")
    return 0


if __name__ == "__main__":
    sys.exit(main())
