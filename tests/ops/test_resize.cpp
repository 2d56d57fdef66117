// Resize / Upsample through the real planner, against hand-computed values.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "ops/op_test_util.h"

namespace edgerun::testing {
namespace {

Tensor i64(const std::vector<int64_t>& v) { return int64_tensor({static_cast<int64_t>(v.size())}, v); }
Tensor f32(const std::vector<float>& v) { return float_tensor({static_cast<int64_t>(v.size())}, v); }

std::vector<Tensor> run_ok(OpTest& t, const std::vector<Tensor>& in) {
  auto r = t.run(in);
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  return r.ok() ? *r : std::vector<Tensor>{};
}

void expect_values(const Tensor& got, const std::vector<float>& want, float tol = 1e-5f) {
  ASSERT_EQ(got.numel(), static_cast<int64_t>(want.size()));
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got.data<float>()[i], want[i], tol) << "at " << i;
}

TEST(Resize, NearestHalfPixelUpsample) {
  OpTest t("Resize", 19);
  auto out = run_ok(t, {float_tensor({1, 1, 2, 2}, {1, 2, 3, 4}), Tensor(), f32({1, 1, 2, 2})});
  ASSERT_EQ(out[0].shape(), (Shape{1, 1, 4, 4}));
  expect_values(out[0], {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4});
}

TEST(Resize, NearestModes) {
  // asymmetric: (a) sizes 3 from 5 -> x_original = x / 0.6 = 0, 1.67, 3.33;
  //             (b) scale 2 from 2 -> x_original = 0, 0.5, 1, 1.5 (ties decide round_prefer_*).
  struct Case {
    const char* mode;
    std::vector<float> a, b;
  };
  for (const Case& c :
       {Case{"round_prefer_floor", {0, 2, 3}, {0, 0, 1, 1}}, Case{"round_prefer_ceil", {0, 2, 3}, {0, 1, 1, 1}},
        Case{"floor", {0, 1, 3}, {0, 0, 1, 1}}, Case{"ceil", {0, 2, 4}, {0, 1, 1, 1}}}) {
    OpTest t("Resize", 13);
    t.attr_string("coordinate_transformation_mode", "asymmetric").attr_string("nearest_mode", c.mode);
    expect_values(run_ok(t, {f32({0, 1, 2, 3, 4}), Tensor(), Tensor(), i64({3})})[0], c.a);
    OpTest u("Resize", 13);
    u.attr_string("coordinate_transformation_mode", "asymmetric").attr_string("nearest_mode", c.mode);
    expect_values(run_ok(u, {f32({0, 1}), Tensor(), f32({2})})[0], c.b);
  }
}

TEST(Resize, LinearHalfPixelUpsample) {
  OpTest t("Resize", 13);
  t.attr_string("mode", "linear");
  auto out = run_ok(t, {float_tensor({1, 1, 2, 2}, {1, 2, 3, 4}), Tensor(), f32({1, 1, 2, 2})});
  expect_values(out[0], {1, 1.25f, 1.75f, 2, 1.5f, 1.75f, 2.25f, 2.5f, 2.5f, 2.75f, 3.25f, 3.5f, 3, 3.25f, 3.75f, 4});
}

TEST(Resize, LinearAlignCornersAndPytorchHalfPixel) {
  OpTest a("Resize", 13);
  a.attr_string("mode", "linear").attr_string("coordinate_transformation_mode", "align_corners");
  expect_values(run_ok(a, {f32({0, 3}), Tensor(), Tensor(), i64({4})})[0], {0, 1, 2, 3});
  OpTest p("Resize", 13);
  p.attr_string("mode", "linear").attr_string("coordinate_transformation_mode", "pytorch_half_pixel");
  // One output: x_original = 0 -> the first element.
  expect_values(run_ok(p, {f32({5, 7, 9}), Tensor(), Tensor(), i64({1})})[0], {5});
}

TEST(Resize, CubicAsymmetricAndExcludeOutside) {
  OpTest t("Resize", 13);
  t.attr_string("mode", "cubic").attr_string("coordinate_transformation_mode", "asymmetric");
  auto out = run_ok(t, {f32({1, 2, 4, 8}), Tensor(), f32({2})});
  // Keys kernel, a = -0.75: weights at t = 0.5 are (-0.09375, 0.59375, 0.59375, -0.09375).
  expect_values(out[0], {1, 1.3125f, 2, 2.71875f, 4, 6.1875f, 8, 8.375f});
  OpTest e("Resize", 13);
  e.attr_string("mode", "cubic").attr_string("coordinate_transformation_mode", "asymmetric");
  e.attr_int("exclude_outside", 1);
  auto o = run_ok(e, {f32({1, 2, 4, 8}), Tensor(), f32({2})});
  // x = 1: the tap at -1 is dropped and the rest renormalized: 1.40625 / 1.09375.
  EXPECT_NEAR(o[0].data<float>()[1], 1.40625f / 1.09375f, 1e-5f);
}

TEST(Resize, LinearAntialiasDownsample) {
  OpTest t("Resize", 18);
  t.attr_string("mode", "linear").attr_int("antialias", 1);
  auto out = run_ok(t, {f32({0, 1, 2, 3, 4, 5, 6, 7}), Tensor(), f32({0.5f})});
  // Tent filter stretched by 2: weights (1, 3, 3, 1) / 8 around x_original = 2x + 0.5, edges clamped.
  expect_values(out[0], {0.625f, 2.5f, 4.5f, 6.375f});
  OpTest plain("Resize", 18);
  plain.attr_string("mode", "linear");
  expect_values(run_ok(plain, {f32({0, 1, 2, 3, 4, 5, 6, 7}), Tensor(), f32({0.5f})})[0], {0.5f, 2.5f, 4.5f, 6.5f});
}

TEST(Resize, TfCropAndResizeExtrapolates) {
  OpTest t("Resize", 13);
  t.attr_string("mode", "linear").attr_string("coordinate_transformation_mode", "tf_crop_and_resize");
  t.attr_float("extrapolation_value", 99.0f);
  // roi [0.5, 1.5] over 4 elements: x_original = 1.5, 3.0, 4.5 (the last is outside).
  auto out = run_ok(t, {f32({0, 10, 20, 30}), f32({0.5f, 1.5f}), Tensor(), i64({3})});
  expect_values(out[0], {15, 30, 99});
}

TEST(Resize, SizesAxesAndKeepAspectRatio) {
  Tensor x = random_tensor({1, 1, 2, 4}, 3);
  OpTest nl("Resize", 18);
  nl.attr_ints("axes", {2, 3}).attr_string("keep_aspect_ratio_policy", "not_larger");
  auto a = run_ok(nl, {x, Tensor(), Tensor(), i64({4, 4})});
  EXPECT_EQ(a[0].shape(), (Shape{1, 1, 2, 4}));  // scale min(2, 1) = 1
  expect_near(a[0], x, 0.0f);
  OpTest ns("Resize", 18);
  ns.attr_ints("axes", {2, 3}).attr_string("keep_aspect_ratio_policy", "not_smaller");
  EXPECT_EQ(run_ok(ns, {x, Tensor(), Tensor(), i64({4, 4})})[0].shape(), (Shape{1, 1, 4, 8}));
  OpTest neg("Resize", 18);
  neg.attr_ints("axes", {-1});
  auto n = run_ok(neg, {float_tensor({2, 2}, {1, 2, 3, 4}), Tensor(), f32({2})});
  EXPECT_EQ(n[0].shape(), (Shape{2, 4}));
  expect_values(n[0], {1, 1, 2, 2, 3, 3, 4, 4});
}

TEST(Resize, IntegerDtypesAndZeroSize) {
  OpTest t("Resize", 13);
  Tensor x = Tensor::from_vector<uint8_t>(DType::kUInt8, {2}, {10, 20});
  auto out = run_ok(t, {x, Tensor(), f32({2})});
  EXPECT_EQ(std::vector<uint8_t>(out[0].data<uint8_t>(), out[0].data<uint8_t>() + 4),
            (std::vector<uint8_t>{10, 10, 20, 20}));
  OpTest lin("Resize", 13);
  lin.attr_string("mode", "linear");
  auto l = run_ok(lin, {x, Tensor(), f32({2})});
  // 12.5 and 17.5 round to nearest even-or-away: check they are within 1 of the real value.
  EXPECT_EQ(l[0].data<uint8_t>()[0], 10);
  EXPECT_NEAR(l[0].data<uint8_t>()[1], 12.5, 0.6);
  OpTest z("Resize", 13);
  EXPECT_EQ(run_ok(z, {Tensor::empty(DType::kFloat32, {0, 2}), Tensor(), f32({1, 2})})[0].shape(), (Shape{0, 4}));
}

TEST(Resize, LegacyOpset10AndUpsample) {
  OpTest r10("Resize", 10);
  // scale 0.6 on 5 -> 3 outputs, x_original = x / 0.6; downsampling rounds up: 0, 2, 4.
  expect_values(run_ok(r10, {f32({0, 1, 2, 3, 4}), f32({0.6f})})[0], {0, 2, 4});
  OpTest u7("Upsample", 7);
  u7.attr_floats("scales", {1, 2});
  expect_values(run_ok(u7, {float_tensor({2, 2}, {1, 2, 3, 4})})[0], {1, 1, 2, 2, 3, 3, 4, 4});
  OpTest u9("Upsample", 9);
  u9.attr_string("mode", "linear");
  expect_values(run_ok(u9, {float_tensor({1, 2}, {1, 3}), f32({1, 2})})[0], {1, 2, 3, 3});
}

TEST(Resize, Errors) {
  OpTest both("Resize", 13);
  EXPECT_FALSE(both.run({f32({1, 2}), Tensor(), f32({2}), i64({4})}).ok());
  OpTest neither("Resize", 13);
  EXPECT_FALSE(neither.run({f32({1, 2}), Tensor(), Tensor(), Tensor()}).ok());
  OpTest neg("Resize", 13);
  EXPECT_FALSE(neg.run({f32({1, 2}), Tensor(), f32({-1})}).ok());
  OpTest count("Resize", 13);
  EXPECT_FALSE(count.run({f32({1, 2}), Tensor(), Tensor(), i64({4, 4})}).ok());
  OpTest mode("Resize", 13);
  mode.attr_string("mode", "bicubic");
  EXPECT_FALSE(mode.run({f32({1, 2}), Tensor(), f32({2})}).ok());
  OpTest coord("Resize", 13);
  coord.attr_string("coordinate_transformation_mode", "nope");
  EXPECT_FALSE(coord.run({f32({1, 2}), Tensor(), f32({2})}).ok());
  OpTest roi("Resize", 13);
  roi.attr_string("coordinate_transformation_mode", "tf_crop_and_resize");
  EXPECT_FALSE(roi.run({f32({1, 2}), Tensor(), Tensor(), i64({4})}).ok());
}

// Direct 2-D evaluation (all taps at once, not axis by axis) of half_pixel linear / cubic resizing with
// edge clamping, as an independent check of the separable passes.
double keys_cubic(double x, double a) {
  x = std::fabs(x);
  if (x <= 1) return (a + 2) * x * x * x - (a + 3) * x * x + 1;
  if (x < 2) return a * x * x * x - 5 * a * x * x + 8 * a * x - 4 * a;
  return 0;
}

std::vector<float> direct_resize_2d(const Tensor& x, int64_t oh, int64_t ow, bool cubic) {
  const int64_t h = x.dim(0), w = x.dim(1);
  const double sy = static_cast<double>(oh) / static_cast<double>(h),
               sx = static_cast<double>(ow) / static_cast<double>(w);
  std::vector<float> out;
  for (int64_t i = 0; i < oh; ++i) {
    for (int64_t j = 0; j < ow; ++j) {
      const double yo = (static_cast<double>(i) + 0.5) / sy - 0.5, xo = (static_cast<double>(j) + 0.5) / sx - 0.5;
      const int64_t y0 = static_cast<int64_t>(std::floor(yo)), x0 = static_cast<int64_t>(std::floor(xo));
      double acc = 0;
      const int lo = cubic ? -1 : 0, hi = cubic ? 2 : 1;
      for (int dy = lo; dy <= hi; ++dy) {
        for (int dx = lo; dx <= hi; ++dx) {
          const int64_t yy = y0 + dy, xx = x0 + dx;
          const double wy = cubic ? keys_cubic(yo - static_cast<double>(yy), -0.75)
                                  : std::max(0.0, 1 - std::fabs(yo - static_cast<double>(yy)));
          const double wx = cubic ? keys_cubic(xo - static_cast<double>(xx), -0.75)
                                  : std::max(0.0, 1 - std::fabs(xo - static_cast<double>(xx)));
          const int64_t cy = std::min(std::max<int64_t>(yy, 0), h - 1), cx = std::min(std::max<int64_t>(xx, 0), w - 1);
          acc += wy * wx * x.data<float>()[cy * w + cx];
        }
      }
      out.push_back(static_cast<float>(acc));
    }
  }
  return out;
}

TEST(Resize, SeparablePassesMatchDirect2D) {
  struct Case {
    Shape in;
    int64_t oh, ow;
  };
  for (const Case& c : {Case{{5, 7}, 9, 4}, Case{{3, 3}, 7, 11}, Case{{8, 6}, 3, 5}, Case{{1, 4}, 2, 9}}) {
    Tensor x = random_tensor(c.in, 4);
    for (bool cubic : {false, true}) {
      OpTest t("Resize", 19);
      t.attr_string("mode", cubic ? "cubic" : "linear");
      auto out = run_ok(t, {x, Tensor(), Tensor(), i64({c.oh, c.ow})});
      ASSERT_EQ(out.size(), 1u);
      ASSERT_EQ(out[0].shape(), (Shape{c.oh, c.ow}));
      expect_values(out[0], direct_resize_2d(x, c.oh, c.ow, cubic), 1e-5f);
    }
  }
}

}  // namespace
}  // namespace edgerun::testing
