// Drawing on RGB8 images: rectangles, polygons and text labels, for annotated detection/OCR output and watch
// snapshots. Text uses FreeType with a DejaVu/Liberation font found on the system (fonts-dejavu-core); without
// FreeType or a font, labels are skipped and only the shapes are drawn (text_rendering_available() says which).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "edgerun/detect.h"
#include "edgerun/vision.h"

namespace edgerun::vision {

struct Color {
  uint8_t r = 0, g = 0, b = 0;
};

// A distinct colour per class id (a fixed palette, cycled).
Color palette_color(int index);

struct PointF {
  float x = 0, y = 0;
};

// Outlines clipped to the image; coordinates may lie outside it.
void draw_rect(Image& image, const Box& box, Color color, int thickness = 2);
void draw_polygon(Image& image, const std::vector<PointF>& points, Color color, int thickness = 2);
void fill_rect(Image& image, int x1, int y1, int x2, int y2, Color color);

bool text_rendering_available();
// Draws `text` (UTF-8) with its top-left corner at (x, y), `pixel_height` tall, on a filled background box.
// Returns the width drawn in pixels (0 when text rendering is unavailable).
int draw_text(Image& image, int x, int y, std::string_view text, Color fg, Color bg, int pixel_height = 16);

// Boxes plus "label 0.87" captions, one colour per class.
void annotate_detections(Image& image, const std::vector<Detection>& detections);

}  // namespace edgerun::vision
