#!/usr/bin/python3
"""Renders a page of printed text with known content, for end-to-end OCR tests and benchmarks.

Usage: /usr/bin/python3 scripts/render_ocr_page.py OUT.png OUT.json [--rotate 180]

OUT.png: black text on white, 1000 px wide (so the detector's 960 px limit scales it down), lines in DejaVu
Sans/Serif/Mono and Liberation Sans/Serif/Mono at 20-40 px: mixed case, digits, punctuation, and one line of two
columns (two boxes side by side). --rotate 180 turns the whole page upside down (a scan fed the wrong way).

OUT.json: the ground truth in the reading order of the written image (top to bottom, left to right):
  {"image": "OUT.png", "width": W, "height": H, "rotate": 0|180,
   "lines": [{"text": STR, "font": FILE, "size": PX, "box": [[x, y] * 4]}, ...]}
box = the ink's bounding box (PIL textbbox) as corners clockwise from the top-left, in pixels of OUT.png.
Needs python3-pil, fonts-dejavu-core and fonts-liberation2 (Debian 12).
"""

import json
import os
import sys

from PIL import Image, ImageDraw, ImageFont

FONT_DIRS = [
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/truetype/liberation2",
    "/usr/share/fonts/truetype/liberation",
]
WIDTH = 1000
MARGIN = 40
LINE_GAP = 26  # white space between lines: enough for the detector to keep them apart

# (font file, size px, text) per printed line; a list of two entries is one line with two columns.
PAGE = [
    ("DejaVuSans.ttf", 36, "Edge OCR Test Page, No. 7"),
    ("LiberationSerif-Regular.ttf", 32, "The quick brown fox jumps over 12 lazy dogs."),
    ("DejaVuSerif.ttf", 28, "Total due: 1,234.56 EUR (incl. VAT 19%)"),
    ("LiberationMono-Regular.ttf", 26, "model.onnx size=4.7MB latency<80ms"),
    [("LiberationSans-Regular.ttf", 30, "Name: Ada Lovelace"), ("LiberationSans-Regular.ttf", 30, "ID 0042")],
    ("DejaVuSansMono.ttf", 24, "Call +49 30 1234-5678, ext. 42"),
    ("LiberationSans-Bold.ttf", 40, "WARNING: Keep Dry!"),
    ("DejaVuSans-Bold.ttf", 22, "Order #A17 shipped on 2024-03-15 via DHL."),
    ("LiberationSerif-Regular.ttf", 20, "Questions? Write to help@example.org today."),
]
COLUMN_X = 620  # left edge of a line's second column


def find_font(name):
    for d in FONT_DIRS:
        p = os.path.join(d, name)
        if os.path.isfile(p):
            return p
    raise SystemExit(f"font {name} not found in {FONT_DIRS} (install fonts-dejavu-core fonts-liberation2)")


def corners(l, t, r, b):
    return [[l, t], [r, t], [r, b], [l, b]]


def layout():
    """Places every line; returns [(font, size, text, x, y)] in reading order and the page height."""
    placed = []
    y = MARGIN
    probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    for entry in PAGE:
        columns = entry if isinstance(entry, list) else [entry]
        bottom = y
        for i, (font_name, size, text) in enumerate(columns):
            x = MARGIN if i == 0 else COLUMN_X
            font = ImageFont.truetype(find_font(font_name), size)
            _, _, r, b = probe.textbbox((x, y), text, font=font)
            if r > WIDTH - MARGIN:
                raise SystemExit(f"line too wide for the page: {text!r} ends at x={r}")
            placed.append((font_name, size, text, x, y))
            bottom = max(bottom, b)
        y = bottom + LINE_GAP
    return placed, y + MARGIN - LINE_GAP


def render(rotate):
    placed, height = layout()
    img = Image.new("RGB", (WIDTH, height), (255, 255, 255))
    draw = ImageDraw.Draw(img)
    lines = []
    for font_name, size, text, x, y in placed:
        font = ImageFont.truetype(find_font(font_name), size)
        draw.text((x, y), text, font=font, fill=(0, 0, 0))
        l, t, r, b = draw.textbbox((x, y), text, font=font)
        lines.append({"text": text, "font": font_name, "size": size, "box": corners(l, t, r, b)})
    if rotate == 180:
        img = img.rotate(180)
        # A point (x, y) of the page lands on (W - x, H - y); the box's corners swap roles, and reading order
        # reverses (what was the last line is now on top; a line's right column is now on its left).
        for line in lines:
            (l, t), _, (r, b), _ = line["box"]
            line["box"] = corners(WIDTH - r, height - b, WIDTH - l, height - t)
        lines.reverse()
    return img, lines


def main():
    args = sys.argv[1:]
    rotate = 0
    if "--rotate" in args:
        i = args.index("--rotate")
        if i + 1 >= len(args) or args[i + 1] not in ("0", "180"):
            print("render_ocr_page.py: --rotate takes 0 or 180", file=sys.stderr)
            return 2
        rotate = int(args[i + 1])
        del args[i : i + 2]
    if len(args) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    png, meta_path = args
    img, lines = render(rotate)
    img.save(png)
    meta = {"image": os.path.basename(png), "width": img.size[0], "height": img.size[1], "rotate": rotate,
            "lines": lines}
    with open(meta_path, "w") as f:
        json.dump(meta, f, indent=2)
    words = sum(len(line["text"].split()) for line in lines)
    print(f"wrote {png} {img.size[0]}x{img.size[1]}: {len(lines)} lines, {words} words")
    return 0


if __name__ == "__main__":
    sys.exit(main())
