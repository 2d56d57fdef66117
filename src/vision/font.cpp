// Text labels with FreeType: one scalable font found on the system (or $EDGERUN_FONT), loaded on first use and kept
// for the life of the process. FreeType faces are not thread-safe and sizing a face changes it, so every use holds
// one mutex; captions are short, so the lock is held briefly.
#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#ifdef EDGERUN_HAVE_FREETYPE
#include <ft2build.h>
#include FT_FREETYPE_H
#endif

#include "edgerun/draw.h"
#include "vision/font.h"

namespace edgerun::vision {

#ifdef EDGERUN_HAVE_FREETYPE
namespace {

// Debian's fonts-dejavu-core first (the font the docs promise), then fonts-liberation2 / fonts-liberation, then the
// same fonts where other distributions put them.
const char* const kSystemFonts[] = {
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf",
};

// Bounds on what a caller's numbers can make us render: a caption taller than this or longer than this many
// characters is a mistake, not a label.
constexpr int kMaxPixelHeight = 1024;
constexpr size_t kMaxCodePoints = 1024;

// UTF-8 -> code points. Labels come from model metadata and user files, so malformed input is expected: each bad
// byte (stray continuation, truncated or overlong sequence, surrogate, > U+10FFFF) becomes U+FFFD.
std::vector<char32_t> decode_utf8(std::string_view s) {
  std::vector<char32_t> out;
  size_t i = 0;
  while (i < s.size() && out.size() < kMaxCodePoints) {
    auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
    unsigned char b0 = byte(i);
    int len = b0 < 0x80 ? 1 : (b0 >> 5) == 0x6 ? 2 : (b0 >> 4) == 0xE ? 3 : (b0 >> 3) == 0x1E ? 4 : 0;
    char32_t cp = len == 1 ? b0 : len == 2 ? (b0 & 0x1F) : len == 3 ? (b0 & 0x0F) : (b0 & 0x07);
    bool ok = len > 0 && i + static_cast<size_t>(len) <= s.size();
    for (int k = 1; ok && k < len; ++k) {
      unsigned char b = byte(i + static_cast<size_t>(k));
      ok = (b & 0xC0) == 0x80;
      cp = (cp << 6) | (b & 0x3F);
    }
    static const char32_t kMinForLength[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (ok && (cp < kMinForLength[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))) ok = false;
    out.push_back(ok ? cp : 0xFFFD);
    i += ok ? static_cast<size_t>(len) : 1;
  }
  return out;
}

struct FontCache {
  std::mutex mutex;
  bool tried = false;
  FT_Library library = nullptr;
  FT_Face face = nullptr;
  int box_height = 0;  // the pixel_height the face is sized for now (0 = not sized)
  int ascent = 0;      // pixels above the baseline at that size
  int line = 0;        // ascender to descender in pixels at that size

  ~FontCache() {
    if (face) FT_Done_Face(face);
    if (library) FT_Done_FreeType(library);
  }
};

FontCache& font_cache() {
  static FontCache cache;
  return cache;
}

// Loads the font on first use (the caller holds the mutex). Failure is remembered: without a font every later call
// returns at once instead of searching the disk again.
bool ensure_font(FontCache& c) {
  if (c.tried) return c.face != nullptr;
  c.tried = true;
  if (FT_Init_FreeType(&c.library) != 0) {
    c.library = nullptr;
    return false;
  }
  std::vector<std::string> candidates;
  if (const char* env = std::getenv("EDGERUN_FONT"); env && *env) candidates.emplace_back(env);
  candidates.insert(candidates.end(), std::begin(kSystemFonts), std::end(kSystemFonts));
  for (const std::string& path : candidates) {
    FT_Face face = nullptr;
    if (FT_New_Face(c.library, path.c_str(), 0, &face) != 0) continue;
    // Bitmap-only fonts come in a few fixed sizes; captions need any size, so such a font is skipped.
    if (FT_IS_SCALABLE(face)) {
      c.face = face;
      return true;
    }
    FT_Done_Face(face);
  }
  return false;
}

// Sizes the face so that a whole line, ascender to descender, fits in box_height pixels: pixel_height is the
// height of the box the caller asked for, and a font's line is taller than its em (DejaVu Sans: 1.16 em).
bool size_face(FontCache& c, int box_height) {
  if (c.box_height == box_height) return true;
  c.box_height = 0;
  int em = box_height;
  for (;;) {
    if (FT_Set_Pixel_Sizes(c.face, 0, static_cast<FT_UInt>(em)) != 0) return false;
    const FT_Size_Metrics& m = c.face->size->metrics;
    c.ascent = static_cast<int>((m.ascender + 63) >> 6);
    c.line = static_cast<int>((m.ascender - m.descender + 63) >> 6);
    if (c.line <= box_height || em == 1) break;
    em = std::max(1, std::min(em - 1, em * box_height / std::max(c.line, 1)));
  }
  c.box_height = box_height;
  return true;
}

int padding(int box_height) { return std::max(1, box_height / 8); }

// Walks the glyphs of `text` along the pen, calling on_glyph(slot, pen) for each when rendering; returns the total
// advance in 26.6 fixed point. Glyphs FreeType can't load are skipped rather than failing the whole caption.
template <class OnGlyph>
FT_Pos layout_text(FT_Face face, const std::vector<char32_t>& text, bool render, OnGlyph on_glyph) {
  FT_Pos pen = 0;
  FT_UInt previous = 0;
  bool kerning = FT_HAS_KERNING(face);
  for (char32_t cp : text) {
    FT_UInt glyph = FT_Get_Char_Index(face, cp);  // 0 = the font's "missing glyph" box, drawn as such
    if (kerning && previous && glyph) {
      FT_Vector delta;
      if (FT_Get_Kerning(face, previous, glyph, FT_KERNING_DEFAULT, &delta) == 0) pen += delta.x;
    }
    if (FT_Load_Glyph(face, glyph, render ? FT_LOAD_RENDER : FT_LOAD_DEFAULT) != 0) continue;
    if (render) on_glyph(face->glyph, pen);
    pen += face->glyph->advance.x;
    previous = glyph;
  }
  return std::max<FT_Pos>(pen, 0);
}

int clamp_to_int(int64_t v) { return static_cast<int>(std::clamp<int64_t>(v, INT_MIN, INT_MAX)); }

int text_width(FontCache& c, const std::vector<char32_t>& text) {
  FT_Pos advance = layout_text(c.face, text, false, [](FT_GlyphSlot, FT_Pos) {});
  return clamp_to_int(2 * static_cast<int64_t>(padding(c.box_height)) + ((advance + 63) >> 6));
}

// Coverage (0..255) of bitmap pixel (col, row), for the anti-aliased gray bitmaps FreeType renders by default and the
// 1-bit ones a font's embedded bitmaps may give.
int coverage(const FT_Bitmap& bitmap, unsigned col, unsigned row) {
  const unsigned char* line = bitmap.buffer + static_cast<ptrdiff_t>(row) * bitmap.pitch;
  if (bitmap.pixel_mode == FT_PIXEL_MODE_MONO) return (line[col >> 3] >> (7 - (col & 7))) & 1 ? 255 : 0;
  if (bitmap.pixel_mode != FT_PIXEL_MODE_GRAY) return 0;
  int grays = std::max<int>(bitmap.num_grays, 2);
  return grays == 256 ? line[col] : line[col] * 255 / (grays - 1);
}

}  // namespace

bool text_rendering_available() {
  FontCache& c = font_cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  return ensure_font(c);
}

int measure_text(std::string_view text, int pixel_height) {
  if (text.empty() || pixel_height <= 0) return 0;
  std::vector<char32_t> code_points = decode_utf8(text);
  FontCache& c = font_cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  if (!ensure_font(c) || !size_face(c, std::min(pixel_height, kMaxPixelHeight))) return 0;
  return text_width(c, code_points);
}

int draw_text(Image& image, int x, int y, std::string_view text, Color fg, Color bg, int pixel_height) {
  if (text.empty() || pixel_height <= 0 || !is_drawable(image)) return 0;
  int box_height = std::min(pixel_height, kMaxPixelHeight);
  std::vector<char32_t> code_points = decode_utf8(text);
  FontCache& c = font_cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  if (!ensure_font(c) || !size_face(c, box_height)) return 0;
  int width = text_width(c, code_points);

  // The box, and the glyphs clipped to it, in image coordinates (64-bit: x and y may be anywhere in int's range).
  int64_t box_x1 = x, box_y1 = y;
  int64_t box_x2 = box_x1 + width - 1, box_y2 = box_y1 + box_height - 1;
  fill_rect(image, clamp_to_int(box_x1), clamp_to_int(box_y1), clamp_to_int(box_x2), clamp_to_int(box_y2), bg);
  int64_t clip_x1 = std::max<int64_t>(box_x1, 0), clip_x2 = std::min<int64_t>(box_x2, image.width - 1);
  int64_t clip_y1 = std::max<int64_t>(box_y1, 0), clip_y2 = std::min<int64_t>(box_y2, image.height - 1);
  if (clip_x1 > clip_x2 || clip_y1 > clip_y2) return width;

  int64_t baseline = box_y1 + (box_height - c.line) / 2 + c.ascent;  // the line centred in the box
  int64_t origin_x = box_x1 + padding(box_height);
  layout_text(c.face, code_points, true, [&](FT_GlyphSlot slot, FT_Pos pen) {
    const FT_Bitmap& bitmap = slot->bitmap;
    int64_t left = origin_x + (pen >> 6) + slot->bitmap_left;
    int64_t top = baseline - slot->bitmap_top;
    for (unsigned row = 0; row < bitmap.rows; ++row) {
      int64_t py = top + row;
      if (py < clip_y1 || py > clip_y2) continue;
      uint8_t* dst_row = image.row(static_cast<int>(py));
      for (unsigned col = 0; col < bitmap.width; ++col) {
        int64_t px = left + col;
        if (px < clip_x1 || px > clip_x2) continue;
        int a = coverage(bitmap, col, row);
        if (a == 0) continue;
        uint8_t* p = dst_row + 3 * px;
        p[0] = static_cast<uint8_t>((p[0] * (255 - a) + fg.r * a + 127) / 255);
        p[1] = static_cast<uint8_t>((p[1] * (255 - a) + fg.g * a + 127) / 255);
        p[2] = static_cast<uint8_t>((p[2] * (255 - a) + fg.b * a + 127) / 255);
      }
    }
  });
  return width;
}

#else  // !EDGERUN_HAVE_FREETYPE

bool text_rendering_available() { return false; }
int measure_text(std::string_view, int) { return 0; }
int draw_text(Image&, int, int, std::string_view, Color, Color, int) { return 0; }

#endif

}  // namespace edgerun::vision
