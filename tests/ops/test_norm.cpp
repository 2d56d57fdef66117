// Normalization ops and Softmax / LogSoftmax / Hardmax against hand-computed values and naive
// implementations written here.
#include <gtest/gtest.h>

#include <cmath>

#include "ops/op_test_util.h"

namespace edgerun::testing {
namespace {

// Mean / biased variance of x[base + i * stride] for i in [0, n).
void stats(const float* x, int64_t base, int64_t n, int64_t stride, double* mean, double* var) {
  double s = 0, s2 = 0;
  for (int64_t i = 0; i < n; ++i) s += x[base + i * stride];
  *mean = s / static_cast<double>(n);
  for (int64_t i = 0; i < n; ++i) {
    const double d = x[base + i * stride] - *mean;
    s2 += d * d;
  }
  *var = s2 / static_cast<double>(n);
}

TEST(BatchNormalization, HandComputed) {
  // The ONNX example: x [[-1, 0, 1], [2, 3, 4]] as [1, 2, 1, 3].
  Tensor x = float_tensor({1, 2, 1, 3}, {-1, 0, 1, 2, 3, 4});
  Tensor s = float_tensor({2}, {1.0f, 1.5f}), b = float_tensor({2}, {0, 1});
  Tensor mean = float_tensor({2}, {0, 3}), var = float_tensor({2}, {1, 1.5f});
  OpTest t("BatchNormalization", 15);
  t.constant_inputs = {false, true, true, true, true};
  auto out = t.run({x, s, b, mean, var});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  const float e = 1e-5f;
  auto f = [&](float v, float sc, float bi, float m, float va) { return sc * (v - m) / std::sqrt(va + e) + bi; };
  expect_near((*out)[0],
              float_tensor({1, 2, 1, 3}, {f(-1, 1, 0, 0, 1), f(0, 1, 0, 0, 1), f(1, 1, 0, 0, 1),
                                          f(2, 1.5f, 1, 3, 1.5f), f(3, 1.5f, 1, 3, 1.5f), f(4, 1.5f, 1, 3, 1.5f)}),
              1e-5f);
}

TEST(BatchNormalization, MatchesNaiveAllRanks) {
  for (const Shape& xs : std::vector<Shape>{{3, 5}, {2, 7, 9}, {2, 3, 4, 5}, {1, 3, 2, 3, 4}}) {
    SCOPED_TRACE(shape_str(xs));
    const int64_t c = xs[1];
    Tensor x = random_tensor(xs, 1), s = random_tensor({c}, 2), b = random_tensor({c}, 3);
    Tensor mean = random_tensor({c}, 4), var = random_tensor({c}, 5, 0.1f, 2.0f);
    for (int64_t opset : {6, 9, 14}) {
      OpTest t("BatchNormalization", opset);
      t.attr_float("epsilon", 1e-3f);
      if (opset < 7) t.attr_int("is_test", 1);
      auto out = t.run({x, s, b, mean, var});
      ASSERT_TRUE(out.ok()) << out.status().to_string();
      const int64_t spatial = x.numel() / (xs[0] * c);
      Tensor want = Tensor::empty(DType::kFloat32, xs);
      for (int64_t i = 0; i < x.numel(); ++i) {
        const int64_t ch = (i / spatial) % c;
        want.data<float>()[i] = s.data<float>()[ch] * (x.data<float>()[i] - mean.data<float>()[ch]) /
                                    std::sqrt(var.data<float>()[ch] + 1e-3f) + b.data<float>()[ch];
      }
      expect_near((*out)[0], want, 1e-4f);
    }
  }
}

TEST(BatchNormalization, TrainingMode) {
  // Normalizes with the batch statistics; running stats = input * momentum + batch * (1 - momentum).
  const Shape xs = {3, 2, 2, 3};
  Tensor x = random_tensor(xs, 81), s = random_tensor({2}, 82), b = random_tensor({2}, 83);
  Tensor mean = random_tensor({2}, 84), var = random_tensor({2}, 85, 0.5f, 1.5f);
  OpTest t("BatchNormalization", 15);
  t.attr_int("training_mode", 1).attr_float("momentum", 0.8f).attr_float("epsilon", 1e-2f);
  t.num_outputs = 3;
  auto out = t.run({x, s, b, mean, var});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  for (int64_t c = 0; c < 2; ++c) {
    double sum = 0, sq = 0;
    for (int64_t n = 0; n < 3; ++n)
      for (int64_t k = 0; k < 6; ++k) sum += x.data<float>()[(n * 2 + c) * 6 + k];
    const double m = sum / 18;
    for (int64_t n = 0; n < 3; ++n)
      for (int64_t k = 0; k < 6; ++k) sq += std::pow(x.data<float>()[(n * 2 + c) * 6 + k] - m, 2);
    const double v = sq / 18;
    for (int64_t n = 0; n < 3; ++n)
      for (int64_t k = 0; k < 6; ++k) {
        const int64_t f = (n * 2 + c) * 6 + k;
        EXPECT_NEAR((*out)[0].data<float>()[f],
                    (x.data<float>()[f] - m) / std::sqrt(v + 1e-2) * s.data<float>()[c] + b.data<float>()[c], 1e-5);
      }
    EXPECT_NEAR((*out)[1].data<float>()[c], mean.data<float>()[c] * 0.8 + m * 0.2, 1e-6);
    EXPECT_NEAR((*out)[2].data<float>()[c], var.data<float>()[c] * 0.8 + v * 0.2, 1e-6);
  }
}

TEST(BatchNormalization, Errors) {
  Tensor x = random_tensor({1, 3, 2, 2});
  Tensor p3 = random_tensor({3}), p2 = random_tensor({2});
  {
    OpTest t("BatchNormalization", 9);  // training outputs before opset 14
    t.num_outputs = 3;
    auto out = t.run({x, p3, p3, p3, p3});
    ASSERT_FALSE(out.ok());
    EXPECT_EQ(out.status().code(), StatusCode::kUnsupported);
  }
  {
    OpTest t("BatchNormalization", 15);  // running stats without training_mode
    t.num_outputs = 3;
    EXPECT_FALSE(t.run({x, p3, p3, p3, p3}).ok());
  }
  {
    OpTest t("BatchNormalization", 15);  // wrong channel count
    EXPECT_FALSE(t.run({x, p3, p2, p3, p3}).ok());
  }
  {
    OpTest t("BatchNormalization", 15);  // missing inputs
    EXPECT_FALSE(t.run({x, p3, p3}).ok());
  }
}

// LayerNormalization over dims [axis:], with Mean and InvStdDev outputs.
TEST(LayerNormalization, MatchesNaive) {
  const Shape xs = {2, 3, 4, 5};
  Tensor x = random_tensor(xs, 11);
  for (int64_t axis : {-1, -2, 0, 1, 3}) {
    SCOPED_TRACE(str_cat("axis=", axis));
    const int64_t a = axis < 0 ? axis + 4 : axis;
    Shape ns(xs.begin() + a, xs.end());
    const int64_t inner = shape_numel(ns), outer = x.numel() / inner;
    Tensor s = random_tensor(ns, 12), b = random_tensor(ns, 13);
    OpTest t("LayerNormalization", 17);
    t.attr_int("axis", axis).attr_float("epsilon", 1e-4f);
    t.num_outputs = 3;
    auto out = t.run({x, s, b});
    ASSERT_TRUE(out.ok()) << out.status().to_string();
    Shape stat_shape = xs;
    for (int64_t d = a; d < 4; ++d) stat_shape[static_cast<size_t>(d)] = 1;
    Tensor want = Tensor::empty(DType::kFloat32, xs);
    Tensor want_mean = Tensor::empty(DType::kFloat32, stat_shape), want_inv = Tensor::empty(DType::kFloat32, stat_shape);
    for (int64_t o = 0; o < outer; ++o) {
      double m, v;
      stats(x.data<float>(), o * inner, inner, 1, &m, &v);
      const double inv = 1.0 / std::sqrt(v + 1e-4);
      want_mean.data<float>()[o] = static_cast<float>(m);
      want_inv.data<float>()[o] = static_cast<float>(inv);
      for (int64_t j = 0; j < inner; ++j)
        want.data<float>()[o * inner + j] =
            static_cast<float>((x.data<float>()[o * inner + j] - m) * inv * s.data<float>()[j] + b.data<float>()[j]);
    }
    expect_near((*out)[0], want, 1e-4f);
    expect_near((*out)[1], want_mean, 1e-5f);
    expect_near((*out)[2], want_inv, 1e-3f);
  }
}

TEST(LayerNormalization, BroadcastScaleNoBias) {
  Tensor x = random_tensor({3, 4, 6}, 21), s = random_tensor({1, 6}, 22);
  OpTest t("LayerNormalization", 17);
  t.attr_int("axis", 1);
  auto out = t.run({x, s});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  for (int64_t o = 0; o < 3; ++o) {
    double m, v;
    stats(x.data<float>(), o * 24, 24, 1, &m, &v);
    for (int64_t j = 0; j < 24; ++j) {
      const double want = (x.data<float>()[o * 24 + j] - m) / std::sqrt(v + 1e-5) * s.data<float>()[j % 6];
      EXPECT_NEAR((*out)[0].data<float>()[o * 24 + j], want, 1e-4);
    }
  }
  OpTest bad("LayerNormalization", 17);
  bad.attr_int("axis", 1);
  EXPECT_FALSE(bad.run({x, random_tensor({5})}).ok());  // scale not broadcastable
  OpTest bad_axis("LayerNormalization", 17);
  bad_axis.attr_int("axis", 3);
  EXPECT_FALSE(bad_axis.run({x, s}).ok());
}

// Statistics per (n, group of channels) over channels-in-group x spatial.
Tensor naive_group_norm(const Tensor& x, const Tensor& s, const Tensor& b, int64_t groups, bool per_group, float eps) {
  const Shape& xs = x.shape();
  const int64_t n = xs[0], c = xs[1], sp = x.numel() / (n * c), cg = c / groups;
  Tensor y = Tensor::empty(DType::kFloat32, xs);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t g = 0; g < groups; ++g) {
      double m, v;
      stats(x.data<float>(), (i * c + g * cg) * sp, cg * sp, 1, &m, &v);
      for (int64_t ch = g * cg; ch < (g + 1) * cg; ++ch)
        for (int64_t k = 0; k < sp; ++k) {
          const int64_t f = (i * c + ch) * sp + k;
          const int64_t p = per_group ? g : ch;
          y.data<float>()[f] =
              static_cast<float>((x.data<float>()[f] - m) / std::sqrt(v + eps) * s.data<float>()[p] + b.data<float>()[p]);
        }
    }
  return y;
}

TEST(InstanceNormalization, MatchesNaive) {
  Tensor x = random_tensor({2, 3, 5, 7}, 31), s = random_tensor({3}, 32), b = random_tensor({3}, 33);
  OpTest t("InstanceNormalization", 6);
  t.attr_float("epsilon", 1e-3f);
  auto out = t.run({x, s, b});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  expect_near((*out)[0], naive_group_norm(x, s, b, 3, false, 1e-3f), 1e-4f);
  OpTest bad("InstanceNormalization", 6);
  EXPECT_FALSE(bad.run({x, random_tensor({2}), b}).ok());
}

TEST(GroupNormalization, Opset18And21) {
  Tensor x = random_tensor({2, 6, 3, 5}, 41);
  {
    Tensor s = random_tensor({3}, 42), b = random_tensor({3}, 43);  // per group (opset 18)
    OpTest t("GroupNormalization", 18);
    t.attr_int("num_groups", 3);
    auto out = t.run({x, s, b});
    ASSERT_TRUE(out.ok()) << out.status().to_string();
    expect_near((*out)[0], naive_group_norm(x, s, b, 3, true, 1e-5f), 1e-4f);
  }
  {
    Tensor s = random_tensor({6}, 44), b = random_tensor({6}, 45);  // per channel (opset 21)
    OpTest t("GroupNormalization", 21);
    t.attr_int("num_groups", 2).attr_float("epsilon", 1e-2f);
    auto out = t.run({x, s, b});
    ASSERT_TRUE(out.ok()) << out.status().to_string();
    expect_near((*out)[0], naive_group_norm(x, s, b, 2, false, 1e-2f), 1e-4f);
  }
  {
    OpTest t("GroupNormalization", 21);
    t.attr_int("num_groups", 4);  // 6 channels not divisible by 4
    EXPECT_FALSE(t.run({x, random_tensor({6}), random_tensor({6})}).ok());
  }
  {
    OpTest t("GroupNormalization", 21);
    t.attr_int("num_groups", 3);  // opset 21 wants per-channel scale
    EXPECT_FALSE(t.run({x, random_tensor({3}), random_tensor({3})}).ok());
  }
}

TEST(LRN, MatchesNaive) {
  Tensor x = random_tensor({2, 7, 3, 4}, 51);
  for (int64_t size : {1, 2, 3, 5}) {
    SCOPED_TRACE(str_cat("size=", size));
    OpTest t("LRN", 13);
    t.attr_int("size", size).attr_float("alpha", 0.01f).attr_float("beta", 0.6f).attr_float("bias", 2.0f);
    auto out = t.run({x});
    ASSERT_TRUE(out.ok()) << out.status().to_string();
    Tensor want = Tensor::empty(DType::kFloat32, x.shape());
    const int64_t c = 7, sp = 12;
    for (int64_t n = 0; n < 2; ++n)
      for (int64_t ch = 0; ch < c; ++ch)
        for (int64_t k = 0; k < sp; ++k) {
          double sq = 0;
          const int64_t lo = ch - (size - 1) / 2, hi = ch + (size - 1) - (size - 1) / 2;
          for (int64_t j = std::max<int64_t>(lo, 0); j <= std::min<int64_t>(hi, c - 1); ++j) {
            const double v = x.data<float>()[(n * c + j) * sp + k];
            sq += v * v;
          }
          const int64_t f = (n * c + ch) * sp + k;
          want.data<float>()[f] = static_cast<float>(x.data<float>()[f] / std::pow(2.0 + 0.01 / size * sq, 0.6));
        }
    expect_near((*out)[0], want, 1e-5f);
  }
  OpTest bad("LRN", 13);  // size is required
  EXPECT_FALSE(bad.run({x}).ok());
}

TEST(MeanVarianceNormalization, DefaultAndCustomAxes) {
  Tensor x = random_tensor({2, 3, 4, 5}, 61);
  {
    OpTest t("MeanVarianceNormalization", 13);  // axes [0, 2, 3]: per channel
    auto out = t.run({x});
    ASSERT_TRUE(out.ok()) << out.status().to_string();
    for (int64_t c = 0; c < 3; ++c) {
      double s = 0, s2 = 0;
      for (int64_t n = 0; n < 2; ++n)
        for (int64_t k = 0; k < 20; ++k) s += x.data<float>()[(n * 3 + c) * 20 + k];
      const double m = s / 40;
      for (int64_t n = 0; n < 2; ++n)
        for (int64_t k = 0; k < 20; ++k) s2 += std::pow(x.data<float>()[(n * 3 + c) * 20 + k] - m, 2);
      const double sd = std::sqrt(s2 / 40);
      for (int64_t n = 0; n < 2; ++n)
        for (int64_t k = 0; k < 20; ++k) {
          const int64_t f = (n * 3 + c) * 20 + k;
          EXPECT_NEAR((*out)[0].data<float>()[f], (x.data<float>()[f] - m) / (sd + 1e-9), 1e-4);
        }
    }
  }
  {
    OpTest t("MeanVarianceNormalization", 13);
    t.attr_ints("axes", {-1});  // along the last dim
    auto out = t.run({x});
    ASSERT_TRUE(out.ok()) << out.status().to_string();
    for (int64_t r = 0; r < 24; ++r) {
      double m, v;
      stats(x.data<float>(), r * 5, 5, 1, &m, &v);
      for (int64_t k = 0; k < 5; ++k)
        EXPECT_NEAR((*out)[0].data<float>()[r * 5 + k], (x.data<float>()[r * 5 + k] - m) / (std::sqrt(v) + 1e-9), 1e-4);
    }
  }
  OpTest bad("MeanVarianceNormalization", 13);
  bad.attr_ints("axes", {4});
  EXPECT_FALSE(bad.run({x}).ok());
}

// Softmax family: reference along a (outer, n, inner) view.
Tensor naive_softmax(const Tensor& x, int64_t outer, int64_t n, int64_t inner, int kind) {
  Tensor y = Tensor::empty(DType::kFloat32, x.shape());
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t s = 0; s < inner; ++s) {
      auto at = [&](int64_t i) { return (o * n + i) * inner + s; };
      double mx = -1e300, sum = 0;
      int64_t arg = 0;
      for (int64_t i = 0; i < n; ++i)
        if (x.data<float>()[at(i)] > mx) {
          mx = x.data<float>()[at(i)];
          arg = i;
        }
      for (int64_t i = 0; i < n; ++i) sum += std::exp(x.data<float>()[at(i)] - mx);
      for (int64_t i = 0; i < n; ++i) {
        const double v = x.data<float>()[at(i)];
        y.data<float>()[at(i)] = static_cast<float>(kind == 0   ? std::exp(v - mx) / sum
                                                    : kind == 1 ? v - mx - std::log(sum)
                                                                : (i == arg ? 1.0 : 0.0));
      }
    }
  return y;
}

TEST(Softmax, HandComputed) {
  Tensor x = float_tensor({1, 3}, {1, 2, 3});
  OpTest t("Softmax", 13);
  auto out = t.run({x});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  const double e1 = std::exp(-2.0), e2 = std::exp(-1.0), z = e1 + e2 + 1;
  expect_near((*out)[0], float_tensor({1, 3}, {float(e1 / z), float(e2 / z), float(1 / z)}), 1e-6f);
  // Large values must not overflow.
  OpTest t2("LogSoftmax", 13);
  auto out2 = t2.run({float_tensor({2}, {1000, 1001})});
  ASSERT_TRUE(out2.ok());
  EXPECT_NEAR((*out2)[0].data<float>()[1], -std::log1p(std::exp(-1.0)), 1e-5);
}

TEST(Softmax, OpsetSemantics) {
  const Shape xs = {2, 3, 4};
  Tensor x = random_tensor(xs, 71, -3, 3);
  const char* ops[] = {"Softmax", "LogSoftmax", "Hardmax"};
  for (int kind = 0; kind < 3; ++kind) {
    for (int64_t axis : {0, 1, 2, -1, -2}) {
      SCOPED_TRACE(str_cat(ops[kind], " axis=", axis));
      const int64_t a = axis < 0 ? axis + 3 : axis;
      int64_t outer = 1, inner = 1;
      for (int64_t d = 0; d < a; ++d) outer *= xs[static_cast<size_t>(d)];
      for (int64_t d = a + 1; d < 3; ++d) inner *= xs[static_cast<size_t>(d)];
      {
        OpTest t(ops[kind], 13);  // along one axis
        t.attr_int("axis", axis);
        auto out = t.run({x});
        ASSERT_TRUE(out.ok()) << out.status().to_string();
        expect_near((*out)[0], naive_softmax(x, outer, xs[static_cast<size_t>(a)], inner, kind), 1e-5f);
      }
      {
        OpTest t(ops[kind], 11);  // coerced to 2-D at axis
        t.attr_int("axis", axis);
        auto out = t.run({x});
        ASSERT_TRUE(out.ok()) << out.status().to_string();
        expect_near((*out)[0], naive_softmax(x, outer, x.numel() / outer, 1, kind), 1e-5f);
      }
    }
  }
  // Default axes: 1 before opset 13, -1 after.
  OpTest t11("Softmax", 11), t13("Softmax", 13);
  auto o11 = t11.run({x}), o13 = t13.run({x});
  ASSERT_TRUE(o11.ok() && o13.ok());
  expect_near((*o11)[0], naive_softmax(x, 2, 12, 1, 0), 1e-5f);
  expect_near((*o13)[0], naive_softmax(x, 6, 4, 1, 0), 1e-5f);
  OpTest bad("Softmax", 13);
  bad.attr_int("axis", 3);
  EXPECT_FALSE(bad.run({x}).ok());
}

}  // namespace
}  // namespace edgerun::testing
