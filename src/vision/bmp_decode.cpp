// BMP: our own parser for the uncompressed forms (1/4/8-bit palette, 16/24/32-bit, BI_BITFIELDS masks),
// bottom-up and top-down. Every header field is checked against the file size before pixels are read.
#include <cstring>

#include "vision/image.h"

namespace edgerun::vision {
namespace {

uint16_t read_u16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | p[1] << 8); }
uint32_t read_u32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 | static_cast<uint32_t>(p[2]) << 16 |
         static_cast<uint32_t>(p[3]) << 24;
}

constexpr uint32_t kBiRgb = 0;
constexpr uint32_t kBiRle8 = 1;
constexpr uint32_t kBiRle4 = 2;
constexpr uint32_t kBiBitfields = 3;
constexpr uint32_t kBiAlphaBitfields = 6;

// One channel described by a bit mask (e.g. 0x00FF0000) -> 8-bit value.
struct MaskChannel {
  uint32_t mask = 0;
  int shift = 0;
  uint32_t max = 0;  // mask >> shift

  static MaskChannel from(uint32_t mask) {
    MaskChannel c;
    c.mask = mask;
    if (mask == 0) return c;
    while (((mask >> c.shift) & 1u) == 0) ++c.shift;
    c.max = mask >> c.shift;
    return c;
  }
  // A mask must be one contiguous run of bits.
  bool contiguous() const { return mask == 0 || (max & (max + 1)) == 0; }
  uint8_t extract(uint32_t px) const {
    if (max == 0) return 0;
    uint32_t v = (px & mask) >> shift;
    return static_cast<uint8_t>((v * 255 + max / 2) / max);
  }
};

}  // namespace

Expected<Image> decode_bmp(const uint8_t* data, size_t size, const DecodeLimits& limits) {
  if (size < 14 + 12) return invalid_argument("truncated BMP: ", size, " bytes is shorter than the headers");
  uint32_t pixel_offset = read_u32(data + 10);
  uint32_t header_size = read_u32(data + 14);
  // BITMAPCOREHEADER (12), BITMAPINFOHEADER (40), V2 (52), V3 (56), V4 (108), V5 (124).
  if (header_size != 12 && header_size != 40 && header_size != 52 && header_size != 56 && header_size != 108 &&
      header_size != 124)
    return invalid_argument("corrupt or unsupported BMP: unknown info header size ", header_size);
  if (14 + static_cast<size_t>(header_size) > size)
    return invalid_argument("truncated BMP: the ", header_size, "-byte info header runs past the end of the file");
  const uint8_t* h = data + 14;
  int64_t width, height;
  uint32_t bpp, compression = kBiRgb, colors_used = 0;
  size_t palette_entry = 4;
  if (header_size == 12) {  // OS/2 BITMAPCOREHEADER
    width = read_u16(h + 4);
    height = read_u16(h + 6);
    bpp = read_u16(h + 10);
    palette_entry = 3;
  } else {
    width = static_cast<int32_t>(read_u32(h + 4));
    height = static_cast<int32_t>(read_u32(h + 8));
    bpp = read_u16(h + 14);
    compression = read_u32(h + 16);
    colors_used = read_u32(h + 32);
  }
  bool top_down = height < 0;
  if (top_down) height = -height;
  ER_RETURN_IF_ERROR(check_image_size(width, height, limits));
  if (compression == kBiRle8 || compression == kBiRle4) return unsupported("RLE-compressed BMP is not supported");
  if (compression != kBiRgb && compression != kBiBitfields && compression != kBiAlphaBitfields)
    return unsupported("BMP compression type ", compression, " is not supported");
  if (bpp != 1 && bpp != 4 && bpp != 8 && bpp != 16 && bpp != 24 && bpp != 32)
    return invalid_argument("corrupt BMP: ", bpp, " bits per pixel");
  if (compression != kBiRgb && bpp != 16 && bpp != 32)
    return invalid_argument("corrupt BMP: bit-field masks with ", bpp, " bits per pixel");

  // Masks: in the V2+ header itself, or (for the 40-byte header) in the 12/16 bytes after it.
  MaskChannel red, green, blue;
  if (compression == kBiBitfields || compression == kBiAlphaBitfields) {
    const uint8_t* m = h + 40;
    if (header_size < 52) {
      size_t mask_bytes = compression == kBiAlphaBitfields ? 16 : 12;
      if (14 + 40 + mask_bytes > size) return invalid_argument("truncated BMP: color masks run past the end");
    }
    red = MaskChannel::from(read_u32(m));
    green = MaskChannel::from(read_u32(m + 4));
    blue = MaskChannel::from(read_u32(m + 8));
    if (!red.contiguous() || !green.contiguous() || !blue.contiguous())
      return invalid_argument("corrupt BMP: color masks are not contiguous bit runs");
  } else if (bpp == 16) {  // 5-5-5
    red = MaskChannel::from(0x7C00);
    green = MaskChannel::from(0x03E0);
    blue = MaskChannel::from(0x001F);
  }

  // Palette, right after the header (and the masks of a 40-byte BI_BITFIELDS header).
  uint8_t palette[256][3] = {};  // RGB
  if (bpp <= 8) {
    size_t max_colors = size_t{1} << bpp;
    size_t n = colors_used == 0 ? max_colors : colors_used;
    if (n > max_colors) return invalid_argument("corrupt BMP: ", n, " palette colors for ", bpp, "-bit pixels");
    size_t start = 14 + static_cast<size_t>(header_size);
    if (start + n * palette_entry > size) return invalid_argument("truncated BMP: the palette runs past the end");
    for (size_t i = 0; i < n; ++i) {
      const uint8_t* e = data + start + i * palette_entry;
      palette[i][0] = e[2];
      palette[i][1] = e[1];
      palette[i][2] = e[0];
    }
  }

  // Rows are padded to 4 bytes. width <= max_dim, so no overflow in 64 bits.
  size_t stride = (static_cast<size_t>(width) * bpp + 31) / 32 * 4;
  size_t pixel_bytes = stride * static_cast<size_t>(height);
  if (pixel_offset > size || pixel_bytes > size - pixel_offset)
    return invalid_argument("truncated BMP: ", width, "x", height, "x", bpp, "-bit pixels need ", pixel_bytes,
                            " bytes at offset ", pixel_offset, ", the file has ", size);

  Image img = make_rgb_image(static_cast<int>(width), static_cast<int>(height));
  for (int64_t y = 0; y < height; ++y) {
    const uint8_t* src = data + pixel_offset + stride * static_cast<size_t>(top_down ? y : height - 1 - y);
    uint8_t* dst = img.row(static_cast<int>(y));
    for (int64_t x = 0; x < width; ++x, dst += 3) {
      switch (bpp) {
        case 24:
          dst[0] = src[3 * x + 2], dst[1] = src[3 * x + 1], dst[2] = src[3 * x];
          break;
        case 32:
          if (compression == kBiRgb) {  // BGRX; the fourth byte is ignored, as PIL does
            dst[0] = src[4 * x + 2], dst[1] = src[4 * x + 1], dst[2] = src[4 * x];
          } else {
            uint32_t px = read_u32(src + 4 * x);
            dst[0] = red.extract(px), dst[1] = green.extract(px), dst[2] = blue.extract(px);
          }
          break;
        case 16: {
          uint32_t px = read_u16(src + 2 * x);
          dst[0] = red.extract(px), dst[1] = green.extract(px), dst[2] = blue.extract(px);
          break;
        }
        default: {  // 1, 4, 8-bit palette indices, most significant bits first
          size_t bit = static_cast<size_t>(x) * bpp;
          unsigned idx = (src[bit / 8] >> (8 - bpp - bit % 8)) & ((1u << bpp) - 1);
          std::memcpy(dst, palette[idx], 3);
          break;
        }
      }
    }
  }
  return img;
}

}  // namespace edgerun::vision
