// PNG via libpng's progressive-free read API with setjmp error handling. libpng's transforms turn every color
// type into RGB8: palette -> RGB, gray -> RGB, 1/2/4-bit -> 8-bit, 16-bit -> high byte, alpha dropped (as PIL's
// convert("RGB") does). State touched after setjmp lives on the heap (see jpeg_decode.cpp for why).
#include <csetjmp>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <png.h>

#include "vision/image.h"

namespace edgerun::vision {
namespace {

struct PngState {
  const uint8_t* data = nullptr;
  size_t size = 0;
  size_t pos = 0;
  std::string message;
  std::string warning;  // the first one: libpng often explains an error in a warning just before it
  png_structp png = nullptr;
  png_infop info = nullptr;
  Image image;
  std::vector<png_bytep> rows;  // [height] pointers into image.pixels
};

void on_error(png_structp png, png_const_charp msg) {
  auto* state = static_cast<PngState*>(png_get_error_ptr(png));
  state->message = msg ? msg : "unknown libpng error";
  png_longjmp(png, 1);
}

// Benign warnings (bad gamma, unknown chunks) are ignored as PIL does; the first is kept for error messages.
void on_warning(png_structp png, png_const_charp msg) {
  auto* state = static_cast<PngState*>(png_get_error_ptr(png));
  if (state->warning.empty() && msg) state->warning = msg;
}

void on_read(png_structp png, png_bytep out, png_size_t n) {
  auto* state = static_cast<PngState*>(png_get_io_ptr(png));
  if (n > state->size - state->pos) png_error(png, "truncated PNG: the data ends before the image does");
  std::memcpy(out, state->data + state->pos, n);
  state->pos += n;
}

}  // namespace

Expected<Image> decode_png(const uint8_t* data, size_t size, const DecodeLimits& limits) {
  auto state = std::make_unique<PngState>();
  PngState* s = state.get();
  s->data = data;
  s->size = size;
  s->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, s, on_error, on_warning);
  if (!s->png) return internal_error("libpng: cannot create read struct");
  s->info = png_create_info_struct(s->png);
  if (!s->info) {
    png_destroy_read_struct(&s->png, nullptr, nullptr);
    return internal_error("libpng: cannot create info struct");
  }
  if (setjmp(png_jmpbuf(s->png))) {
    png_destroy_read_struct(&s->png, &s->info, nullptr);
    if (!s->warning.empty()) return invalid_argument("corrupt PNG: ", s->message, " (", s->warning, ")");
    return invalid_argument("corrupt PNG: ", s->message);
  }
  png_set_read_fn(s->png, s, on_read);
  // Size limits are checked below, after the header, with our own message; rows are allocated only after that.
  png_set_chunk_malloc_max(s->png, 64u << 20);  // ancillary chunks (iCCP, zTXt) can't balloon
  png_read_info(s->png, s->info);

  png_uint_32 width = png_get_image_width(s->png, s->info);
  png_uint_32 height = png_get_image_height(s->png, s->info);
  Status st = check_image_size(width, height, limits);
  if (!st.ok()) {
    png_destroy_read_struct(&s->png, &s->info, nullptr);
    return st;
  }
  int color_type = png_get_color_type(s->png, s->info);
  int bit_depth = png_get_bit_depth(s->png, s->info);
  if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(s->png);
  if ((color_type & PNG_COLOR_MASK_COLOR) == 0 && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(s->png);
  if (bit_depth == 16) png_set_strip_16(s->png);
  if (color_type & PNG_COLOR_MASK_ALPHA) png_set_strip_alpha(s->png);
  if ((color_type & PNG_COLOR_MASK_COLOR) == 0) png_set_gray_to_rgb(s->png);
  png_set_interlace_handling(s->png);
  png_read_update_info(s->png, s->info);
  if (png_get_rowbytes(s->png, s->info) != static_cast<size_t>(width) * 3) {
    png_destroy_read_struct(&s->png, &s->info, nullptr);
    return unsupported("PNG color type ", color_type, " at ", bit_depth, " bits did not convert to RGB8");
  }
  s->image = make_rgb_image(static_cast<int>(width), static_cast<int>(height));
  s->rows.resize(height);
  for (png_uint_32 y = 0; y < height; ++y) s->rows[y] = s->image.row(static_cast<int>(y));
  png_read_image(s->png, s->rows.data());
  png_destroy_read_struct(&s->png, &s->info, nullptr);
  return std::move(s->image);
}

}  // namespace edgerun::vision
