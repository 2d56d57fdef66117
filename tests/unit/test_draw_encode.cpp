// Encoding (PNG exact, JPEG close, atomic file writes) and drawing (boxes, polygons, text, detection annotations).
// Drawing takes coordinates straight from model outputs, so the clipping tests feed it boxes outside the image, huge
// values, NaN and infinities; these also run under the asan-ubsan preset, where any stray write is caught.
#include <gtest/gtest.h>

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "edgerun/draw.h"
#include "edgerun/vision.h"

namespace edgerun::vision {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

Image make_image(int w, int h, uint8_t value = 0) {
  Image img;
  img.width = w;
  img.height = h;
  img.pixels.assign(static_cast<size_t>(w) * h * 3, value);
  return img;
}

// Smooth gradients with distinct channels: JPEG's error on them is small and predictable.
Image make_gradient(int w, int h) {
  Image img = make_image(w, h);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      uint8_t* p = img.row(y) + 3 * x;
      p[0] = static_cast<uint8_t>(x * 255 / (w - 1));
      p[1] = static_cast<uint8_t>(y * 255 / (h - 1));
      p[2] = static_cast<uint8_t>(128 + 100 * std::sin(0.1 * (x + y)));
    }
  return img;
}

Image make_noise(int w, int h, unsigned seed) {
  Image img = make_image(w, h);
  std::mt19937 rng(seed);
  for (uint8_t& v : img.pixels) v = static_cast<uint8_t>(rng() & 0xFF);
  return img;
}

Color pixel(const Image& img, int x, int y) {
  const uint8_t* p = img.row(y) + 3 * x;
  return {p[0], p[1], p[2]};
}

bool same(Color a, Color b) { return a.r == b.r && a.g == b.g && a.b == b.b; }

::testing::AssertionResult pixel_is(const Image& img, int x, int y, Color want) {
  Color got = pixel(img, x, y);
  if (same(got, want)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "pixel (" << x << ", " << y << ") is (" << int(got.r) << ", " << int(got.g)
                                       << ", " << int(got.b) << "), want (" << int(want.r) << ", " << int(want.g)
                                       << ", " << int(want.b) << ")";
}

// A fresh, empty folder under the test temp dir.
std::string make_temp_dir() {
  std::string tmpl = ::testing::TempDir() + "edgerun_draw_encode_XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  const char* dir = ::mkdtemp(buf.data());
  EXPECT_NE(dir, nullptr) << "mkdtemp(" << tmpl << ")";
  return dir ? std::string(dir) : std::string();
}

std::vector<std::string> list_dir(const std::string& dir) {
  std::vector<std::string> names;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name != "." && name != "..") names.push_back(name);
    }
    ::closedir(d);
  }
  std::sort(names.begin(), names.end());
  return names;
}

void remove_dir(const std::string& dir) {
  for (const std::string& name : list_dir(dir)) std::remove((dir + "/" + name).c_str());
  ::rmdir(dir.c_str());
}

// ---- Encoding ----

TEST(EncodePng, RoundTripIsExact) {
  for (auto [w, h] : {std::pair{1, 1}, std::pair{37, 23}, std::pair{128, 3}}) {
    Image img = make_noise(w, h, static_cast<unsigned>(w * 1000 + h));
    auto png = encode_png(img);
    ASSERT_TRUE(png.ok()) << png.status().to_string();
    ASSERT_EQ(detect_image_format(png->data(), png->size()), ImageFormat::kPng);
    auto back = decode_image(png->data(), png->size());
    ASSERT_TRUE(back.ok()) << back.status().to_string();
    EXPECT_EQ(back->width, w);
    EXPECT_EQ(back->height, h);
    EXPECT_EQ(back->pixels, img.pixels) << w << "x" << h;
  }
}

TEST(EncodePng, RejectsMalformedImages) {
  Image empty;
  auto r = encode_png(empty);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("invalid image size 0x0"), std::string::npos) << r.status().message();

  Image rgba = make_image(4, 4);
  rgba.channels = 4;
  rgba.pixels.resize(4 * 4 * 4);
  r = encode_png(rgba);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("3 channels"), std::string::npos) << r.status().message();

  Image short_buffer = make_image(4, 4);
  short_buffer.pixels.resize(10);
  r = encode_png(short_buffer);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("holds 10 bytes, expected 48"), std::string::npos) << r.status().message();
  EXPECT_FALSE(encode_jpeg(short_buffer, 90).ok());
}

double mean_abs_error(const Image& a, const Image& b) {
  double sum = 0;
  for (size_t i = 0; i < a.pixels.size(); ++i) sum += std::abs(int(a.pixels[i]) - int(b.pixels[i]));
  return sum / static_cast<double>(a.pixels.size());
}

TEST(EncodeJpeg, RoundTripIsClose) {
  Image img = make_gradient(67, 45);  // not a multiple of the 8x8 / 16x16 blocks
  auto jpg = encode_jpeg(img, 95);
  ASSERT_TRUE(jpg.ok()) << jpg.status().to_string();
  ASSERT_EQ(detect_image_format(jpg->data(), jpg->size()), ImageFormat::kJpeg);
  auto back = decode_image(jpg->data(), jpg->size());
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  ASSERT_EQ(back->width, 67);
  ASSERT_EQ(back->height, 45);
  EXPECT_LT(mean_abs_error(img, *back), 1.5);

  // Lower quality: smaller and less exact, but still the same picture.
  auto low = encode_jpeg(img, 10);
  ASSERT_TRUE(low.ok()) << low.status().to_string();
  EXPECT_LT(low->size(), jpg->size());
  auto low_back = decode_image(low->data(), low->size());
  ASSERT_TRUE(low_back.ok()) << low_back.status().to_string();
  EXPECT_GT(mean_abs_error(img, *low_back), mean_abs_error(img, *back));
  EXPECT_LT(mean_abs_error(img, *low_back), 20.0);
}

TEST(EncodeJpeg, LargeImageSpansManyOutputChunks) {
  Image img = make_noise(700, 500, 7);  // noise barely compresses: about 1 MB of output
  auto jpg = encode_jpeg(img, 100);
  ASSERT_TRUE(jpg.ok()) << jpg.status().to_string();
  EXPECT_GT(jpg->size(), 256u * 1024);
  auto back = decode_image(jpg->data(), jpg->size());
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  EXPECT_EQ(back->width, 700);
  EXPECT_EQ(back->height, 500);
  EXPECT_LT(mean_abs_error(img, *back), 8.0);
}

TEST(EncodeJpeg, QualityOutOfRangeIsAnError) {
  Image img = make_gradient(8, 8);
  for (int q : {0, -5, 101, 1000}) {
    auto r = encode_jpeg(img, q);
    ASSERT_FALSE(r.ok()) << "quality " << q;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find("quality must be 1..100, got " + std::to_string(q)), std::string::npos)
        << r.status().message();
  }
  EXPECT_TRUE(encode_jpeg(img, 1).ok());
  EXPECT_TRUE(encode_jpeg(img, 100).ok());
}

// ---- Files ----

TEST(WriteImageFile, PngAndJpegByExtension) {
  std::string dir = make_temp_dir();
  ASSERT_FALSE(dir.empty());
  Image img = make_gradient(50, 30);
  for (const char* name : {"a.png", "b.jpg", "c.jpeg", "D.PNG", "e.JpG"}) {
    std::string path = dir + "/" + name;
    ASSERT_TRUE(write_image_file(path, img, 95).ok()) << path;
    auto back = decode_image_file(path);
    ASSERT_TRUE(back.ok()) << path << ": " << back.status().to_string();
    EXPECT_EQ(back->width, 50);
    EXPECT_EQ(back->height, 30);
    std::string lower = name;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower.ends_with(".png")) {
      EXPECT_EQ(back->pixels, img.pixels) << path;
    } else {
      EXPECT_LT(mean_abs_error(img, *back), 1.5) << path;
    }
  }
  // Exactly the five images: no temporary file left behind.
  EXPECT_EQ(list_dir(dir), (std::vector<std::string>{"D.PNG", "a.png", "b.jpg", "c.jpeg", "e.JpG"}));
  remove_dir(dir);
}

TEST(WriteImageFile, ReplacesAnExistingFile) {
  std::string dir = make_temp_dir();
  ASSERT_FALSE(dir.empty());
  std::string path = dir + "/snap.png";
  ASSERT_TRUE(write_image_file(path, make_image(10, 10, 0)).ok());
  ASSERT_TRUE(write_image_file(path, make_image(12, 8, 200)).ok());
  auto back = decode_image_file(path);
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  EXPECT_EQ(back->width, 12);
  EXPECT_EQ(back->pixels, make_image(12, 8, 200).pixels);
  EXPECT_EQ(list_dir(dir), std::vector<std::string>{"snap.png"});
  remove_dir(dir);
}

TEST(WriteImageFile, LongestFileNameWorks) {
  std::string dir = make_temp_dir();
  ASSERT_FALSE(dir.empty());
  std::string name = std::string(251, 'n') + ".png";  // 255 bytes, NAME_MAX on Linux file systems
  ASSERT_TRUE(write_image_file(dir + "/" + name, make_image(3, 3)).ok());
  EXPECT_EQ(list_dir(dir), std::vector<std::string>{name});
  remove_dir(dir);
}

TEST(WriteImageFile, UnknownOrMissingExtensionIsAnError) {
  std::string dir = make_temp_dir();
  ASSERT_FALSE(dir.empty());
  Image img = make_image(4, 4);
  Status st = write_image_file(dir + "/out.bmp", img);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("unknown image extension '.bmp'"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find(dir + "/out.bmp"), std::string::npos) << st.message();

  st = write_image_file(dir + "/noext", img);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("no file extension"), std::string::npos) << st.message();
  // A dot in a folder name is not an extension.
  st = write_image_file(dir + "/x.png/noext", img);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("no file extension"), std::string::npos) << st.message();

  EXPECT_FALSE(write_image_file("", img).ok());
  EXPECT_FALSE(write_image_file(dir + "/bad.jpg", img, 0).ok());  // quality checked too
  EXPECT_FALSE(write_image_file(dir + "/empty.png", Image{}).ok());
  EXPECT_TRUE(list_dir(dir).empty()) << "nothing is written on error";
  remove_dir(dir);
}

TEST(WriteImageFile, UnwritableFolderIsAnErrorNamingThePath) {
  Image img = make_image(4, 4);
  std::string dir = make_temp_dir();
  ASSERT_FALSE(dir.empty());
  std::string path = dir + "/no/such/folder/x.png";
  Status st = write_image_file(path, img);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kIoError);
  EXPECT_NE(st.message().find(path), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("No such file or directory"), std::string::npos) << st.message();

  // The target is a folder: the rename fails, and the temporary file is cleaned up.
  ASSERT_EQ(::mkdir((dir + "/sub.png").c_str(), 0755), 0);
  st = write_image_file(dir + "/sub.png", img);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find(dir + "/sub.png"), std::string::npos) << st.message();
  EXPECT_EQ(list_dir(dir), std::vector<std::string>{"sub.png"});
  ::rmdir((dir + "/sub.png").c_str());

  // A read-only folder (root ignores permissions, so only checked as another user).
  if (::geteuid() != 0) {
    ASSERT_EQ(::chmod(dir.c_str(), 0555), 0);
    st = write_image_file(dir + "/x.jpg", img);
    ::chmod(dir.c_str(), 0755);
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.message().find(dir + "/x.jpg"), std::string::npos) << st.message();
    EXPECT_NE(st.message().find("Permission denied"), std::string::npos) << st.message();
  }
  remove_dir(dir);
}

// ---- Shapes ----

TEST(Palette, DistinctAndCycled) {
  for (int i = 0; i < 10; ++i)
    for (int j = i + 1; j < 10; ++j) EXPECT_FALSE(same(palette_color(i), palette_color(j))) << i << " vs " << j;
  int period = 0;
  for (int p = 2; p <= 256 && period == 0; ++p)
    if (same(palette_color(p), palette_color(0)) && same(palette_color(p + 1), palette_color(1))) period = p;
  ASSERT_GT(period, 0) << "palette does not cycle";
  for (int i = -3 * period; i < 3 * period; ++i) EXPECT_TRUE(same(palette_color(i), palette_color(i + period))) << i;
  palette_color(INT_MIN);
  palette_color(INT_MAX);
}

TEST(DrawRect, BorderSetInteriorAndOutsideUntouched) {
  for (int thickness : {1, 2, 3}) {
    Image img = make_image(40, 30);
    Color red{255, 0, 0};
    draw_rect(img, Box{5, 6, 20, 18}, red, thickness);
    for (int y = 0; y < 30; ++y)
      for (int x = 0; x < 40; ++x) {
        bool in_box = x >= 5 && x <= 20 && y >= 6 && y <= 18;
        bool in_interior = x >= 5 + thickness && x <= 20 - thickness && y >= 6 + thickness && y <= 18 - thickness;
        Color want = in_box && !in_interior ? red : Color{0, 0, 0};
        ASSERT_TRUE(pixel_is(img, x, y, want)) << "thickness " << thickness;
      }
  }
}

TEST(DrawRect, RoundsAndOrdersCoordinates) {
  Image a = make_image(30, 30), b = make_image(30, 30);
  draw_rect(a, Box{4.6f, 5.4f, 19.5f, 20.2f}, {0, 255, 0}, 2);
  draw_rect(b, Box{19.5f, 20.2f, 4.6f, 5.4f}, {0, 255, 0}, 2);  // corners swapped
  EXPECT_EQ(a.pixels, b.pixels);
  EXPECT_TRUE(pixel_is(a, 5, 5, {0, 255, 0}));
  EXPECT_TRUE(pixel_is(a, 20, 20, {0, 255, 0}));
  EXPECT_TRUE(pixel_is(a, 4, 4, {0, 0, 0}));
  EXPECT_TRUE(pixel_is(a, 21, 21, {0, 0, 0}));
  // Thickness below 1 draws a 1-pixel outline.
  Image c = make_image(30, 30), d = make_image(30, 30);
  draw_rect(c, Box{5, 5, 20, 20}, {9, 9, 9}, 0);
  draw_rect(d, Box{5, 5, 20, 20}, {9, 9, 9}, 1);
  EXPECT_EQ(c.pixels, d.pixels);
}

TEST(DrawRect, ClipsPartlyOutsideBoxes) {
  Color blue{0, 0, 255};
  Image img = make_image(40, 30);
  draw_rect(img, Box{-10, -10, 10, 10}, blue, 2);  // only the right and bottom edges are in view
  EXPECT_TRUE(pixel_is(img, 10, 0, blue));
  EXPECT_TRUE(pixel_is(img, 9, 5, blue));
  EXPECT_TRUE(pixel_is(img, 0, 10, blue));
  EXPECT_TRUE(pixel_is(img, 0, 0, {0, 0, 0}));
  EXPECT_TRUE(pixel_is(img, 11, 5, {0, 0, 0}));

  Image big = make_image(40, 30);
  draw_rect(big, Box{-1e30f, 5, 1e30f, 1e30f}, blue, 2);  // only the top edge, across the whole image
  for (int x = 0; x < 40; ++x) EXPECT_TRUE(pixel_is(big, x, 5, blue));
  EXPECT_TRUE(pixel_is(big, 20, 7, {0, 0, 0}));

  Image edge = make_image(40, 30);
  draw_rect(edge, Box{0, 0, 39, 29}, blue, 1);  // the image border itself is fully visible
  for (int x = 0; x < 40; ++x) EXPECT_TRUE(pixel_is(edge, x, 0, blue) && pixel_is(edge, x, 29, blue));
  for (int y = 0; y < 30; ++y) EXPECT_TRUE(pixel_is(edge, 0, y, blue) && pixel_is(edge, 39, y, blue));
}

TEST(DrawRect, OutsideOrNonFiniteBoxesDrawNothing) {
  const Box boxes[] = {
      {50, 50, 60, 60},
      {-60, -60, -50, -50},
      {-5, 40, 50, 45},
      {41, -10, 80, 80},
      {kNaN, 0, 10, 10},
      {0, 0, kNaN, kNaN},
      {-kInf, 0, kInf, 10},
      {0, kInf, 10, kInf},
      {1e38f, 1e38f, -1e38f, -1e38f + 1},
      {-3.4e38f, -3.4e38f, -3.3e38f, -3.3e38f},
  };
  for (const Box& box : boxes) {
    Image img = make_image(40, 30);
    for (int thickness : {-5, 0, 1, 2, 1000, INT_MAX}) draw_rect(img, box, {255, 255, 255}, thickness);
    EXPECT_EQ(img.width, 40);
    EXPECT_EQ(img.height, 30);
    ASSERT_EQ(img.pixels.size(), 40u * 30 * 3);
    // {1e38, ..., -1e38} normalizes to a box covering everything, whose edges are all out of view.
    EXPECT_EQ(img.pixels, make_image(40, 30).pixels) << box.x1 << " " << box.y1 << " " << box.x2 << " " << box.y2;
  }
}

TEST(DrawRect, HugeThicknessFillsTheVisiblePart) {
  Image img = make_image(20, 20);
  draw_rect(img, Box{-100, -100, 100, 100}, {1, 2, 3}, INT_MAX);  // edges 2^20 wide inward: the box is filled
  for (int y = 0; y < 20; ++y)
    for (int x = 0; x < 20; ++x) ASSERT_TRUE(pixel_is(img, x, y, {1, 2, 3}));
}

TEST(Draw, MalformedImagesAreIgnored) {
  Image empty;
  draw_rect(empty, Box{0, 0, 5, 5}, {255, 0, 0});
  draw_polygon(empty, {{0, 0}, {5, 5}}, {255, 0, 0});
  fill_rect(empty, 0, 0, 5, 5, {255, 0, 0});
  EXPECT_EQ(draw_text(empty, 0, 0, "x", {255, 255, 255}, {0, 0, 0}), 0);
  annotate_detections(empty, {Detection{0, 0.5f, Box{0, 0, 5, 5}, "a"}});

  Image short_buffer = make_image(10, 10);
  short_buffer.pixels.resize(20);  // claims 10x10, holds less: must not be written past its end
  draw_rect(short_buffer, Box{0, 0, 9, 9}, {255, 0, 0});
  fill_rect(short_buffer, 0, 0, 9, 9, {255, 0, 0});
  draw_polygon(short_buffer, {{0, 0}, {9, 9}}, {255, 0, 0});
  EXPECT_EQ(draw_text(short_buffer, 0, 0, "x", {255, 255, 255}, {0, 0, 0}), 0);
  EXPECT_EQ(short_buffer.pixels, std::vector<uint8_t>(20, 0));

  Image gray = make_image(10, 10);
  gray.channels = 1;
  fill_rect(gray, 0, 0, 9, 9, {255, 0, 0});
  EXPECT_EQ(gray.pixels, make_image(10, 10).pixels);
}

TEST(FillRect, InclusiveClippedAndOrdered) {
  Image img = make_image(10, 8);
  fill_rect(img, 7, 6, 2, 3, {5, 6, 7});  // corners in either order
  for (int y = 0; y < 8; ++y)
    for (int x = 0; x < 10; ++x) {
      bool inside = x >= 2 && x <= 7 && y >= 3 && y <= 6;
      ASSERT_TRUE(pixel_is(img, x, y, inside ? Color{5, 6, 7} : Color{0, 0, 0}));
    }
  Image all = make_image(10, 8);
  fill_rect(all, INT_MIN, INT_MIN, INT_MAX, INT_MAX, {1, 1, 1});
  EXPECT_EQ(all.pixels, std::vector<uint8_t>(10 * 8 * 3, 1));
  Image none = make_image(10, 8);
  fill_rect(none, 10, 0, INT_MAX, 7, {1, 1, 1});
  fill_rect(none, INT_MIN, -1, 9, -1, {1, 1, 1});
  EXPECT_EQ(none.pixels, make_image(10, 8).pixels);
}

// Rows set in one column, for checking line thickness.
std::vector<int> set_rows(const Image& img, int x) {
  std::vector<int> rows;
  for (int y = 0; y < img.height; ++y)
    if (!same(pixel(img, x, y), {0, 0, 0})) rows.push_back(y);
  return rows;
}

TEST(DrawPolygon, OutlineOnTheEdgesInteriorUntouched) {
  Image img = make_image(40, 30);
  Color c{0, 200, 100};
  draw_polygon(img, {{5, 5}, {30, 5}, {30, 20}, {5, 20}}, c, 1);
  for (int x = 5; x <= 30; ++x) EXPECT_TRUE(pixel_is(img, x, 5, c) && pixel_is(img, x, 20, c)) << x;
  for (int y = 5; y <= 20; ++y) EXPECT_TRUE(pixel_is(img, 5, y, c) && pixel_is(img, 30, y, c)) << y;
  int set = 0;
  for (size_t i = 0; i < img.pixels.size(); i += 3) set += img.pixels[i + 1] != 0;
  EXPECT_EQ(set, 2 * 26 + 2 * 14) << "a 1-pixel outline and nothing else";
}

TEST(DrawPolygon, ThicknessIsExactOnStraightEdges) {
  for (int thickness : {1, 2, 3, 4, 7}) {
    Image img = make_image(40, 30);
    draw_polygon(img, {{2, 15}, {37, 15}}, {255, 255, 255}, thickness);
    std::vector<int> rows = set_rows(img, 20);
    ASSERT_EQ(static_cast<int>(rows.size()), thickness);
    EXPECT_LE(rows.front(), 15);
    EXPECT_GE(rows.back(), 15);
  }
}

TEST(DrawPolygon, DiagonalAndDot) {
  Image img = make_image(30, 30);
  draw_polygon(img, {{0, 0}, {29, 29}}, {255, 255, 255}, 1);
  for (int i = 0; i < 30; ++i) EXPECT_TRUE(pixel_is(img, i, i, {255, 255, 255})) << i;
  EXPECT_TRUE(pixel_is(img, 29, 0, {0, 0, 0}));
  Image dot = make_image(30, 30);
  draw_polygon(dot, {{10, 10}}, {255, 255, 255}, 5);
  EXPECT_TRUE(pixel_is(dot, 10, 10, {255, 255, 255}));
  EXPECT_TRUE(pixel_is(dot, 12, 10, {255, 255, 255}));
  EXPECT_TRUE(pixel_is(dot, 14, 10, {0, 0, 0}));
}

TEST(DrawPolygon, ClipsOutsideAndNonFinitePoints) {
  const std::vector<std::vector<PointF>> polygons = {
      {{-50, -50}, {100, -50}, {100, 100}, {-50, 100}},  // around the whole image: nothing visible
      {{kNaN, 5}, {10, kNaN}, {kNaN, kNaN}},
      {{kInf, 5}, {-kInf, 5}, {5, kInf}},
      {{-3.4e38f, -3.4e38f}, {3.4e38f, 3.4e38f}},
      {{-3.4e38f, 3.4e38f}, {3.4e38f, -3.4e38f}, {0, 1e38f}},
      {},
  };
  for (const auto& points : polygons) {
    for (int thickness : {-1, 1, 3, 100000, INT_MAX}) {
      Image img = make_image(40, 30);
      draw_polygon(img, points, {255, 0, 255}, thickness);
      EXPECT_EQ(img.width, 40);
      EXPECT_EQ(img.height, 30);
      EXPECT_EQ(img.pixels.size(), 40u * 30 * 3);
    }
  }
  // A long diagonal from far outside still crosses the image where it should.
  Image img = make_image(40, 30);
  draw_polygon(img, {{-1e6f, -1e6f}, {1e6f, 1e6f}}, {255, 0, 255}, 1);
  EXPECT_TRUE(pixel_is(img, 10, 10, {255, 0, 255}));
  EXPECT_TRUE(pixel_is(img, 29, 29, {255, 0, 255}));
  // Edges with a NaN end are skipped, the others drawn.
  Image partial = make_image(40, 30);
  draw_polygon(partial, {{5, 10}, {35, 10}, {kNaN, 20}}, {255, 0, 255}, 1);
  EXPECT_TRUE(pixel_is(partial, 20, 10, {255, 0, 255}));
}

// ---- Text ----

TEST(DrawText, ChangesPixelsOnlyWithinItsBox) {
  if (!text_rendering_available())
    GTEST_SKIP() << "no text rendering: built without FreeType or no font found (install fonts-dejavu-core, or set "
                    "EDGERUN_FONT to a .ttf file)";
  Image img = make_image(200, 40, 50);
  Color fg{255, 255, 255}, bg{0, 0, 0};
  int w = draw_text(img, 10, 12, "person 0.87", fg, bg, 16);
  ASSERT_GT(w, 0);
  ASSERT_LT(10 + w, 200);
  int ink = 0;
  for (int y = 0; y < 40; ++y)
    for (int x = 0; x < 200; ++x) {
      Color p = pixel(img, x, y);
      bool in_box = x >= 10 && x < 10 + w && y >= 12 && y < 12 + 16;
      if (!in_box) {
        ASSERT_TRUE(same(p, {50, 50, 50})) << "changed outside the text box at (" << x << ", " << y << ")";
      } else if (!same(p, bg)) {
        ++ink;
        EXPECT_TRUE(p.r == p.g && p.g == p.b) << "white on black blends to grays";
      }
    }
  EXPECT_GT(ink, 30) << "glyph pixels drawn";
  // A longer text is wider; the width does not depend on the position.
  Image other = make_image(400, 40);
  EXPECT_GT(draw_text(other, 0, 0, "person 0.87 and more", fg, bg, 16), w);
  EXPECT_EQ(draw_text(other, -1000, -1000, "person 0.87", fg, bg, 16), w);
  EXPECT_GT(draw_text(other, 0, 0, "person 0.87", fg, bg, 32), w) << "taller text is wider";
}

TEST(DrawText, AnyInputIsSafe) {
  if (!text_rendering_available()) GTEST_SKIP() << "no text rendering (FreeType or font missing)";
  Image img = make_image(64, 32);
  Color fg{255, 255, 255}, bg{0, 0, 128};
  EXPECT_EQ(draw_text(img, 0, 0, "", fg, bg), 0);
  EXPECT_EQ(draw_text(img, 0, 0, "x", fg, bg, 0), 0);
  EXPECT_EQ(draw_text(img, 0, 0, "x", fg, bg, -3), 0);
  EXPECT_EQ(img.pixels, make_image(64, 32).pixels);
  EXPECT_GT(draw_text(img, 0, 0, "Grüße – 日本 €", fg, bg), 0);
  EXPECT_GT(draw_text(img, 0, 0, std::string("bad \xff\xfe \xc3 \xe2\x82 \xed\xa0\x80 end"), fg, bg), 0);
  for (auto [x, y] : {std::pair{INT_MIN, INT_MIN}, std::pair{INT_MAX, INT_MAX}, std::pair{-5, 20}, std::pair{60, -8},
                      std::pair{INT_MAX - 3, 0}}) {
    EXPECT_GT(draw_text(img, x, y, "clipped", fg, bg), 0);
  }
  EXPECT_GT(draw_text(img, 0, 0, "big", fg, bg, 1 << 30), 0);  // height capped, drawn clipped
  EXPECT_EQ(img.pixels.size(), 64u * 32 * 3);
}

TEST(DrawText, SameResultFromManyThreads) {
  if (!text_rendering_available()) GTEST_SKIP() << "no text rendering (FreeType or font missing)";
  auto render = [](int height) {
    Image img = make_image(160, 40);
    draw_text(img, 2, 2, "bicycle 0.55", {255, 255, 0}, {20, 20, 20}, height);
    return img.pixels;
  };
  std::vector<uint8_t> want16 = render(16), want20 = render(20);
  std::vector<std::vector<uint8_t>> got(8);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (int k = 0; k < 20; ++k) got[t] = render(t % 2 ? 20 : 16);  // alternating sizes re-size the shared face
    });
  for (auto& th : threads) th.join();
  for (int t = 0; t < 8; ++t) EXPECT_EQ(got[t], t % 2 ? want20 : want16) << "thread " << t;
}

TEST(DrawText, UnavailableDrawsNothing) {
  if (text_rendering_available()) GTEST_SKIP() << "text rendering is available here";
  Image img = make_image(64, 32);
  EXPECT_EQ(draw_text(img, 0, 0, "person", {255, 255, 255}, {0, 0, 0}), 0);
  EXPECT_EQ(img.pixels, make_image(64, 32).pixels);
}

// ---- Annotations ----

TEST(AnnotateDetections, BoxesAndCaptionsInClassColours) {
  Image img = make_image(200, 150);
  std::vector<Detection> dets = {
      Detection{0, 0.87f, Box{20, 60, 80, 120}, "person"},
      Detection{1, 0.5f, Box{100, 3, 180, 140}, ""},  // at the top edge: caption inside the box
  };
  annotate_detections(img, dets);
  Color c0 = palette_color(0), c1 = palette_color(1);
  ASSERT_FALSE(same(c0, c1));
  EXPECT_TRUE(pixel_is(img, 20, 100, c0));  // left edges, below any caption
  EXPECT_TRUE(pixel_is(img, 80, 100, c0));  // right edge
  EXPECT_TRUE(pixel_is(img, 100, 100, c1));
  EXPECT_TRUE(pixel_is(img, 140, 140, c1));       // bottom edge
  EXPECT_TRUE(pixel_is(img, 50, 90, {0, 0, 0}));  // interiors stay clear
  EXPECT_TRUE(pixel_is(img, 140, 90, {0, 0, 0}));
  if (!text_rendering_available()) GTEST_SKIP() << "no text rendering: captions not drawn (boxes checked)";

  // Caption 0 sits on the box, above it: its background in class 0's colour plus some text pixels.
  auto count = [&](int x1, int y1, int x2, int y2, Color c) {
    int n = 0;
    for (int y = y1; y <= y2; ++y)
      for (int x = x1; x <= x2; ++x) n += same(pixel(img, x, y), c);
    return n;
  };
  int h = 16;  // annotate_detections' caption height for a 200x150 image
  Image scratch = make_image(300, 30);
  int w0 = draw_text(scratch, 0, 0, "person 0.87", {}, {}, h);
  ASSERT_GT(w0, 0);
  int area0 = w0 * h;
  int bg0 = count(20, 60 - h, 20 + w0 - 1, 59, c0);
  EXPECT_GT(bg0, area0 / 3) << "caption background";
  EXPECT_LT(bg0, area0) << "caption text";
  EXPECT_EQ(count(20, 60 - h - 3, 120, 60 - h - 1, c0), 0) << "nothing above the caption";

  int w1 = draw_text(scratch, 0, 0, "class 1 0.50", {}, {}, h);
  int bg1 = count(100, 3, 100 + w1 - 1, 3 + h - 1, c1);
  EXPECT_GT(bg1, w1 * h / 3);
  EXPECT_LT(bg1, w1 * h);
}

TEST(AnnotateDetections, CaptionsStayInsideTheImage) {
  Image img = make_image(120, 80);
  std::vector<Detection> dets = {
      Detection{3, 0.9f, Box{100, 40, 140, 90}, "a rather long label"},  // off the right and bottom
      Detection{-7, 0.1f, Box{-30, -30, -5, -5}, "hidden"},              // not in view at all
      Detection{2, kNaN, Box{kNaN, 0, 10, 10}, "nan"},
      Detection{INT_MAX, 1.0f, Box{0, 0, 119, 79}, ""},
  };
  annotate_detections(img, dets);
  EXPECT_EQ(img.pixels.size(), 120u * 80 * 3);
  EXPECT_TRUE(pixel_is(img, 100, 60, palette_color(3)));
  EXPECT_TRUE(pixel_is(img, 0, 79, palette_color(INT_MAX)));
}

}  // namespace
}  // namespace edgerun::vision
