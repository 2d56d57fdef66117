// JPEG via libjpeg-turbo. libjpeg's default error handler calls exit(); ours longjmps back to decode_jpeg so a
// corrupt file becomes a Status. Everything touched after setjmp lives in a heap-allocated state object, so no
// automatic variable needs to survive the longjmp.
#include <csetjmp>
#include <cstdio>
#include <memory>

#include <jerror.h>
#include <jpeglib.h>

#include "vision/image.h"

namespace edgerun::vision {
namespace {

struct JpegState {
  jpeg_decompress_struct cinfo{};
  jpeg_error_mgr err{};
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX] = {0};
  bool premature_end = false;  // the data ended before the image did (libjpeg pads with gray and warns)
  bool created = false;
  Image image;
  std::vector<uint8_t> cmyk_row;  // [width, 4] when the file is CMYK/YCCK
};

void on_error_exit(j_common_ptr cinfo) {
  auto* state = static_cast<JpegState*>(cinfo->client_data);
  (*cinfo->err->format_message)(cinfo, state->message);
  std::longjmp(state->jump, 1);
}

void on_emit_message(j_common_ptr cinfo, int msg_level) {
  if (msg_level >= 0) return;  // trace messages
  auto* state = static_cast<JpegState*>(cinfo->client_data);
  cinfo->err->num_warnings++;
  if (cinfo->err->msg_code == JWRN_JPEG_EOF) state->premature_end = true;
}

// Adobe writes CMYK JPEGs inverted (0 = full ink); this is the usual naive conversion of such data.
void cmyk_to_rgb(const uint8_t* cmyk, uint8_t* rgb, int width, bool adobe_inverted) {
  for (int x = 0; x < width; ++x) {
    int c = cmyk[4 * x], m = cmyk[4 * x + 1], y = cmyk[4 * x + 2], k = cmyk[4 * x + 3];
    if (!adobe_inverted) c = 255 - c, m = 255 - m, y = 255 - y, k = 255 - k;
    rgb[3 * x] = static_cast<uint8_t>((c * k + 127) / 255);
    rgb[3 * x + 1] = static_cast<uint8_t>((m * k + 127) / 255);
    rgb[3 * x + 2] = static_cast<uint8_t>((y * k + 127) / 255);
  }
}

}  // namespace

Expected<Image> decode_jpeg(const uint8_t* data, size_t size, const DecodeLimits& limits) {
  auto state = std::make_unique<JpegState>();
  JpegState* s = state.get();
  s->cinfo.err = jpeg_std_error(&s->err);
  s->err.error_exit = on_error_exit;
  s->err.emit_message = on_emit_message;
  s->cinfo.client_data = s;

  if (setjmp(s->jump)) {
    if (s->created) jpeg_destroy_decompress(&s->cinfo);
    return invalid_argument("corrupt JPEG: ", s->message);
  }
  jpeg_create_decompress(&s->cinfo);
  s->created = true;
  jpeg_mem_src(&s->cinfo, data, static_cast<unsigned long>(size));
  if (jpeg_read_header(&s->cinfo, TRUE) != JPEG_HEADER_OK) {
    jpeg_destroy_decompress(&s->cinfo);
    return invalid_argument("JPEG holds no image (tables only)");
  }

  Status st = check_image_size(s->cinfo.image_width, s->cinfo.image_height, limits);
  if (!st.ok()) {
    jpeg_destroy_decompress(&s->cinfo);
    return st;
  }
  bool cmyk = s->cinfo.jpeg_color_space == JCS_CMYK || s->cinfo.jpeg_color_space == JCS_YCCK;
  s->cinfo.out_color_space = cmyk ? JCS_CMYK : JCS_RGB;
  jpeg_start_decompress(&s->cinfo);
  int want_components = cmyk ? 4 : 3;
  if (s->cinfo.output_components != want_components) {
    jpeg_destroy_decompress(&s->cinfo);
    return unsupported("JPEG with ", s->cinfo.output_components, " output components");
  }
  int width = static_cast<int>(s->cinfo.output_width);
  s->image = make_rgb_image(width, static_cast<int>(s->cinfo.output_height));
  if (cmyk) s->cmyk_row.resize(static_cast<size_t>(width) * 4);
  while (s->cinfo.output_scanline < s->cinfo.output_height && !s->premature_end) {
    uint8_t* dst = s->image.row(static_cast<int>(s->cinfo.output_scanline));
    JSAMPROW row = cmyk ? s->cmyk_row.data() : dst;
    if (jpeg_read_scanlines(&s->cinfo, &row, 1) != 1) break;
    if (cmyk) cmyk_to_rgb(s->cmyk_row.data(), dst, width, s->cinfo.saw_Adobe_marker);
  }
  bool complete = s->cinfo.output_scanline == s->cinfo.output_height && !s->premature_end;
  if (complete) jpeg_finish_decompress(&s->cinfo);
  jpeg_destroy_decompress(&s->cinfo);
  if (!complete) return invalid_argument("truncated JPEG: the data ends before the image does");
  return std::move(s->image);
}

}  // namespace edgerun::vision
