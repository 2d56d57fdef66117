// MaxPool / AveragePool / LpPool / Global*Pool against hand-computed values and a naive
// implementation on random data (1-D/2-D/3-D, ceil_mode, dilations, asymmetric pads, auto_pad).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "ops/op_test_util.h"

namespace edgerun::testing {
namespace {

enum class Kind { kMax, kAvg, kLp };

struct PoolSpec {
  Shape x;
  std::vector<int64_t> kernel{}, strides{}, dilations{}, pads{};  // empty = default
  bool ceil_mode = false;
  bool count_include_pad = false;
  int64_t p = 2;
};

// Output size along one axis, per the ONNX formula, dropping a last window that starts in the end pad.
int64_t out_size(int64_t in, int64_t k, int64_t s, int64_t d, int64_t pb, int64_t pe, bool ceil_mode) {
  const double span = static_cast<double>(in + pb + pe - ((k - 1) * d + 1));
  int64_t o = static_cast<int64_t>(ceil_mode ? std::ceil(span / s) : std::floor(span / s)) + 1;
  if (ceil_mode && (o - 1) * s >= in + pb) --o;
  return o;
}

// Naive pooling: loops over every tap of every window, checking bounds per tap.
// Returns Y and (for max) the row-major flat argmax index.
std::pair<Tensor, Tensor> naive_pool(Kind kind, const PoolSpec& s, const Tensor& x) {
  const size_t r = s.x.size() - 2;
  auto def = [&](const std::vector<int64_t>& v, int64_t d, size_t n) { return v.empty() ? std::vector<int64_t>(n, d) : v; };
  std::vector<int64_t> st = def(s.strides, 1, r), dl = def(s.dilations, 1, r), pd = def(s.pads, 0, 2 * r);
  // Treat everything as 3-D.
  int64_t in[3] = {1, 1, 1}, k[3] = {1, 1, 1}, str[3] = {1, 1, 1}, dil[3] = {1, 1, 1}, pb[3] = {0, 0, 0},
          pe[3] = {0, 0, 0}, out[3] = {1, 1, 1};
  Shape out_shape = {s.x[0], s.x[1]};
  for (size_t i = 0; i < r; ++i) {
    const size_t a = 3 - r + i;
    in[a] = s.x[2 + i];
    k[a] = s.kernel[i];
    str[a] = st[i];
    dil[a] = dl[i];
    pb[a] = pd[i];
    pe[a] = pd[r + i];
    out[a] = out_size(in[a], k[a], str[a], dil[a], pb[a], pe[a], s.ceil_mode);
    out_shape.push_back(out[a]);
  }
  Tensor y = Tensor::empty(DType::kFloat32, out_shape);
  Tensor idx = Tensor::empty(DType::kInt64, out_shape);
  const int64_t planes = s.x[0] * s.x[1], pin = in[0] * in[1] * in[2];
  int64_t o = 0;
  for (int64_t pl = 0; pl < planes; ++pl)
    for (int64_t oz = 0; oz < out[0]; ++oz)
      for (int64_t oy = 0; oy < out[1]; ++oy)
        for (int64_t ox = 0; ox < out[2]; ++ox, ++o) {
          double sum = 0.0;
          float best = -std::numeric_limits<float>::infinity();
          int64_t best_i = -1, valid = 0, padded = 0;
          for (int64_t kz = 0; kz < k[0]; ++kz)
            for (int64_t ky = 0; ky < k[1]; ++ky)
              for (int64_t kx = 0; kx < k[2]; ++kx) {
                const int64_t iz = oz * str[0] - pb[0] + kz * dil[0];
                const int64_t iy = oy * str[1] - pb[1] + ky * dil[1];
                const int64_t ix = ox * str[2] - pb[2] + kx * dil[2];
                const bool in_pad = iz >= -pb[0] && iz < in[0] + pe[0] && iy >= -pb[1] && iy < in[1] + pe[1] &&
                                    ix >= -pb[2] && ix < in[2] + pe[2];
                padded += in_pad;
                if (iz < 0 || iz >= in[0] || iy < 0 || iy >= in[1] || ix < 0 || ix >= in[2]) continue;
                ++valid;
                const int64_t fi = pl * pin + (iz * in[1] + iy) * in[2] + ix;
                const float v = x.data<float>()[fi];
                if (kind == Kind::kMax && (best_i < 0 || v > best)) {
                  best = v;
                  best_i = fi;
                }
                sum += kind == Kind::kLp ? std::pow(std::fabs(v), static_cast<double>(s.p)) : v;
              }
          float res = 0.0f;
          if (kind == Kind::kMax) res = best;
          if (kind == Kind::kAvg) res = static_cast<float>(sum / static_cast<double>(s.count_include_pad ? padded : valid));
          if (kind == Kind::kLp) res = static_cast<float>(std::pow(sum, 1.0 / static_cast<double>(s.p)));
          y.data<float>()[o] = res;
          idx.data<int64_t>()[o] = best_i;
        }
  return {y, idx};
}

const char* op_name(Kind k) { return k == Kind::kMax ? "MaxPool" : k == Kind::kAvg ? "AveragePool" : "LpPool"; }

void check_pool(Kind kind, const PoolSpec& s, uint32_t seed) {
  SCOPED_TRACE(std::string(op_name(kind)) + " " + shape_str(s.x));
  Tensor x = random_tensor(s.x, seed, -3.0f, 3.0f);
  OpTest t(op_name(kind), 19);
  t.attr_ints("kernel_shape", s.kernel);
  if (!s.strides.empty()) t.attr_ints("strides", s.strides);
  if (!s.dilations.empty()) t.attr_ints("dilations", s.dilations);
  if (!s.pads.empty()) t.attr_ints("pads", s.pads);
  if (s.ceil_mode) t.attr_int("ceil_mode", 1);
  if (kind == Kind::kAvg && s.count_include_pad) t.attr_int("count_include_pad", 1);
  if (kind == Kind::kLp) t.attr_int("p", s.p);
  if (kind == Kind::kMax) t.num_outputs = 2;
  auto out = t.run({x});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  auto [want, want_idx] = naive_pool(kind, s, x);
  expect_near((*out)[0], want, 1e-4f);
  if (kind == Kind::kMax) {
    ASSERT_EQ((*out)[1].shape(), want_idx.shape());
    for (int64_t i = 0; i < want_idx.numel(); ++i)
      ASSERT_EQ((*out)[1].data<int64_t>()[i], want_idx.data<int64_t>()[i]) << "index at " << i;
  }
}

const std::vector<PoolSpec>& pool_specs() {
  static const std::vector<PoolSpec> specs = {
      {{1, 1, 7, 7}, {3, 3}},
      {{2, 3, 7, 5}, {3, 2}, {2, 1}, {}, {1, 0, 1, 1}},
      {{1, 2, 9, 8}, {3, 3}, {2, 2}, {}, {}, true},                      // ceil_mode
      {{1, 2, 6, 6}, {3, 3}, {2, 2}, {}, {1, 1, 1, 1}, true, true},      // ceil + count_include_pad
      {{1, 3, 11, 10}, {2, 3}, {2, 3}, {2, 2}, {1, 2, 0, 1}, true},      // dilations + asymmetric pads
      {{1, 3, 11, 10}, {2, 3}, {2, 3}, {2, 2}, {1, 2, 0, 1}, false, true},
      {{1, 1, 1, 1}, {1, 1}},
      {{2, 3, 17}, {4}, {3}, {2}, {1, 2}, true},                         // 1-D
      {{1, 2, 5, 6, 7}, {2, 3, 2}, {2, 1, 2}, {1, 2, 1}, {1, 0, 1, 0, 1, 1}, true, true},  // 3-D
      {{1, 2, 4, 5, 3}, {3, 3, 3}, {}, {}, {1, 1, 1, 1, 1, 1}},
  };
  return specs;
}

TEST(MaxPool, MatchesNaive) {
  uint32_t seed = 1;
  for (const PoolSpec& s : pool_specs()) check_pool(Kind::kMax, s, seed++);
}

TEST(AveragePool, MatchesNaive) {
  uint32_t seed = 100;
  for (const PoolSpec& s : pool_specs()) check_pool(Kind::kAvg, s, seed++);
}

TEST(LpPool, MatchesNaive) {
  uint32_t seed = 200;
  for (PoolSpec s : pool_specs()) {
    check_pool(Kind::kLp, s, seed++);
    s.p = 3;
    check_pool(Kind::kLp, s, seed++);
  }
}

TEST(MaxPool, HandComputedWithIndices) {
  // 1x1x4x4 ramp, 2x2 kernel stride 2 -> maxima at the bottom-right of each block.
  std::vector<float> v(16);
  for (int i = 0; i < 16; ++i) v[static_cast<size_t>(i)] = static_cast<float>(i);
  OpTest t("MaxPool", 12);
  t.attr_ints("kernel_shape", {2, 2}).attr_ints("strides", {2, 2});
  t.num_outputs = 2;
  auto out = t.run({float_tensor({1, 1, 4, 4}, v)});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  expect_near((*out)[0], float_tensor({1, 1, 2, 2}, {5, 7, 13, 15}), 0.0f);
  EXPECT_EQ((*out)[1].data<int64_t>()[0], 5);
  EXPECT_EQ((*out)[1].data<int64_t>()[3], 15);

  // storage_order = 1: column-major index h + w * H within the plane.
  OpTest t2("MaxPool", 12);
  t2.attr_ints("kernel_shape", {2, 2}).attr_ints("strides", {2, 2}).attr_int("storage_order", 1);
  t2.num_outputs = 2;
  auto out2 = t2.run({float_tensor({1, 1, 4, 4}, v)});
  ASSERT_TRUE(out2.ok()) << out2.status().to_string();
  // value 5 at (h=1, w=1) -> 1 + 1*4 = 5; value 7 at (1, 3) -> 13; 13 at (3, 1) -> 7; 15 at (3, 3) -> 15
  const int64_t* idx = (*out2)[1].data<int64_t>();
  EXPECT_EQ(idx[0], 5);
  EXPECT_EQ(idx[1], 13);
  EXPECT_EQ(idx[2], 7);
  EXPECT_EQ(idx[3], 15);
}

TEST(MaxPool, Uint8) {
  Tensor x = Tensor::from_vector<uint8_t>(DType::kUInt8, {1, 1, 2, 3}, {1, 200, 3, 255, 5, 6});
  OpTest t("MaxPool", 12);
  t.attr_ints("kernel_shape", {2, 2});
  auto out = t.run({x});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  ASSERT_EQ((*out)[0].dtype(), DType::kUInt8);
  EXPECT_EQ((*out)[0].data<uint8_t>()[0], 255);
  EXPECT_EQ((*out)[0].data<uint8_t>()[1], 200);
}

TEST(AveragePool, HandComputedPads) {
  // 1x1x3x3 ramp 1..9, 2x2 kernel, pads 1 on every side, stride 2.
  Tensor x = float_tensor({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  OpTest t("AveragePool", 11);
  t.attr_ints("kernel_shape", {2, 2}).attr_ints("strides", {2, 2}).attr_ints("pads", {1, 1, 1, 1});
  auto out = t.run({x});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  // windows: {1} {2,3} {4,7} {5,6,8,9}
  expect_near((*out)[0], float_tensor({1, 1, 2, 2}, {1, 2.5f, 5.5f, 7}), 1e-6f);
  OpTest t2("AveragePool", 11);
  t2.attr_ints("kernel_shape", {2, 2}).attr_ints("strides", {2, 2}).attr_ints("pads", {1, 1, 1, 1});
  t2.attr_int("count_include_pad", 1);
  auto out2 = t2.run({x});
  ASSERT_TRUE(out2.ok()) << out2.status().to_string();
  expect_near((*out2)[0], float_tensor({1, 1, 2, 2}, {0.25f, 1.25f, 2.75f, 7}), 1e-6f);
}

TEST(AveragePool, AutoPadSame) {
  Tensor x = random_tensor({1, 2, 7, 5}, 5);
  // kernel 3x2, stride 2: out [4, 3]; total pads [2, 1] -> SAME_UPPER begin [1, 0] end [1, 1],
  // SAME_LOWER begin [1, 1] end [1, 0]
  OpTest t("AveragePool", 11);
  t.attr_ints("kernel_shape", {3, 2}).attr_ints("strides", {2, 2}).attr_string("auto_pad", "SAME_UPPER");
  auto out = t.run({x});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  auto [want, unused] = naive_pool(Kind::kAvg, {{1, 2, 7, 5}, {3, 2}, {2, 2}, {}, {1, 0, 1, 1}}, x);
  expect_near((*out)[0], want, 1e-5f);
  OpTest t2("AveragePool", 11);
  t2.attr_ints("kernel_shape", {3, 2}).attr_ints("strides", {2, 2}).attr_string("auto_pad", "SAME_LOWER");
  auto out2 = t2.run({x});
  ASSERT_TRUE(out2.ok()) << out2.status().to_string();
  auto [want2, unused2] = naive_pool(Kind::kAvg, {{1, 2, 7, 5}, {3, 2}, {2, 2}, {}, {1, 1, 1, 0}}, x);
  expect_near((*out2)[0], want2, 1e-5f);
}

TEST(GlobalPools, HandComputed) {
  Tensor x = float_tensor({1, 2, 2, 2}, {1, 2, 3, 4, -1, -5, 2, 0});
  {
    OpTest t("GlobalAveragePool");
    auto out = t.run({x});
    ASSERT_TRUE(out.ok()) << out.status().to_string();
    expect_near((*out)[0], float_tensor({1, 2, 1, 1}, {2.5f, -1.0f}), 1e-6f);
  }
  {
    OpTest t("GlobalMaxPool");
    auto out = t.run({x});
    ASSERT_TRUE(out.ok()) << out.status().to_string();
    expect_near((*out)[0], float_tensor({1, 2, 1, 1}, {4, 2}), 0.0f);
  }
  {
    OpTest t("GlobalLpPool");
    auto out = t.run({x});
    ASSERT_TRUE(out.ok()) << out.status().to_string();
    expect_near((*out)[0], float_tensor({1, 2, 1, 1}, {std::sqrt(30.0f), std::sqrt(30.0f)}), 1e-5f);
  }
  {
    OpTest t("GlobalAveragePool");  // 3-D spatial
    Tensor x3 = random_tensor({2, 3, 2, 3, 4}, 9);
    auto out = t.run({x3});
    ASSERT_TRUE(out.ok()) << out.status().to_string();
    ASSERT_EQ((*out)[0].shape(), (Shape{2, 3, 1, 1, 1}));
    for (int64_t c = 0; c < 6; ++c) {
      double s = 0;
      for (int64_t i = 0; i < 24; ++i) s += x3.data<float>()[c * 24 + i];
      EXPECT_NEAR((*out)[0].data<float>()[c], s / 24, 1e-5);
    }
  }
}

TEST(Pool, Errors) {
  Tensor x = random_tensor({1, 2, 5, 5});
  {
    OpTest t("MaxPool");  // kernel_shape missing
    EXPECT_FALSE(t.run({x}).ok());
  }
  {
    OpTest t("MaxPool");
    t.attr_ints("kernel_shape", {3});  // wrong count
    EXPECT_FALSE(t.run({x}).ok());
  }
  {
    OpTest t("AveragePool");
    t.attr_ints("kernel_shape", {7, 7});  // bigger than input
    EXPECT_FALSE(t.run({x}).ok());
  }
  {
    OpTest t("MaxPool");
    t.attr_ints("kernel_shape", {2, 2}).attr_ints("pads", {-1, 0, 0, 0});
    EXPECT_FALSE(t.run({x}).ok());
  }
  {
    OpTest t("MaxPool");
    t.attr_ints("kernel_shape", {2, 2}).attr_int("storage_order", 2);
    EXPECT_FALSE(t.run({x}).ok());
  }
  {
    OpTest t("GlobalAveragePool");  // rank 2
    EXPECT_FALSE(t.run({random_tensor({2, 3})}).ok());
  }
  {
    OpTest t("AveragePool");  // 8-bit input is MaxPool only
    t.attr_ints("kernel_shape", {2, 2});
    EXPECT_FALSE(t.run({Tensor::empty(DType::kUInt8, {1, 1, 4, 4})}).ok());
  }
  {
    OpTest t("LpPool");
    t.attr_ints("kernel_shape", {2, 2}).attr_int("p", 0);
    EXPECT_FALSE(t.run({x}).ok());
  }
}

}  // namespace
}  // namespace edgerun::testing
