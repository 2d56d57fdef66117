// Detector geometry: letterbox sizes and offsets, the padded image and tensor against independent computations,
// area resize against a brute-force box average, and (with the shared data) the exact reference inputs of the
// YOLOv8n and YOLOX-Nano test sets.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "edgerun/vision.h"
#include "onnx/tensor_proto.h"
#include "test_data.h"
#include "vision/letterbox.h"

namespace edgerun::vision {
namespace {

Image random_image(int w, int h, uint32_t seed) {
  std::mt19937 rng(seed);
  Image img;
  img.width = w;
  img.height = h;
  img.pixels.resize(static_cast<size_t>(w) * h * 3);
  for (uint8_t& p : img.pixels) p = static_cast<uint8_t>(rng() & 0xFF);
  return img;
}

uint8_t px(const Image& img, int x, int y, int c) { return img.row(y)[3 * x + c]; }

// ---- geometry ----

TEST(LetterboxGeometry, TallImageFillsTheHeight) {
  LetterboxGeometry g = letterbox_geometry(810, 1080, 640, 640, false);
  EXPECT_FLOAT_EQ(g.scale, 640.0f / 1080.0f);
  EXPECT_EQ(g.scaled_width, 480);
  EXPECT_EQ(g.scaled_height, 640);
  EXPECT_EQ(g.pad_x, 0);
  EXPECT_EQ(g.pad_y, 0);
  LetterboxGeometry c = letterbox_geometry(810, 1080, 640, 640, true);
  EXPECT_EQ(c.pad_x, 80);  // (640 - 480) / 2
  EXPECT_EQ(c.pad_y, 0);
}

TEST(LetterboxGeometry, WideImageFillsTheWidth) {
  LetterboxGeometry g = letterbox_geometry(1280, 720, 640, 640, true);
  EXPECT_FLOAT_EQ(g.scale, 0.5f);
  EXPECT_EQ(g.scaled_width, 640);
  EXPECT_EQ(g.scaled_height, 360);
  EXPECT_EQ(g.pad_x, 0);
  EXPECT_EQ(g.pad_y, 140);
}

TEST(LetterboxGeometry, ScaledSideIsRoundedNotTruncated) {
  // 512 * 640 / 773 = 423.9 and 512 * 416 / 773 = 275.5: the reference YOLOX detections on eagle.jpg and
  // horses.jpg are reproduced with 424 / 276 and drift by up to 0.04 in score with the truncated 423 / 275.
  EXPECT_EQ(letterbox_geometry(773, 512, 640, 640, false).scaled_height, 424);
  EXPECT_EQ(letterbox_geometry(773, 512, 416, 416, false).scaled_height, 276);
  EXPECT_EQ(letterbox_geometry(640, 424, 416, 416, false).scaled_height, 276);  // 275.6
  // A 1-pixel-high strip still gets one row; non-square canvases take the smaller ratio.
  EXPECT_EQ(letterbox_geometry(4000, 1, 640, 640, false).scaled_height, 1);
  LetterboxGeometry g = letterbox_geometry(100, 100, 320, 160, true);
  EXPECT_EQ(g.scaled_width, 160);
  EXPECT_EQ(g.scaled_height, 160);
  EXPECT_EQ(g.pad_x, 80);
}

// ---- letterbox image ----

TEST(Letterbox, PadsWithTheValueAndHoldsTheResizedImage) {
  Image img = random_image(37, 23, 1);
  for (bool center : {false, true}) {
    auto lb = letterbox(img, 64, 48, 114, center);
    ASSERT_TRUE(lb.ok()) << lb.status().to_string();
    LetterboxGeometry g = letterbox_geometry(37, 23, 64, 48, center);
    auto resized = resize_bilinear(img, g.scaled_width, g.scaled_height);
    ASSERT_TRUE(resized.ok());
    EXPECT_EQ(lb->image.width, 64);
    EXPECT_EQ(lb->image.height, 48);
    EXPECT_EQ(lb->pad_x, g.pad_x);
    EXPECT_EQ(lb->pad_y, g.pad_y);
    EXPECT_FLOAT_EQ(lb->scale, std::min(64.0f / 37, 48.0f / 23));
    for (int y = 0; y < 48; ++y)
      for (int x = 0; x < 64; ++x)
        for (int c = 0; c < 3; ++c) {
          int rx = x - g.pad_x, ry = y - g.pad_y;
          bool inside = rx >= 0 && ry >= 0 && rx < g.scaled_width && ry < g.scaled_height;
          int want = inside ? px(*resized, rx, ry, c) : 114;
          ASSERT_EQ(px(lb->image, x, y, c), want) << "x " << x << " y " << y << " c " << c << " center " << center;
        }
  }
}

TEST(Letterbox, PointsMapBackToTheOriginal) {
  // A white rectangle on black: its letterboxed bounding box, mapped back with (x - pad) / scale, is where it was.
  Image img;
  img.width = 300;
  img.height = 200;
  img.pixels.assign(300 * 200 * 3, 0);
  for (int y = 50; y < 150; ++y)
    for (int x = 100; x < 250; ++x)
      for (int c = 0; c < 3; ++c) img.row(y)[3 * x + c] = 255;
  auto lb = letterbox(img, 128, 128, 0, true);
  ASSERT_TRUE(lb.ok());
  int x1 = 1 << 30, y1 = 1 << 30, x2 = -1, y2 = -1;
  for (int y = 0; y < 128; ++y)
    for (int x = 0; x < 128; ++x)
      if (px(lb->image, x, y, 0) >= 128)
        x1 = std::min(x1, x), y1 = std::min(y1, y), x2 = std::max(x2, x), y2 = std::max(y2, y);
  ASSERT_GE(x2, 0);
  auto back = [&](int v, int pad) { return (v - pad) / lb->scale; };
  EXPECT_NEAR(back(x1, lb->pad_x), 100, 1.0 / lb->scale + 0.5);
  EXPECT_NEAR(back(x2 + 1, lb->pad_x), 250, 1.0 / lb->scale + 0.5);
  EXPECT_NEAR(back(y1, lb->pad_y), 50, 1.0 / lb->scale + 0.5);
  EXPECT_NEAR(back(y2 + 1, lb->pad_y), 150, 1.0 / lb->scale + 0.5);
  EXPECT_EQ(lb->pad_x, 0);
  EXPECT_EQ(lb->pad_y, (128 - 85) / 2);  // 200 * 128 / 300 = 85.3
}

TEST(Letterbox, RejectsBadArguments) {
  Image img = random_image(8, 8, 2);
  EXPECT_FALSE(letterbox(img, 0, 10).ok());
  EXPECT_FALSE(letterbox(img, 10, 10, 256).ok());
  EXPECT_FALSE(letterbox(img, 10, 10, -1).ok());
  EXPECT_FALSE(letterbox(Image{}, 10, 10).ok());
  Image bad = img;
  bad.pixels.resize(5);
  EXPECT_FALSE(letterbox(bad, 10, 10).ok());
}

// ---- letterbox straight into the tensor ----

TEST(LetterboxTensor, EqualsTheLetterboxImageConverted) {
  Image img = random_image(53, 31, 3);
  for (bool bgr : {false, true}) {
    for (float scale : {1.0f / 255.0f, 1.0f, 0.5f}) {
      LetterboxTensorOptions o;
      o.width = 64;
      o.height = 32;
      o.bgr = bgr;
      o.scale = scale;
      o.pad_value = 7;
      o.center = true;
      Tensor t;
      LetterboxGeometry g;
      ASSERT_TRUE(letterbox_to_tensor(img, o, &t, &g).ok());
      ASSERT_EQ(t.shape(), (Shape{1, 3, 32, 64}));
      auto lb = letterbox(img, 64, 32, 7, true);
      ASSERT_TRUE(lb.ok());
      EXPECT_EQ(g.pad_x, lb->pad_x);
      EXPECT_EQ(g.pad_y, lb->pad_y);
      const float* d = t.data<float>();
      double worst = 0;
      for (int c = 0; c < 3; ++c)
        for (int y = 0; y < 32; ++y)
          for (int x = 0; x < 64; ++x) {
            double want = px(lb->image, x, y, bgr ? 2 - c : c) * static_cast<double>(scale);
            worst = std::max(worst, std::fabs(d[(c * 32 + y) * 64 + x] - want));
          }
      EXPECT_LE(worst, 1e-6) << "bgr " << bgr << " scale " << scale;
    }
  }
}

TEST(LetterboxTensor, ReusesATensorOfTheRightShapeAndReplacesOthers) {
  Image img = random_image(20, 10, 4);
  LetterboxTensorOptions o;
  o.width = o.height = 32;
  Tensor t = Tensor::empty(DType::kFloat32, {1, 3, 32, 32});
  const void* buffer = t.raw_data();
  ASSERT_TRUE(letterbox_to_tensor(img, o, &t, nullptr).ok());
  EXPECT_EQ(t.raw_data(), buffer);
  Tensor other = Tensor::empty(DType::kFloat32, {1, 3, 16, 16});
  ASSERT_TRUE(letterbox_to_tensor(img, o, &other, nullptr).ok());
  EXPECT_EQ(other.shape(), (Shape{1, 3, 32, 32}));
}

// The reference inputs are bus.jpg through the reference pipeline. Bilinear is PIL's (antialiased when shrinking);
// OpenCV's INTER_LINEAR (half-pixel, 2 taps) differs by up to 90 levels here and INTER_AREA by up to 35.
void expect_reference_input(const std::string& model_dir, bool bgr, float scale) {
  const std::string image_path = testing::model_path("images/detection/bus.jpg");
  const std::string ref_path = testing::model_path(model_dir + "/test_data_set_0/input_0.pb");
  auto img = decode_image_file(image_path);
  ASSERT_TRUE(img.ok()) << img.status().to_string();
  auto ref = read_tensor_proto_file(ref_path);
  ASSERT_TRUE(ref.ok()) << ref.status().to_string();
  ASSERT_EQ(ref->rank(), 4);
  LetterboxTensorOptions o;
  o.width = static_cast<int>(ref->dim(3));
  o.height = static_cast<int>(ref->dim(2));
  o.bgr = bgr;
  o.scale = scale;
  Tensor t;
  ASSERT_TRUE(letterbox_to_tensor(*img, o, &t, nullptr).ok());
  ASSERT_EQ(t.shape(), ref->shape());
  double worst = 0;
  int64_t differing = 0;
  for (int64_t i = 0; i < t.numel(); ++i) {
    double e = std::fabs(static_cast<double>(t.data<float>()[i]) - ref->data<float>()[i]);
    worst = std::max(worst, e);
    differing += e > 0;
  }
  std::printf("%s: letterbox vs reference input_0.pb: max abs diff %.3g, %lld of %lld values differ\n",
              model_dir.c_str(), worst, static_cast<long long>(differing), static_cast<long long>(t.numel()));
  EXPECT_EQ(worst, 0.0);
}

TEST(LetterboxTensor, Yolov8ReferenceInputIsReproducedExactly) {
  EDGERUN_REQUIRE_DATA(testing::model_path("detection/yolov8n-int8/test_data_set_0/input_0.pb"));
  EDGERUN_REQUIRE_DATA(testing::model_path("images/detection/bus.jpg"));
  expect_reference_input("detection/yolov8n-int8", false, 1.0f / 255.0f);
}

TEST(LetterboxTensor, YoloxReferenceInputIsReproducedExactly) {
  EDGERUN_REQUIRE_DATA(testing::model_path("detection/yolox-nano/test_data_set_0/input_0.pb"));
  EDGERUN_REQUIRE_DATA(testing::model_path("images/detection/bus.jpg"));
  expect_reference_input("detection/yolox-nano", true, 1.0f);
}

// ---- area resize ----

// Brute force in double: each output pixel is the mean of its source rectangle, partial pixels weighted by overlap.
std::vector<double> area_reference(const Image& img, int w, int h) {
  std::vector<double> out(static_cast<size_t>(w) * h * 3);
  double sx = static_cast<double>(img.width) / w, sy = static_cast<double>(img.height) / h;
  for (int oy = 0; oy < h; ++oy)
    for (int ox = 0; ox < w; ++ox)
      for (int c = 0; c < 3; ++c) {
        double sum = 0;
        for (int y = 0; y < img.height; ++y) {
          double wy = std::min(y + 1.0, (oy + 1) * sy) - std::max(static_cast<double>(y), oy * sy);
          if (wy <= 0) continue;
          for (int x = 0; x < img.width; ++x) {
            double wx = std::min(x + 1.0, (ox + 1) * sx) - std::max(static_cast<double>(x), ox * sx);
            if (wx > 0) sum += wx * wy * px(img, x, y, c);
          }
        }
        out[(static_cast<size_t>(oy) * w + ox) * 3 + c] = sum / (sx * sy);
      }
  return out;
}

TEST(ResizeArea, MatchesABruteForceBoxAverage) {
  struct Case {
    int in_w, in_h, out_w, out_h;
  };
  for (Case k : {Case{8, 6, 4, 3}, Case{7, 5, 3, 2}, Case{100, 37, 13, 11}, Case{31, 64, 31, 7}, Case{9, 9, 1, 1}}) {
    Image img = random_image(k.in_w, k.in_h, static_cast<uint32_t>(k.in_w * 100 + k.out_w));
    auto got = resize_area(img, k.out_w, k.out_h);
    ASSERT_TRUE(got.ok()) << got.status().to_string();
    ASSERT_EQ(got->width, k.out_w);
    ASSERT_EQ(got->height, k.out_h);
    std::vector<double> want = area_reference(img, k.out_w, k.out_h);
    bool integer_factor = k.in_w % k.out_w == 0 && k.in_h % k.out_h == 0;
    int worst = 0;
    for (size_t i = 0; i < want.size(); ++i) {
      // Ties (x.5) can go either way by float rounding; otherwise the result is the nearest level.
      double frac = want[i] - std::floor(want[i]);
      if (std::fabs(frac - 0.5) < 1e-3 && !integer_factor) continue;
      worst = std::max(worst, std::abs(static_cast<int>(got->pixels[i]) - static_cast<int>(std::floor(want[i] + 0.5))));
    }
    EXPECT_EQ(worst, 0) << k.in_w << "x" << k.in_h << " -> " << k.out_w << "x" << k.out_h;
  }
}

TEST(ResizeArea, UpscalingFallsBackToBilinearAndSameSizeCopies) {
  Image img = random_image(10, 6, 9);
  auto up = resize_area(img, 20, 6);
  auto bl = resize_bilinear(img, 20, 6);
  ASSERT_TRUE(up.ok() && bl.ok());
  EXPECT_EQ(up->pixels, bl->pixels);
  auto same = resize_area(img, 10, 6);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->pixels, img.pixels);
  EXPECT_FALSE(resize_area(img, 0, 3).ok());
  EXPECT_FALSE(resize_area(Image{}, 3, 3).ok());
}

}  // namespace
}  // namespace edgerun::vision
