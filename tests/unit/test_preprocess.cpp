// Preprocessing: PIL-style bilinear resize against hand-computed values, center crop, normalization, and
// (with the shared data) the exact reference inputs of the MobileNet test sets.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "edgerun/vision.h"
#include "onnx/tensor_proto.h"
#include "test_data.h"
#include "vision/preprocess.h"

namespace edgerun::vision {
namespace {

// Gray image given as [h][w] values, stored as RGB with equal channels.
Image gray(int w, int h, const std::vector<int>& values) {
  Image img;
  img.width = w;
  img.height = h;
  img.pixels.resize(static_cast<size_t>(w) * h * 3);
  for (size_t i = 0; i < values.size(); ++i)
    for (int c = 0; c < 3; ++c) img.pixels[3 * i + static_cast<size_t>(c)] = static_cast<uint8_t>(values[i]);
  return img;
}

std::vector<int> channel(const Image& img, int c) {
  std::vector<int> out;
  for (size_t i = 0; i < img.pixels.size() / 3; ++i) out.push_back(img.pixels[3 * i + static_cast<size_t>(c)]);
  return out;
}

// ---- weights ----

TEST(Resample, DownscaleBy2UsesTheWidenedTriangle) {
  // 4 -> 2: scale 2, support 2. Output 0 is centered at 1.0; source centers 0.5, 1.5, 2.5 are 0.5, 0.5, 1.5 away,
  // i.e. triangle(0.25), triangle(0.25), triangle(0.75) = 0.75, 0.75, 0.25 -> 3/7, 3/7, 1/7 (not a 2x2 box).
  ResampleWeights rw = compute_resample_weights(4, 2);
  ASSERT_EQ(rw.start, (std::vector<int>{0, 1}));
  ASSERT_EQ(rw.count, (std::vector<int>{3, 3}));
  const double want0[3] = {3.0 / 7, 3.0 / 7, 1.0 / 7};
  const double want1[3] = {1.0 / 7, 3.0 / 7, 3.0 / 7};
  for (int k = 0; k < 3; ++k) {
    EXPECT_NEAR(rw.weights[static_cast<size_t>(k)], want0[k], 1e-12);
    EXPECT_NEAR(rw.weights[static_cast<size_t>(rw.taps + k)], want1[k], 1e-12);
  }
}

TEST(Resample, UpscaleIsBilinearWithHalfPixelCenters) {
  // 2 -> 4: centers 0.25, 0.75, 1.25, 1.75 in source pixels; the edges clamp.
  ResampleWeights rw = compute_resample_weights(2, 4);
  ASSERT_EQ(rw.start, (std::vector<int>{0, 0, 0, 1}));
  ASSERT_EQ(rw.count, (std::vector<int>{1, 2, 2, 1}));
  EXPECT_NEAR(rw.weights[0], 1.0, 1e-12);
  EXPECT_NEAR(rw.weights[static_cast<size_t>(rw.taps)], 0.75, 1e-12);
  EXPECT_NEAR(rw.weights[static_cast<size_t>(rw.taps + 1)], 0.25, 1e-12);
  EXPECT_NEAR(rw.weights[static_cast<size_t>(2 * rw.taps)], 0.25, 1e-12);
  EXPECT_NEAR(rw.weights[static_cast<size_t>(2 * rw.taps + 1)], 0.75, 1e-12);
  EXPECT_NEAR(rw.weights[static_cast<size_t>(3 * rw.taps)], 1.0, 1e-12);
}

TEST(Resample, WeightsAlwaysSumToOne) {
  for (int in : {1, 2, 3, 7, 100, 517}) {
    for (int out : {1, 2, 5, 224, 256, 1000}) {
      ResampleWeights rw = compute_resample_weights(in, out);
      for (int o = 0; o < out; ++o) {
        double sum = 0;
        ASSERT_GE(rw.start[static_cast<size_t>(o)], 0);
        ASSERT_LE(rw.start[static_cast<size_t>(o)] + rw.count[static_cast<size_t>(o)], in);
        for (int k = 0; k < rw.count[static_cast<size_t>(o)]; ++k)
          sum += rw.weights[static_cast<size_t>(o * rw.taps + k)];
        ASSERT_NEAR(sum, 1.0, 1e-9) << in << " -> " << out << " at " << o;
      }
    }
  }
}

// ---- resize ----

TEST(Resize, Downscale4x4To2x2ByHand) {
  // p(x, y) = 7x + 14y. Rows: (3*14y + 3*(7+14y) + (14+14y)) / 7 = 14y + 5 and (7 + 3*14 + 3*21 + 98y) / 7 = 14y + 16.
  // Columns of f(y) = 14y + 5: (3*5 + 3*19 + 33) / 7 = 15 and (19 + 3*33 + 3*47) / 7 = 37; likewise 26 and 48.
  std::vector<int> v;
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 4; ++x) v.push_back(7 * x + 14 * y);
  auto r = resize_bilinear(gray(4, 4, v), 2, 2);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(channel(*r, 0), (std::vector<int>{15, 26, 37, 48}));
  EXPECT_EQ(channel(*r, 2), (std::vector<int>{15, 26, 37, 48}));
}

TEST(Resize, DownscaleIsNotABoxAverage) {
  // Columns 0, 70, 140, 210: PIL gives (3*0 + 3*70 + 140) / 7 = 50 and (70 + 3*140 + 3*210) / 7 = 160
  // where a 2x2 box average would give 35 and 175.
  std::vector<int> v;
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 4; ++x) v.push_back(70 * x);
  auto r = resize_bilinear(gray(4, 4, v), 2, 2);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(channel(*r, 1), (std::vector<int>{50, 160, 50, 160}));
}

TEST(Resize, UpscaleByHand) {
  auto r = resize_bilinear(gray(2, 1, {0, 100}), 4, 1);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(channel(*r, 0), (std::vector<int>{0, 25, 75, 100}));
  // Halves round up, as PIL's fixed point does: 0.25 * 2 = 0.5 -> 1, 0.75 * 2 = 1.5 -> 2.
  auto h = resize_bilinear(gray(2, 1, {0, 2}), 4, 1);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(channel(*h, 0), (std::vector<int>{0, 1, 2, 2}));
  // Vertical only.
  auto v = resize_bilinear(gray(1, 2, {200, 0}), 1, 4);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(channel(*v, 0), (std::vector<int>{200, 150, 50, 0}));
}

TEST(Resize, ChannelsStayApart) {
  Image img;
  img.width = 3;
  img.height = 1;
  img.pixels = {255, 0, 10, 255, 0, 20, 255, 0, 30};
  // 3 -> 1: support 3 around center 1.5; source centers are 1, 0, 1 away -> weights 2/3, 1, 2/3 = 2/7, 3/7, 2/7.
  auto r = resize_bilinear(img, 1, 1);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->pixels[0], 255);
  EXPECT_EQ(r->pixels[1], 0);
  EXPECT_EQ(r->pixels[2], 20);  // (2*10 + 3*20 + 2*30) / 7
  img.pixels = {0, 0, 0, 0, 0, 0, 0, 0, 70};
  r = resize_bilinear(img, 1, 1);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->pixels[2], 20);  // 2 * 70 / 7
}

TEST(Resize, SameSizeIsIdentityAndBadSizesAreErrors) {
  Image img = gray(3, 2, {1, 2, 3, 4, 5, 6});
  auto r = resize_bilinear(img, 3, 2);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->pixels, img.pixels);
  EXPECT_FALSE(resize_bilinear(img, 0, 2).ok());
  EXPECT_FALSE(resize_bilinear(img, 2, -1).ok());
  EXPECT_FALSE(resize_bilinear(Image{}, 2, 2).ok());
}

TEST(Resize, ShorterSideRoundsTheLongSideHalfToEven) {
  Image img = gray(500, 375, std::vector<int>(500 * 375, 9));
  auto r = resize_shorter_side(img, 256);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->width, 341);  // 256 * 500 / 375 = 341.33
  EXPECT_EQ(r->height, 256);
  EXPECT_EQ(r->pixels[0], 9);
  Image tall = gray(375, 500, std::vector<int>(500 * 375, 9));
  auto t = resize_shorter_side(tall, 256);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->width, 256);
  EXPECT_EQ(t->height, 341);
  EXPECT_EQ(scaled_long_side(500, 357, 256), 359);  // 358.54 rounds up (torchvision would truncate to 358)
  EXPECT_EQ(scaled_long_side(929, 512, 256), 464);  // 464.5: half to even, as Python's round()
  EXPECT_EQ(scaled_long_side(931, 512, 256), 466);  // 465.5 -> 466
  EXPECT_EQ(scaled_long_side(256, 256, 256), 256);
}

// ---- crop ----

TEST(CenterCrop, OffsetsRoundDown) {
  EXPECT_EQ(center_crop_offset(256, 224), 16);
  EXPECT_EQ(center_crop_offset(300, 224), 38);
  EXPECT_EQ(center_crop_offset(301, 224), 38);  // 38.5 -> 38
  EXPECT_EQ(center_crop_offset(359, 224), 67);  // 67.5 -> 67 (torchvision's round() would give 68)
  EXPECT_EQ(center_crop_offset(225, 224), 0);
  EXPECT_EQ(center_crop_offset(224, 224), 0);
}

TEST(CenterCrop, TakesTheMiddle) {
  std::vector<int> v;
  for (int i = 0; i < 20; ++i) v.push_back(i);
  auto r = center_crop(gray(5, 4, v), 3, 2);  // offsets x 1, y 1
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(channel(*r, 0), (std::vector<int>{6, 7, 8, 11, 12, 13}));
  EXPECT_FALSE(center_crop(gray(5, 4, v), 6, 2).ok());
  EXPECT_FALSE(center_crop(gray(5, 4, v), 0, 2).ok());
}

// ---- tensor ----

TEST(ImageToTensor, NormalizesNchwRgb) {
  Image img;
  img.width = 2;
  img.height = 1;
  img.pixels = {0, 128, 255, 51, 102, 204};
  PreprocessOptions o = imagenet_preprocess(2);
  auto t = image_to_tensor(img, o);
  ASSERT_TRUE(t.ok());
  ASSERT_EQ(t->shape(), (Shape{1, 3, 1, 2}));
  const float* p = t->data<float>();
  const int px[2][3] = {{0, 128, 255}, {51, 102, 204}};
  const double mean[3] = {0.485, 0.456, 0.406}, std[3] = {0.229, 0.224, 0.225};
  for (int c = 0; c < 3; ++c)
    for (int x = 0; x < 2; ++x) EXPECT_NEAR(p[c * 2 + x], (px[x][c] / 255.0 - mean[c]) / std[c], 1e-5);
}

TEST(ImageToTensor, BgrAndNhwc) {
  Image img;
  img.width = 1;
  img.height = 2;
  img.pixels = {10, 20, 30, 40, 50, 60};
  PreprocessOptions o;
  o.resize_shorter = 0;
  o.scale = 1.0f;  // raw 0..255 values
  o.bgr = true;
  o.layout = TensorLayout::kNHWC;
  o.mean[0] = 1.0f;  // subtracted from R, wherever R ends up
  auto t = image_to_tensor(img, o);
  ASSERT_TRUE(t.ok());
  ASSERT_EQ(t->shape(), (Shape{1, 2, 1, 3}));
  std::vector<float> got(t->data<float>(), t->data<float>() + 6);
  EXPECT_EQ(got, (std::vector<float>{30, 20, 9, 60, 50, 39}));
  o.layout = TensorLayout::kNCHW;
  auto n = image_to_tensor(img, o);
  ASSERT_TRUE(n.ok());
  std::vector<float> got_n(n->data<float>(), n->data<float>() + 6);
  EXPECT_EQ(got_n, (std::vector<float>{30, 60, 20, 50, 9, 39}));
}

TEST(ImageToTensor, Uint8KeepsRawPixels) {
  Image img = gray(2, 1, {7, 250});
  PreprocessOptions o;
  o.dtype = DType::kUInt8;
  o.layout = TensorLayout::kNHWC;
  auto t = image_to_tensor(img, o);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->dtype(), DType::kUInt8);
  std::vector<uint8_t> got(t->data<uint8_t>(), t->data<uint8_t>() + 6);
  EXPECT_EQ(got, (std::vector<uint8_t>{7, 7, 7, 250, 250, 250}));
  o.std[1] = 0.0f;
  o.dtype = DType::kFloat32;
  EXPECT_FALSE(image_to_tensor(img, o).ok());
}

TEST(Preprocess, ImagenetShapeAndConstantImage) {
  Image img = gray(640, 480, std::vector<int>(640 * 480, 128));
  auto t = preprocess(img, imagenet_preprocess(224));
  ASSERT_TRUE(t.ok()) << t.status().to_string();
  ASSERT_EQ(t->shape(), (Shape{1, 3, 224, 224}));
  const float* p = t->data<float>();
  EXPECT_NEAR(p[0], (128 / 255.0 - 0.485) / 0.229, 1e-5);
  EXPECT_NEAR(p[224 * 224 * 2 + 1000], (128 / 255.0 - 0.406) / 0.225, 1e-5);
  EXPECT_EQ(imagenet_preprocess(224).resize_shorter, 256);
}

// The shared MobileNet test sets hold inputs produced with PIL (decode, resize 256 bilinear, crop 224, normalize).
// Our decode + preprocess must reproduce them: bit-identical pixels, so only float rounding remains.
TEST(Preprocess, MatchesThePilReferenceInputs) {
  const std::string dir = edgerun::testing::model_path("classification/mobilenetv2-12-int8");
  EDGERUN_REQUIRE_DATA(dir);
  const char* images[6] = {"misc/grace_hopper.bmp",
                           "misc/cat.bmp",
                           "misc/parrot.jpg",
                           "detection/dog.jpg",
                           "imagenet-samples/n01440764_tench.JPEG",
                           "imagenet-samples/n01629819_European_fire_salamander.JPEG"};
  for (int k = 0; k < 6; ++k) {
    std::string pb = dir + "/test_data_set_" + std::to_string(k) + "/input_0.pb";
    auto ref = read_tensor_proto_file(pb);
    ASSERT_TRUE(ref.ok()) << pb << ": " << ref.status().to_string();
    auto img = decode_image_file(edgerun::testing::model_path(std::string("images/") + images[k]));
    ASSERT_TRUE(img.ok()) << images[k] << ": " << img.status().to_string();
    auto t = preprocess(*img, imagenet_preprocess(224));
    ASSERT_TRUE(t.ok()) << t.status().to_string();
    ASSERT_EQ(t->shape(), ref->shape());
    ASSERT_EQ(ref->dtype(), DType::kFloat32);
    double max_diff = 0;
    for (int64_t i = 0; i < t->numel(); ++i)
      max_diff = std::max(max_diff, static_cast<double>(std::fabs(t->data<float>()[i] - ref->data<float>()[i])));
    // One 8-bit level is 1/255/0.225 = 0.017; float rounding of the normalization is ~1e-6.
    EXPECT_LT(max_diff, 1e-5) << images[k];
  }
}

}  // namespace
}  // namespace edgerun::vision
