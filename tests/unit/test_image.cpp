// Image decoding: round trips of images written here (PNG via libpng, JPEG via libjpeg, BMP by hand),
// and truncated / corrupt / oversized files, which must be errors and never crashes.
#include <gtest/gtest.h>

#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <jpeglib.h>
#include <png.h>
#include <zlib.h>

#include "edgerun/vision.h"
#include "test_data.h"

namespace edgerun::vision {
namespace {

using Bytes = std::vector<uint8_t>;

// A deterministic RGB test pattern with distinct channels: [h, w, 3].
Image make_pattern(int w, int h) {
  Image img;
  img.width = w;
  img.height = h;
  img.pixels.resize(static_cast<size_t>(w) * h * 3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      uint8_t* p = img.row(y) + 3 * x;
      p[0] = static_cast<uint8_t>(x * 255 / std::max(w - 1, 1));
      p[1] = static_cast<uint8_t>(y * 255 / std::max(h - 1, 1));
      p[2] = static_cast<uint8_t>((x * 7 + y * 13) % 256);
    }
  return img;
}

// ---- PNG writer (libpng) ----

void png_write_to_vector(png_structp png, png_bytep data, png_size_t n) {
  auto* out = static_cast<Bytes*>(png_get_io_ptr(png));
  out->insert(out->end(), data, data + n);
}
void png_flush_noop(png_structp) {}

// `rows` holds already-packed rows for the given color type and bit depth.
Bytes encode_png(int w, int h, int color_type, int bit_depth, const std::vector<Bytes>& rows,
                 const std::vector<png_color>& palette = {}, bool interlace = false) {
  Bytes out;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    ADD_FAILURE() << "libpng write failed";
    return {};
  }
  png_set_write_fn(png, &out, png_write_to_vector, png_flush_noop);
  png_set_IHDR(png, info, static_cast<png_uint_32>(w), static_cast<png_uint_32>(h), bit_depth, color_type,
               interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  if (!palette.empty()) png_set_PLTE(png, info, palette.data(), static_cast<int>(palette.size()));
  png_write_info(png, info);
  std::vector<png_bytep> ptrs;
  for (const Bytes& r : rows) ptrs.push_back(const_cast<png_bytep>(r.data()));
  png_write_image(png, ptrs.data());
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

Bytes encode_png_rgb(const Image& img, bool interlace = false) {
  std::vector<Bytes> rows;
  for (int y = 0; y < img.height; ++y) rows.emplace_back(img.row(y), img.row(y) + img.width * 3);
  return encode_png(img.width, img.height, PNG_COLOR_TYPE_RGB, 8, rows, {}, interlace);
}

// ---- JPEG writer (libjpeg) ----

Bytes make_test_jpeg(const Image& img, int quality, bool gray = false, bool progressive = false) {
  jpeg_compress_struct cinfo;
  jpeg_error_mgr err;
  cinfo.err = jpeg_std_error(&err);
  jpeg_create_compress(&cinfo);
  unsigned char* buf = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&cinfo, &buf, &size);
  cinfo.image_width = static_cast<JDIMENSION>(img.width);
  cinfo.image_height = static_cast<JDIMENSION>(img.height);
  cinfo.input_components = gray ? 1 : 3;
  cinfo.in_color_space = gray ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, quality, TRUE);
  if (!gray) {  // 4:4:4, so that quality 100 stays close to the source
    for (int c = 0; c < 3; ++c) cinfo.comp_info[c].h_samp_factor = cinfo.comp_info[c].v_samp_factor = 1;
  }
  if (progressive) jpeg_simple_progression(&cinfo);
  jpeg_start_compress(&cinfo, TRUE);
  Bytes row(static_cast<size_t>(img.width) * 3);
  while (cinfo.next_scanline < cinfo.image_height) {
    const uint8_t* src = img.row(static_cast<int>(cinfo.next_scanline));
    if (gray) {
      for (int x = 0; x < img.width; ++x) row[static_cast<size_t>(x)] = src[3 * x];
    } else {
      std::memcpy(row.data(), src, row.size());
    }
    JSAMPROW r = row.data();
    jpeg_write_scanlines(&cinfo, &r, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  Bytes out(buf, buf + size);
  std::free(buf);
  return out;
}

// ---- BMP writer (by hand) ----

void put_u16(Bytes& b, size_t at, uint32_t v) {
  b[at] = static_cast<uint8_t>(v);
  b[at + 1] = static_cast<uint8_t>(v >> 8);
}
void put_u32(Bytes& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + static_cast<size_t>(i)] = static_cast<uint8_t>(v >> (8 * i));
}

// 40-byte BITMAPINFOHEADER; `pixel_rows` are the stored rows (already padded), in file order.
Bytes make_bmp(int w, int h_field, int bpp, const std::vector<Bytes>& pixel_rows, const std::vector<uint32_t>& extra,
               uint32_t compression = 0, uint32_t colors_used = 0) {
  size_t extra_bytes = extra.size() * 4;
  size_t offset = 14 + 40 + extra_bytes;
  size_t pixel_size = 0;
  for (const Bytes& r : pixel_rows) pixel_size += r.size();
  Bytes b(offset + pixel_size, 0);
  b[0] = 'B', b[1] = 'M';
  put_u32(b, 2, static_cast<uint32_t>(b.size()));
  put_u32(b, 10, static_cast<uint32_t>(offset));
  put_u32(b, 14, 40);
  put_u32(b, 18, static_cast<uint32_t>(w));
  put_u32(b, 22, static_cast<uint32_t>(h_field));
  put_u16(b, 26, 1);
  put_u16(b, 28, static_cast<uint32_t>(bpp));
  put_u32(b, 30, compression);
  put_u32(b, 34, static_cast<uint32_t>(pixel_size));
  put_u32(b, 46, colors_used);
  for (size_t i = 0; i < extra.size(); ++i) put_u32(b, 54 + 4 * i, extra[i]);
  size_t at = offset;
  for (const Bytes& r : pixel_rows) {
    std::memcpy(b.data() + at, r.data(), r.size());
    at += r.size();
  }
  return b;
}

Bytes bmp24(const Image& img, bool top_down) {
  size_t stride = (static_cast<size_t>(img.width) * 3 + 3) / 4 * 4;
  std::vector<Bytes> rows;
  for (int i = 0; i < img.height; ++i) {
    int y = top_down ? i : img.height - 1 - i;
    Bytes r(stride, 0xEE);  // padding bytes must be ignored
    for (int x = 0; x < img.width; ++x) {
      const uint8_t* p = img.row(y) + 3 * x;
      r[3 * static_cast<size_t>(x)] = p[2], r[3 * static_cast<size_t>(x) + 1] = p[1],
            r[3 * static_cast<size_t>(x) + 2] = p[0];
    }
    rows.push_back(r);
  }
  return make_bmp(img.width, top_down ? -img.height : img.height, 24, rows, {});
}

void expect_same_image(const Image& a, const Image& b) {
  ASSERT_EQ(a.width, b.width);
  ASSERT_EQ(a.height, b.height);
  ASSERT_EQ(a.channels, 3);
  ASSERT_EQ(b.channels, 3);
  ASSERT_EQ(a.pixels.size(), b.pixels.size());
  for (size_t i = 0; i < a.pixels.size(); ++i)
    ASSERT_EQ(a.pixels[i], b.pixels[i]) << "byte " << i << " (pixel " << i / 3 << ", channel " << i % 3 << ")";
}

Expected<Image> decode(const Bytes& b, const DecodeLimits& limits = {}) {
  return decode_image(b.data(), b.size(), limits);
}

// ---- format detection ----

TEST(ImageDecode, DetectsFormatsByMagicBytes) {
  Image img = make_pattern(4, 3);
  Bytes png = encode_png_rgb(img), jpg = make_test_jpeg(img, 90), bmp = bmp24(img, false);
  EXPECT_EQ(detect_image_format(png.data(), png.size()), ImageFormat::kPng);
  EXPECT_EQ(detect_image_format(jpg.data(), jpg.size()), ImageFormat::kJpeg);
  EXPECT_EQ(detect_image_format(bmp.data(), bmp.size()), ImageFormat::kBmp);
  const char text[] = "hello, this is not an image\n";
  EXPECT_EQ(detect_image_format(reinterpret_cast<const uint8_t*>(text), sizeof(text)), ImageFormat::kUnknown);
  EXPECT_EQ(detect_image_format(nullptr, 0), ImageFormat::kUnknown);
}

TEST(ImageDecode, TextAndEmptyInputsAreErrors) {
  const std::string text = "name,value\n1,2\n";
  auto r = decode_image(reinterpret_cast<const uint8_t*>(text.data()), text.size());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "not a JPEG, PNG or BMP file");
  EXPECT_FALSE(decode_image(nullptr, 0).ok());
  Bytes magic_only = {0xFF, 0xD8, 0xFF};
  EXPECT_FALSE(decode(magic_only).ok());
  Bytes bm = {'B', 'M'};
  EXPECT_FALSE(decode(bm).ok());
}

// ---- PNG ----

TEST(ImageDecode, PngRgbRoundTripIsExact) {
  Image img = make_pattern(37, 23);
  auto r = decode(encode_png_rgb(img));
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  expect_same_image(*r, img);
}

TEST(ImageDecode, PngInterlacedRoundTripIsExact) {
  Image img = make_pattern(19, 11);
  auto r = decode(encode_png_rgb(img, /*interlace=*/true));
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  expect_same_image(*r, img);
}

TEST(ImageDecode, PngRgbaDropsAlpha) {
  Image img = make_pattern(9, 5);
  std::vector<Bytes> rows;
  for (int y = 0; y < img.height; ++y) {
    Bytes r;
    for (int x = 0; x < img.width; ++x) {
      const uint8_t* p = img.row(y) + 3 * x;
      r.insert(r.end(), {p[0], p[1], p[2], static_cast<uint8_t>(x * 20)});
    }
    rows.push_back(r);
  }
  auto r = decode(encode_png(img.width, img.height, PNG_COLOR_TYPE_RGBA, 8, rows));
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  expect_same_image(*r, img);
}

TEST(ImageDecode, PngGrayBecomesRgb) {
  std::vector<Bytes> rows = {{0, 10, 200}, {255, 128, 1}};
  auto r = decode(encode_png(3, 2, PNG_COLOR_TYPE_GRAY, 8, rows));
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ(r->width, 3);
  ASSERT_EQ(r->height, 2);
  const uint8_t want[6] = {0, 10, 200, 255, 128, 1};
  for (int i = 0; i < 6; ++i)
    for (int c = 0; c < 3; ++c) EXPECT_EQ(r->pixels[static_cast<size_t>(3 * i + c)], want[i]);
}

TEST(ImageDecode, PngGrayOneBitExpandsTo0And255) {
  std::vector<Bytes> rows = {{0b10100000}};  // 3 pixels: 1, 0, 1
  auto r = decode(encode_png(3, 1, PNG_COLOR_TYPE_GRAY, 1, rows));
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->pixels, (Bytes{255, 255, 255, 0, 0, 0, 255, 255, 255}));
}

TEST(ImageDecode, PngPaletteBecomesRgb) {
  std::vector<png_color> palette = {{10, 20, 30}, {200, 100, 50}, {1, 2, 3}};
  std::vector<Bytes> rows = {{2, 0}, {1, 1}};
  auto r = decode(encode_png(2, 2, PNG_COLOR_TYPE_PALETTE, 8, rows, palette));
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->pixels, (Bytes{1, 2, 3, 10, 20, 30, 200, 100, 50, 200, 100, 50}));
}

TEST(ImageDecode, Png16BitKeepsHighByte) {
  // Two pixels, big-endian 16-bit samples: (0x1234, 0xABCD, 0xFF00) and (0x00FF, 0x8000, 0x7FFF).
  std::vector<Bytes> rows = {{0x12, 0x34, 0xAB, 0xCD, 0xFF, 0x00, 0x00, 0xFF, 0x80, 0x00, 0x7F, 0xFF}};
  auto r = decode(encode_png(2, 1, PNG_COLOR_TYPE_RGB, 16, rows));
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->pixels, (Bytes{0x12, 0xAB, 0xFF, 0x00, 0x80, 0x7F}));
}

TEST(ImageDecode, TruncatedPngIsAnErrorAtEveryLength) {
  Bytes png = encode_png_rgb(make_pattern(16, 16));
  for (size_t n = 0; n < png.size() - 12; ++n) {  // the last 12 bytes are the IEND chunk, which is not needed
    auto r = decode_image(png.data(), n);
    EXPECT_FALSE(r.ok()) << "decoding the first " << n << " of " << png.size() << " bytes succeeded";
  }
}

TEST(ImageDecode, CorruptPngChecksumIsAnError) {
  Bytes png = encode_png_rgb(make_pattern(16, 16));
  png[png.size() - 20] ^= 0x55;  // inside the IDAT chunk: its CRC no longer matches
  auto r = decode(png);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("PNG"), std::string::npos) << r.status().message();
}

TEST(ImageDecode, PngOverTheSizeLimitIsRefusedBeforeDecoding) {
  Bytes png = encode_png_rgb(make_pattern(40, 30));
  DecodeLimits small;
  small.max_dim = 32;
  EXPECT_FALSE(decode(png, small).ok());
  small.max_dim = 64;
  small.max_pixels = 1000;
  auto r = decode(png, small);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("limit"), std::string::npos) << r.status().message();
  // A valid header (CRC fixed) claiming 100000 x 100000 pixels must be refused, not allocated.
  Bytes huge = encode_png_rgb(make_pattern(2, 2));
  for (size_t at : {size_t{16}, size_t{20}}) {  // IHDR width, height (big-endian)
    huge[at] = 0x00, huge[at + 1] = 0x01, huge[at + 2] = 0x86, huge[at + 3] = 0xA0;
  }
  uint32_t crc = static_cast<uint32_t>(crc32(0, huge.data() + 12, 17));  // over "IHDR" + 13 data bytes
  for (int i = 0; i < 4; ++i) huge[29 + static_cast<size_t>(i)] = static_cast<uint8_t>(crc >> (24 - 8 * i));
  auto h = decode(huge);
  ASSERT_FALSE(h.ok());
  EXPECT_NE(h.status().message().find("limit"), std::string::npos) << h.status().message();
}

// ---- JPEG ----

TEST(ImageDecode, JpegRoundTripIsClose) {
  Image img = make_pattern(48, 32);
  auto r = decode(make_test_jpeg(img, 100));
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ(r->width, 48);
  ASSERT_EQ(r->height, 32);
  int max_diff = 0;
  for (size_t i = 0; i < img.pixels.size(); ++i)
    max_diff = std::max(max_diff, std::abs(int(img.pixels[i]) - int(r->pixels[i])));
  EXPECT_LE(max_diff, 12);  // quality 100, 4:4:4: only DCT rounding on a sharp-edged channel
}

TEST(ImageDecode, ProgressiveJpegDecodes) {
  Image img = make_pattern(33, 17);
  auto base = decode(make_test_jpeg(img, 95));
  auto prog = decode(make_test_jpeg(img, 95, false, true));
  ASSERT_TRUE(base.ok() && prog.ok());
  expect_same_image(*prog, *base);  // same coefficients, same pixels
}

TEST(ImageDecode, GrayJpegBecomesRgb) {
  Image img = make_pattern(16, 8);
  auto r = decode(make_test_jpeg(img, 100, /*gray=*/true));
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  for (int y = 0; y < 8; ++y)
    for (int x = 0; x < 16; ++x) {
      const uint8_t* p = r->row(y) + 3 * x;
      EXPECT_EQ(p[0], p[1]);
      EXPECT_EQ(p[1], p[2]);
      EXPECT_NEAR(p[0], img.row(y)[3 * x], 3);
    }
}

TEST(ImageDecode, TruncatedJpegIsAnError) {
  Bytes jpg = make_test_jpeg(make_pattern(64, 64), 90);
  for (size_t n : {size_t{2}, size_t{20}, size_t{200}, jpg.size() / 2, jpg.size() - 100}) {
    auto r = decode_image(jpg.data(), n);
    EXPECT_FALSE(r.ok()) << "decoding the first " << n << " of " << jpg.size() << " bytes succeeded";
  }
}

TEST(ImageDecode, CorruptJpegHeaderIsAnErrorWithLibjpegsReason) {
  Bytes jpg = make_test_jpeg(make_pattern(8, 8), 90);
  // Overwrite everything after SOI with garbage that is not a marker.
  for (size_t i = 2; i < 64 && i < jpg.size(); ++i) jpg[i] = 0x00;
  auto r = decode(jpg);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("JPEG"), std::string::npos) << r.status().message();
}

TEST(ImageDecode, JpegOverTheSizeLimitIsRefused) {
  Bytes jpg = make_test_jpeg(make_pattern(64, 40), 90);
  DecodeLimits small;
  small.max_dim = 50;
  auto r = decode(jpg, small);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("limit"), std::string::npos);
}

// ---- BMP ----

TEST(ImageDecode, Bmp24BottomUpAndTopDownRoundTrip) {
  Image img = make_pattern(5, 3);  // 15-byte rows, padded to 16
  auto bu = decode(bmp24(img, false));
  ASSERT_TRUE(bu.ok()) << bu.status().to_string();
  expect_same_image(*bu, img);
  auto td = decode(bmp24(img, true));
  ASSERT_TRUE(td.ok()) << td.status().to_string();
  expect_same_image(*td, img);
}

TEST(ImageDecode, Bmp32IgnoresTheFourthByte) {
  // 2x1, BGRX
  std::vector<Bytes> rows = {{30, 20, 10, 0xFF, 3, 2, 1, 0x00}};
  auto r = decode(make_bmp(2, 1, 32, rows, {}));
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->pixels, (Bytes{10, 20, 30, 1, 2, 3}));
}

TEST(ImageDecode, Bmp16BitfieldsRgb565) {
  // masks R 0xF800, G 0x07E0, B 0x001F. Pixel 0: pure red (0xF800); pixel 1: G = 32/63, B = 31/31.
  uint16_t p0 = 0xF800, p1 = static_cast<uint16_t>(32 << 5 | 31);
  std::vector<Bytes> rows = {{static_cast<uint8_t>(p0), static_cast<uint8_t>(p0 >> 8), static_cast<uint8_t>(p1),
                              static_cast<uint8_t>(p1 >> 8)}};
  auto r = decode(make_bmp(2, 1, 16, rows, {0xF800, 0x07E0, 0x001F}, /*BI_BITFIELDS*/ 3));
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->pixels, (Bytes{255, 0, 0, 0, static_cast<uint8_t>((32 * 255 + 31) / 63), 255}));
}

TEST(ImageDecode, Bmp8BitPalette) {
  // palette entries are BGRX
  std::vector<uint32_t> palette = {0x00102030, 0x00A0B0C0, 0x00010203};
  std::vector<Bytes> rows = {{2, 0, 1, 0}, {1, 1, 0, 0}};  // bottom-up: file row 0 = image row 1; 3 px + pad
  auto r = decode(make_bmp(3, 2, 8, rows, palette, 0, 3));
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->pixels, (Bytes{0xA0, 0xB0, 0xC0, 0xA0, 0xB0, 0xC0, 0x10, 0x20, 0x30,  // image row 0 = file row 1
                              0x01, 0x02, 0x03, 0x10, 0x20, 0x30, 0xA0, 0xB0, 0xC0}));
}

TEST(ImageDecode, Bmp1And4BitPalettes) {
  std::vector<uint32_t> pal2 = {0x00000000, 0x00FFFFFF};
  auto one = decode(make_bmp(3, 1, 1, {{0b10100000, 0, 0, 0}}, pal2, 0, 2));
  ASSERT_TRUE(one.ok()) << one.status().to_string();
  EXPECT_EQ(one->pixels, (Bytes{255, 255, 255, 0, 0, 0, 255, 255, 255}));
  std::vector<uint32_t> pal16(16, 0);
  pal16[3] = 0x00030303, pal16[12] = 0x000C0C0C;
  auto four = decode(make_bmp(3, 1, 4, {{0x3C, 0x30, 0, 0}}, pal16, 0, 16));
  ASSERT_TRUE(four.ok()) << four.status().to_string();
  EXPECT_EQ(four->pixels, (Bytes{3, 3, 3, 12, 12, 12, 3, 3, 3}));
}

TEST(ImageDecode, BmpHeaderLiesAreErrors) {
  Image img = make_pattern(5, 3);
  Bytes good = bmp24(img, false);
  ASSERT_TRUE(decode(good).ok());
  {  // pixel data shorter than width * height needs
    Bytes b = good;
    b.resize(b.size() - 1);
    EXPECT_FALSE(decode(b).ok());
  }
  {  // height claims more rows than the file holds
    Bytes b = good;
    put_u32(b, 22, 4);
    EXPECT_FALSE(decode(b).ok());
  }
  {  // pixel offset past the end
    Bytes b = good;
    put_u32(b, 10, 0xFFFFFFF0u);
    EXPECT_FALSE(decode(b).ok());
  }
  {  // absurd dimensions (would be 64 GB): refused by the limit, not allocated
    Bytes b = good;
    put_u32(b, 18, 0x7FFFFFFF);
    put_u32(b, 22, 0x7FFFFFFF);
    auto r = decode(b);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("limit"), std::string::npos) << r.status().message();
  }
  {  // INT32_MIN height (negating it overflows int32)
    Bytes b = good;
    put_u32(b, 22, 0x80000000u);
    EXPECT_FALSE(decode(b).ok());
  }
  {  // zero width
    Bytes b = good;
    put_u32(b, 18, 0);
    EXPECT_FALSE(decode(b).ok());
  }
  {  // unknown header size, odd bit depth, RLE
    Bytes b = good;
    put_u32(b, 14, 41);
    EXPECT_FALSE(decode(b).ok());
    b = good;
    put_u16(b, 28, 7);
    EXPECT_FALSE(decode(b).ok());
    b = good;
    put_u32(b, 30, 1);
    EXPECT_FALSE(decode(b).ok());
  }
  {  // palette larger than the bit depth allows
    auto r = decode(make_bmp(1, 1, 1, {{0, 0, 0, 0}}, {0, 0, 0}, 0, 3));
    EXPECT_FALSE(r.ok());
  }
  for (size_t n = 0; n < good.size(); ++n) EXPECT_FALSE(decode_image(good.data(), n).ok()) << n;
}

// ---- robustness: random corruption never crashes ----

TEST(ImageDecode, RandomCorruptionNeverCrashes) {
  Image img = make_pattern(24, 16);
  std::vector<Bytes> seeds = {encode_png_rgb(img), encode_png_rgb(img, true), make_test_jpeg(img, 80),
                              make_test_jpeg(img, 80, false, true), bmp24(img, false)};
  std::mt19937 rng(1234);
  int decoded = 0, failed = 0;
  for (const Bytes& seed : seeds) {
    for (int iter = 0; iter < 300; ++iter) {
      Bytes b = seed;
      int flips = 1 + static_cast<int>(rng() % 8);
      for (int f = 0; f < flips; ++f) b[rng() % b.size()] = static_cast<uint8_t>(rng());
      if (rng() % 4 == 0) b.resize(rng() % b.size());
      auto r = decode(b);
      if (r.ok()) {
        ++decoded;
        EXPECT_EQ(r->pixels.size(), static_cast<size_t>(r->width) * r->height * 3);
      } else {
        ++failed;
        EXPECT_FALSE(r.status().message().empty());
      }
    }
  }
  EXPECT_GT(failed, 0);
  EXPECT_EQ(decoded + failed, 5 * 300);
}

// ---- files ----

TEST(ImageDecode, MissingFileIsNotFound) {
  auto r = decode_image_file("/nonexistent/dir/image.jpg");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
}

TEST(ImageDecode, SharedSampleImagesDecode) {
  std::string bmp = edgerun::testing::model_path("images/misc/grace_hopper.bmp");
  std::string jpg = edgerun::testing::model_path("images/imagenet-samples/n01440764_tench.JPEG");
  EDGERUN_REQUIRE_DATA(bmp);
  EDGERUN_REQUIRE_DATA(jpg);
  auto a = decode_image_file(bmp);
  ASSERT_TRUE(a.ok()) << a.status().to_string();
  EXPECT_EQ(a->width, 512);
  EXPECT_EQ(a->height, 600);
  auto b = decode_image_file(jpg);
  ASSERT_TRUE(b.ok()) << b.status().to_string();
  EXPECT_EQ(b->width, 500);
  EXPECT_EQ(b->height, 375);
}

}  // namespace
}  // namespace edgerun::vision
