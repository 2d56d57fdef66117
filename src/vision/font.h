// Internal pieces of drawing shared by the shapes (src/vision/draw.cpp) and the FreeType text behind draw_text
// (src/vision/font.cpp). The public entry points are in edgerun/draw.h.
#pragma once

#include <string_view>

#include "edgerun/vision.h"

namespace edgerun::vision {

// An RGB8 image whose pixel buffer really holds width * height * 3 bytes; drawing on anything else is a no-op, so
// a hand-made Image with a wrong size can't make the drawing code write out of bounds.
bool is_drawable(const Image& image);

// The width draw_text would return for `text` at `pixel_height`, without drawing (0 when text rendering is
// unavailable or the text is empty).
int measure_text(std::string_view text, int pixel_height);

}  // namespace edgerun::vision
