// Quantized ops (src/ops/quant_*.cpp): hand-computed values, naive integer references (exact), and
// float references (dequantize -> float op -> quantize, within one quantization step) on odd-sized random data.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "core/half.h"
#include "ops/op_test_util.h"
#include "ops/op_util.h"
#include "ops/quant_util.h"

namespace edgerun::testing {
namespace {

// ---------------------------------------------------------------- tensor helpers

Tensor q_tensor(DType t, Shape s, const std::vector<int>& v) {
  Tensor out = Tensor::empty(t, std::move(s));
  for (size_t i = 0; i < v.size() && static_cast<int64_t>(i) < out.numel(); ++i)
    store_quant(out.raw_data(), t, static_cast<int64_t>(i), v[i]);
  return out;
}
Tensor q_scalar(DType t, int v) { return q_tensor(t, {}, {v}); }
Tensor f_scalar(float v) { return float_tensor({}, {v}); }
Tensor f_vec(const std::vector<float>& v) { return float_tensor({static_cast<int64_t>(v.size())}, v); }
Tensor i32_vec(const std::vector<int>& v) { return q_tensor(DType::kInt32, {static_cast<int64_t>(v.size())}, v); }

std::vector<int> ints(const Tensor& t) {
  std::vector<int> v(static_cast<size_t>(t.numel()));
  for (int64_t i = 0; i < t.numel(); ++i) v[static_cast<size_t>(i)] = load_quant(t, i);
  return v;
}
std::vector<float> floats(const Tensor& t) {
  std::vector<float> v(static_cast<size_t>(t.numel()));
  for (int64_t i = 0; i < t.numel(); ++i) v[static_cast<size_t>(i)] = load_float(t, i);
  return v;
}

Tensor random_q(DType t, Shape s, uint32_t seed) {
  Tensor out = Tensor::empty(t, std::move(s));
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> dist(quant_min(t), quant_max(t));
  for (int64_t i = 0; i < out.numel(); ++i) store_quant(out.raw_data(), t, i, dist(rng));
  return out;
}

int qmin(DType t) { return quant_min(t); }
int qmax(DType t) { return quant_max(t); }
int sat_round(double v, int zp, DType t) {
  double r = std::nearbyint(v) + zp;
  return static_cast<int>(std::clamp(r, static_cast<double>(qmin(t)), static_cast<double>(qmax(t))));
}

void expect_error(const Expected<std::vector<Tensor>>& r, const std::string& needle) {
  ASSERT_FALSE(r.ok()) << "expected an error mentioning '" << needle << "'";
  const std::string msg = r.status().to_string();
  EXPECT_NE(msg.find("test_node"), std::string::npos) << msg;
  EXPECT_NE(msg.find(needle), std::string::npos) << msg;
}

// ---------------------------------------------------------------- rounding helper

TEST(QuantUtil, RoundHalfEvenMatchesNearbyint) {
  std::vector<float> vals = {0.5f,       1.5f,       2.5f,       -0.5f,       -1.5f,  -2.5f,  3.4999998f,
                             4194303.5f, 4194304.5f, 8388607.5f, -4194302.5f, 1e10f,  -1e10f, 0.0f,
                             -0.0f,      254.5f,     255.5f,     127.5f,      -128.5f};
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> d(-70000.0f, 70000.0f);
  for (int i = 0; i < 20000; ++i)
    vals.push_back(std::round(d(rng) * 2.0f) / 2.0f + (i % 3 == 0 ? 0.0f : d(rng) * 1e-5f));
  for (float v : vals) EXPECT_EQ(round_half_even(v), std::nearbyint(v)) << v;
  for (float v : vals) EXPECT_EQ(round_half_even(static_cast<double>(v)), std::nearbyint(static_cast<double>(v))) << v;
  EXPECT_EQ(quantize_value(std::nanf(""), 7, 0, 255), 7);
  EXPECT_EQ(quantize_value(INFINITY, 7, 0, 255), 255);
  EXPECT_EQ(quantize_value(-INFINITY, 7, -128, 127), -128);
}

// ---------------------------------------------------------------- QuantizeLinear

TEST(QuantizeLinear, PerTensorUint8HandValues) {
  OpTest t("QuantizeLinear", 13);
  auto r = t.run({f_vec({0, 2, 3, 1000, -254, -1000, 1, 5, -1, -3}), f_scalar(2.0f), q_scalar(DType::kUInt8, 128)});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ((*r)[0].dtype(), DType::kUInt8);
  // 3/2 = 1.5 -> 2, 1/2 = 0.5 -> 0, 5/2 = 2.5 -> 2, -1/2 -> -0, -3/2 = -1.5 -> -2.
  EXPECT_EQ(ints((*r)[0]), (std::vector<int>{128, 129, 130, 255, 1, 0, 128, 130, 128, 126}));
}

TEST(QuantizeLinear, Int8SaturatesAndDefaultsToUint8WithoutZeroPoint) {
  OpTest t("QuantizeLinear", 13);
  auto r = t.run({f_vec({-300, -129.5f, -128.5f, 126.5f, 127.5f, 300}), f_scalar(1.0f), q_scalar(DType::kInt8, 0)});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(ints((*r)[0]), (std::vector<int>{-128, -128, -128, 126, 127, 127}));
  OpTest u("QuantizeLinear", 13);
  auto r2 = u.run({f_vec({-1, 0.5f, 1.5f, 300}), f_scalar(1.0f)});
  ASSERT_TRUE(r2.ok()) << r2.status().to_string();
  EXPECT_EQ((*r2)[0].dtype(), DType::kUInt8);
  EXPECT_EQ(ints((*r2)[0]), (std::vector<int>{0, 0, 2, 255}));
}

TEST(QuantizeLinear, PerAxisMatchesScalarQuantizationPerChannel) {
  // x [2, 3, 5], axis 1 (default): three channels with their own scale and zero point.
  Tensor x = random_tensor({2, 3, 5}, 3, -4.0f, 4.0f);
  const std::vector<float> s = {0.02f, 0.05f, 0.1f};
  const std::vector<int> z = {10, 128, 250};
  for (bool constant : {false, true}) {
    OpTest t("QuantizeLinear", 13);
    if (constant) t.constant_inputs = {false, true, true};
    auto r = t.run({x, f_vec(s), q_tensor(DType::kUInt8, {3}, z)});
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    std::vector<int> got = ints((*r)[0]);
    for (int64_t i = 0; i < x.numel(); ++i) {
      const size_t c = static_cast<size_t>((i / 5) % 3);
      EXPECT_EQ(got[static_cast<size_t>(i)], sat_round(x.data<float>()[i] / s[c], z[c], DType::kUInt8)) << i;
    }
  }
  // Negative axis on the last dimension.
  OpTest t("QuantizeLinear", 13);
  t.attr_int("axis", -1);
  auto r = t.run({x, f_vec({0.1f, 0.2f, 0.3f, 0.4f, 0.5f}), q_tensor(DType::kInt8, {5}, {0, 1, -1, 2, -2})});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  std::vector<int> got = ints((*r)[0]);
  const int zs[5] = {0, 1, -1, 2, -2};
  for (int64_t i = 0; i < x.numel(); ++i) {
    const int c = static_cast<int>(i % 5);
    EXPECT_EQ(got[static_cast<size_t>(i)], sat_round(x.data<float>()[i] / (0.1f * (c + 1)), zs[c], DType::kInt8));
  }
}

TEST(QuantizeLinear, BlockedOpset21) {
  // x [3, 4], axis 1, block 2: scale [3, 2].
  Tensor x = float_tensor({3, 4}, {0, 1, 2, 3, -4, -5, 6, 7, 8, 9, 10, -11});
  Tensor s = float_tensor({3, 2}, {1, 2, 0.5f, 1, 4, 0.25f});
  Tensor z = q_tensor(DType::kInt8, {3, 2}, {0, 1, -1, 2, 3, -4});
  OpTest t("QuantizeLinear", 21);
  t.attr_int("axis", 1).attr_int("block_size", 2);
  auto r = t.run({x, s, z});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  std::vector<int> want;
  for (int i = 0; i < 12; ++i) {
    const int p = (i / 4) * 2 + (i % 4) / 2;
    want.push_back(sat_round(x.data<float>()[i] / s.data<float>()[p], load_quant(z, p), DType::kInt8));
  }
  EXPECT_EQ(ints((*r)[0]), want);
  // Blocked with a block that does not divide the axis: 5 columns, block 2 -> 3 scales.
  Tensor x5 = random_tensor({2, 5}, 9, -3.0f, 3.0f);
  OpTest t5("QuantizeLinear", 21);
  t5.attr_int("axis", 1).attr_int("block_size", 2).attr_int("output_dtype", static_cast<int64_t>(DType::kInt16));
  auto r5 = t5.run({x5, float_tensor({2, 3}, {0.001f, 0.002f, 0.003f, 0.004f, 0.005f, 0.006f})});
  ASSERT_TRUE(r5.ok()) << r5.status().to_string();
  EXPECT_EQ((*r5)[0].dtype(), DType::kInt16);
  std::vector<int> got = ints((*r5)[0]);
  for (int i = 0; i < 10; ++i) {
    const int p = (i / 5) * 3 + (i % 5) / 2;
    EXPECT_EQ(got[static_cast<size_t>(i)], sat_round(x5.data<float>()[i] / (0.001f * (p + 1)), 0, DType::kInt16));
  }
}

TEST(QuantizeLinear, SixteenBitAndInt32AndFloat16Inputs) {
  OpTest t("QuantizeLinear", 21);
  auto r = t.run({f_vec({0, 1e6f, -1e6f, 3.5f, 100.25f}), f_scalar(0.5f), q_scalar(DType::kUInt16, 30000)});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(ints((*r)[0]), (std::vector<int>{30000, 65535, 0, 30007, 30200}));
  OpTest i16("QuantizeLinear", 21);
  auto r16 = i16.run({f_vec({0, 1e6f, -1e6f, -3.5f}), f_scalar(0.5f), q_scalar(DType::kInt16, -10)});
  ASSERT_TRUE(r16.ok());
  EXPECT_EQ(ints((*r16)[0]), (std::vector<int>{-10, 32767, -32768, -17}));
  // int32 x (opset 10 type constraint).
  OpTest ti("QuantizeLinear", 10);
  auto ri = ti.run({i32_vec({0, 7, -7, 1000}), f_scalar(2.0f), q_scalar(DType::kInt8, 1)});
  ASSERT_TRUE(ri.ok()) << ri.status().to_string();
  EXPECT_EQ(ints((*ri)[0]), (std::vector<int>{1, 5, -3, 127}));
  // float16 x and scale: the division happens in float16.
  Tensor xh = Tensor::empty(DType::kFloat16, {3});
  Tensor sh = Tensor::empty(DType::kFloat16, {});
  const float xv[3] = {1.0f, 3.0f, -2.5f};
  for (int i = 0; i < 3; ++i) xh.data<uint16_t>()[i] = float_to_half(xv[i]);
  sh.data<uint16_t>()[0] = float_to_half(0.5f);
  OpTest th("QuantizeLinear", 19);
  auto rh = th.run({xh, sh, q_scalar(DType::kUInt8, 100)});
  ASSERT_TRUE(rh.ok()) << rh.status().to_string();
  EXPECT_EQ(ints((*rh)[0]), (std::vector<int>{102, 106, 95}));
}

TEST(QuantizeLinear, Errors) {
  Tensor x = random_tensor({2, 3, 4}, 1);
  OpTest t("QuantizeLinear", 13);
  expect_error(t.run({x, f_vec({0.1f, 0.2f}), q_tensor(DType::kUInt8, {2}, {0, 0})}), "per-axis scale");
  OpTest t10("QuantizeLinear", 10);
  expect_error(t10.run({x, f_vec({0.1f, 0.2f, 0.3f}), q_tensor(DType::kUInt8, {3}, {0, 0, 0})}), "scalar");
  OpTest tz("QuantizeLinear", 13);
  expect_error(tz.run({x, f_scalar(0.1f), q_tensor(DType::kUInt8, {3}, {0, 0, 0})}), "zero point shape");
  OpTest tb("QuantizeLinear", 21);
  tb.attr_int("axis", 2).attr_int("block_size", 3);
  expect_error(tb.run({x, float_tensor({2, 3, 1}, {1, 1, 1, 1, 1, 1})}), "blocked scale shape");
  OpTest td("QuantizeLinear", 21);
  td.attr_int("output_dtype", static_cast<int64_t>(DType::kInt8));
  expect_error(td.run({x, f_scalar(0.1f), q_scalar(DType::kUInt8, 0)}), "output_dtype");
  OpTest ty("QuantizeLinear", 13);
  expect_error(ty.run({x, f_scalar(0.1f), q_scalar(DType::kInt32, 0)}), "int32");
}

// ---------------------------------------------------------------- DequantizeLinear

TEST(DequantizeLinear, HandValuesAndPerAxis) {
  OpTest t("DequantizeLinear", 13);
  auto r = t.run({q_tensor(DType::kUInt8, {4}, {0, 3, 128, 255}), f_scalar(2.0f), q_scalar(DType::kUInt8, 128)});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(floats((*r)[0]), (std::vector<float>{-256, -250, 0, 254}));

  OpTest ta("DequantizeLinear", 13);
  Tensor x = q_tensor(DType::kInt8, {1, 3, 2}, {-128, 127, 0, 5, -5, 100});
  auto ra = ta.run({x, f_vec({0.5f, 0.25f, 2.0f}), q_tensor(DType::kInt8, {3}, {0, 1, -2})});
  ASSERT_TRUE(ra.ok()) << ra.status().to_string();
  EXPECT_EQ(floats((*ra)[0]), (std::vector<float>{-64, 63.5f, -0.25f, 1.0f, -6, 204}));

  OpTest ti("DequantizeLinear", 10);
  auto ri = ti.run({i32_vec({-1000000, 3, 0}), f_scalar(0.5f)});
  ASSERT_TRUE(ri.ok()) << ri.status().to_string();
  EXPECT_EQ(floats((*ri)[0]), (std::vector<float>{-500000, 1.5f, 0}));

  OpTest t16("DequantizeLinear", 21);
  auto r16 = t16.run({q_tensor(DType::kUInt16, {3}, {0, 65535, 100}), f_scalar(1.0f), q_scalar(DType::kUInt16, 100)});
  ASSERT_TRUE(r16.ok());
  EXPECT_EQ(floats((*r16)[0]), (std::vector<float>{-100, 65435, 0}));
}

TEST(DequantizeLinear, BlockedAndFloat16Scale) {
  Tensor x = q_tensor(DType::kUInt8, {2, 4}, {0, 1, 2, 3, 4, 5, 6, 7});
  OpTest t("DequantizeLinear", 21);
  t.attr_int("axis", 1).attr_int("block_size", 3);
  auto r = t.run({x, float_tensor({2, 2}, {1, 10, 100, 1000}), q_tensor(DType::kUInt8, {2, 2}, {1, 2, 3, 4})});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(floats((*r)[0]), (std::vector<float>{-1, 0, 1, 10, 100, 200, 300, 3000}));

  Tensor sh = Tensor::empty(DType::kFloat16, {});
  sh.data<uint16_t>()[0] = float_to_half(0.5f);
  OpTest th("DequantizeLinear", 19);
  auto rh = th.run({q_tensor(DType::kInt8, {3}, {-3, 0, 9}), sh, q_scalar(DType::kInt8, 1)});
  ASSERT_TRUE(rh.ok()) << rh.status().to_string();
  EXPECT_EQ((*rh)[0].dtype(), DType::kFloat16);
  EXPECT_EQ(floats((*rh)[0]), (std::vector<float>{-2, -0.5f, 4}));
}

TEST(DequantizeLinear, RoundTripWithinHalfAStep) {
  Tensor x = random_tensor({3, 7, 5}, 11, -1.0f, 1.0f);  // inside the int8 range of every channel
  const std::vector<float> s = {0.01f, 0.02f, 0.03f, 0.04f, 0.05f, 0.06f, 0.07f};
  Tensor z = q_tensor(DType::kInt8, {7}, {0, 3, -3, 10, -10, 1, 0});
  OpTest q("QuantizeLinear", 13);
  auto rq = q.run({x, f_vec(s), z});
  ASSERT_TRUE(rq.ok());
  OpTest d("DequantizeLinear", 13);
  auto rd = d.run({(*rq)[0], f_vec(s), z});
  ASSERT_TRUE(rd.ok());
  for (int64_t i = 0; i < x.numel(); ++i) {
    const float step = s[static_cast<size_t>((i / 5) % 7)];
    EXPECT_LE(std::fabs((*rd)[0].data<float>()[i] - x.data<float>()[i]), step * 0.5001f) << i;
  }
}

TEST(DequantizeLinear, Errors) {
  OpTest t("DequantizeLinear", 13);
  expect_error(t.run({q_tensor(DType::kUInt8, {2, 3}, {}), f_vec({1, 2, 3, 4}), q_tensor(DType::kUInt8, {4}, {})}),
               "per-axis scale");
  OpTest tz("DequantizeLinear", 13);
  expect_error(tz.run({q_tensor(DType::kUInt8, {2, 3}, {}), f_scalar(1), q_scalar(DType::kInt8, 0)}), "x_zero_point");
}

// ---------------------------------------------------------------- DynamicQuantizeLinear

TEST(DynamicQuantizeLinear, SpecExampleAndAdjustedRanges) {
  OpTest t("DynamicQuantizeLinear", 11);
  t.num_outputs = 3;
  auto r = t.run({f_vec({0, 2, -3, -2.5f, 1.34f, 0.5f})});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(ints((*r)[0]), (std::vector<int>{153, 255, 0, 26, 221, 179}));
  EXPECT_FLOAT_EQ((*r)[1].data<float>()[0], 5.0f / 255.0f);
  EXPECT_EQ((*r)[1].shape(), Shape{});
  EXPECT_EQ(ints((*r)[2]), (std::vector<int>{153}));

  // All positive: the range is extended down to 0, zero point 0.
  OpTest tp("DynamicQuantizeLinear", 11);
  tp.num_outputs = 3;
  auto rp = tp.run({float_tensor({3, 4}, {1, 2.1f, 1.3f, 2.5f, 3.34f, 4.0f, 1.5f, 2.6f, 3.9f, 4.0f, 3.0f, 2.345f})});
  ASSERT_TRUE(rp.ok());
  EXPECT_EQ(ints((*rp)[0]), (std::vector<int>{64, 134, 83, 159, 213, 255, 96, 166, 249, 255, 191, 149}));
  EXPECT_EQ(ints((*rp)[2]), (std::vector<int>{0}));

  // All negative: zero point 255.
  OpTest tn("DynamicQuantizeLinear", 11);
  tn.num_outputs = 3;
  auto rn = tn.run({f_vec({-1, -2.1f, -1.3f, -2.5f, -3.34f, -4.0f})});
  ASSERT_TRUE(rn.ok());
  EXPECT_EQ(ints((*rn)[0]), (std::vector<int>{191, 121, 172, 96, 42, 0}));
  EXPECT_EQ(ints((*rn)[2]), (std::vector<int>{255}));
}

TEST(DynamicQuantizeLinear, AllZeroInputHasScaleZeroWithoutNaN) {
  OpTest t("DynamicQuantizeLinear", 11);
  t.num_outputs = 3;
  auto r = t.run({f_vec({0, 0, 0, -0.0f})});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(ints((*r)[0]), (std::vector<int>{0, 0, 0, 0}));
  EXPECT_EQ((*r)[1].data<float>()[0], 0.0f);
  EXPECT_EQ(ints((*r)[2]), (std::vector<int>{0}));
}

TEST(DynamicQuantizeLinear, RandomMatchesFormula) {
  Tensor x = random_tensor({5, 13}, 21, -1.7f, 3.2f);
  OpTest t("DynamicQuantizeLinear", 11);
  t.num_outputs = 3;
  auto r = t.run({x});
  ASSERT_TRUE(r.ok());
  float lo = 0, hi = 0;
  for (int64_t i = 0; i < x.numel(); ++i) {
    lo = std::min(lo, x.data<float>()[i]);
    hi = std::max(hi, x.data<float>()[i]);
  }
  const float scale = (hi - lo) / 255.0f;
  const int zp = static_cast<int>(std::nearbyint(std::clamp(-lo / scale, 0.0f, 255.0f)));
  EXPECT_EQ((*r)[1].data<float>()[0], scale);
  EXPECT_EQ(load_quant((*r)[2], 0), zp);
  std::vector<int> got = ints((*r)[0]);
  for (int64_t i = 0; i < x.numel(); ++i)
    EXPECT_EQ(got[static_cast<size_t>(i)], sat_round(x.data<float>()[i] / scale, zp, DType::kUInt8)) << i;
}

// ---------------------------------------------------------------- convolution references

struct ConvSpec {
  Shape x, w;  // [N, C, spatial...], [M, C/group, kernel...]
  int64_t group = 1;
  std::vector<int64_t> strides, pads, dilations;  // empty = defaults; pads [begins..., ends...]
  std::string auto_pad;                           // "" = attribute absent
  std::vector<int64_t> eff_pads;                  // pads actually used (for auto_pad cases)
};

struct ConvDims {
  int nd;
  std::vector<int64_t> in, k, out, s, d, pb;
};

ConvDims conv_dims(const ConvSpec& c) {
  ConvDims g;
  g.nd = static_cast<int>(c.x.size()) - 2;
  std::vector<int64_t> pads = !c.eff_pads.empty() ? c.eff_pads : c.pads;
  if (pads.empty()) pads.assign(static_cast<size_t>(2 * g.nd), 0);
  for (int i = 0; i < g.nd; ++i) {
    const size_t u = static_cast<size_t>(i);
    g.in.push_back(c.x[u + 2]);
    g.k.push_back(c.w[u + 2]);
    g.s.push_back(c.strides.empty() ? 1 : c.strides[u]);
    g.d.push_back(c.dilations.empty() ? 1 : c.dilations[u]);
    g.pb.push_back(pads[u]);
    const int64_t eff = (g.k[u] - 1) * g.d[u] + 1;
    g.out.push_back((g.in[u] + pads[u] + pads[u + static_cast<size_t>(g.nd)] - eff) / g.s[u] + 1);
  }
  return g;
}

// Naive direct convolution of (x - zx) and (w - zw[m]) in int64: one output element at a time.
std::vector<int64_t> conv_acc_ref(const ConvSpec& c, const std::vector<int>& x, int zx, const std::vector<int>& w,
                                  const std::vector<int>& zw, Shape* out_shape) {
  ConvDims g = conv_dims(c);
  const int64_t N = c.x[0], C = c.x[1], M = c.w[0], cg = C / c.group, mg = M / c.group;
  while (g.in.size() < 3) {  // pad to 3 spatial dims in front
    g.in.insert(g.in.begin(), 1);
    g.k.insert(g.k.begin(), 1);
    g.out.insert(g.out.begin(), 1);
    g.s.insert(g.s.begin(), 1);
    g.d.insert(g.d.begin(), 1);
    g.pb.insert(g.pb.begin(), 0);
  }
  *out_shape = {N, M};
  for (int i = 3 - g.nd; i < 3; ++i) out_shape->push_back(g.out[static_cast<size_t>(i)]);
  std::vector<int64_t> y;
  for (int64_t n = 0; n < N; ++n)
    for (int64_t m = 0; m < M; ++m)
      for (int64_t od = 0; od < g.out[0]; ++od)
        for (int64_t oh = 0; oh < g.out[1]; ++oh)
          for (int64_t ow = 0; ow < g.out[2]; ++ow) {
            int64_t acc = 0;
            const int64_t grp = m / mg;
            for (int64_t ci = 0; ci < cg; ++ci)
              for (int64_t kd = 0; kd < g.k[0]; ++kd)
                for (int64_t kh = 0; kh < g.k[1]; ++kh)
                  for (int64_t kw = 0; kw < g.k[2]; ++kw) {
                    const int64_t id = od * g.s[0] - g.pb[0] + kd * g.d[0];
                    const int64_t ih = oh * g.s[1] - g.pb[1] + kh * g.d[1];
                    const int64_t iw = ow * g.s[2] - g.pb[2] + kw * g.d[2];
                    if (id < 0 || id >= g.in[0] || ih < 0 || ih >= g.in[1] || iw < 0 || iw >= g.in[2]) continue;
                    const int64_t c_in = grp * cg + ci;
                    const int64_t xi = (((n * C + c_in) * g.in[0] + id) * g.in[1] + ih) * g.in[2] + iw;
                    const int64_t wi = (((m * cg + ci) * g.k[0] + kd) * g.k[1] + kh) * g.k[2] + kw;
                    acc += static_cast<int64_t>(x[static_cast<size_t>(xi)] - zx) *
                           (w[static_cast<size_t>(wi)] - zw[zw.size() == 1 ? 0 : static_cast<size_t>(m)]);
                  }
            y.push_back(acc);
          }
  return y;
}

void set_conv_attrs(OpTest& t, const ConvSpec& c) {
  t.attr_int("group", c.group);
  if (!c.strides.empty()) t.attr_ints("strides", c.strides);
  if (!c.pads.empty()) t.attr_ints("pads", c.pads);
  if (!c.dilations.empty()) t.attr_ints("dilations", c.dilations);
  if (!c.auto_pad.empty()) t.attr_string("auto_pad", c.auto_pad);
}

std::vector<ConvSpec> conv_specs() {
  std::vector<ConvSpec> v;
  v.push_back({{2, 5, 7, 9}, {6, 5, 3, 2}, 1, {2, 1}, {1, 0, 2, 1}, {1, 2}, "", {}});  // odd everything
  v.push_back({{1, 6, 8, 5}, {9, 2, 3, 3}, 3, {1, 2}, {1, 1, 1, 1}, {}, "", {}});      // groups
  v.push_back({{1, 7, 11, 10}, {7, 1, 3, 3}, 7, {2, 2}, {1, 1, 1, 1}, {}, "", {}});    // depthwise, stride 2
  v.push_back({{2, 4, 9, 6}, {8, 1, 3, 2}, 4, {1, 1}, {2, 0, 1, 3}, {2, 1}, "", {}});  // depthwise x2, dilated
  v.push_back({{1, 13, 5, 7}, {11, 13, 1, 1}, 1, {}, {}, {}, "", {}});                 // pointwise
  v.push_back({{1, 3, 17}, {4, 3, 5}, 1, {3}, {2, 1}, {}, "", {}});                    // 1-D
  v.push_back({{1, 2, 4, 5, 3}, {3, 2, 2, 3, 2}, 1, {1, 2, 1}, {1, 0, 1, 0, 1, 0}, {}, "", {}});  // 3-D
  v.push_back({{1, 3, 7, 8}, {5, 3, 3, 4}, 1, {2, 3}, {}, {}, "SAME_UPPER", {1, 1, 1, 1}});       // out 4x3
  v.push_back({{1, 3, 7, 8}, {5, 3, 3, 4}, 1, {2, 3}, {}, {}, "SAME_LOWER", {1, 1, 1, 1}});
  v.push_back({{1, 3, 6, 6}, {2, 3, 2, 2}, 1, {2, 2}, {}, {}, "SAME_LOWER", {0, 0, 0, 0}});
  v.push_back({{1, 3, 8, 8}, {2, 3, 4, 4}, 1, {1, 1}, {}, {}, "SAME_UPPER", {1, 1, 2, 2}});
  v.push_back({{1, 3, 8, 8}, {2, 3, 4, 4}, 1, {1, 1}, {}, {}, "SAME_LOWER", {2, 2, 1, 1}});
  v.push_back({{1, 3, 7, 9}, {4, 3, 3, 3}, 1, {2, 2}, {}, {}, "VALID", {0, 0, 0, 0}});
  v.push_back({{3, 40, 6, 5}, {37, 40, 3, 3}, 1, {1, 1}, {1, 1, 1, 1}, {}, "", {}});  // bigger K, odd M
  v.push_back({{1, 3, 45, 47}, {5, 3, 3, 3}, 1, {1, 1}, {1, 1, 1, 1}, {}, "", {}});   // several pixel tiles
  v.push_back({{1, 8, 50, 50}, {6, 8, 1, 1}, 1, {}, {}, {}, "", {}});                 // pointwise, several tiles
  v.push_back({{2, 40, 14, 13}, {40, 1, 5, 5}, 40, {1, 1}, {2, 2, 2, 2}, {}, "", {}});  // depthwise, 16-channel blocks + tail
  v.push_back({{1, 19, 12, 12}, {19, 1, 3, 3}, 19, {2, 2}, {0, 0, 1, 1}, {}, "", {}});  // depthwise, asymmetric pads
  v.push_back({{1, 3, 18, 18}, {3, 1, 16, 16}, 3, {1, 1}, {1, 1, 1, 1}, {}, "", {}});   // depthwise, 256 taps
  v.push_back({{1, 2, 18, 18}, {2, 1, 17, 17}, 2, {1, 1}, {}, {}, "", {}});             // depthwise, 289 taps
  return v;
}

struct ConvTypes {
  DType x, w, y;
};

// QLinearConv vs (a) the naive integer reference requantized the same way (exact) and (b) a double-precision float
// convolution of the dequantized inputs, quantized (within one step).
void check_qlinear_conv(const ConvSpec& c, ConvTypes ty, bool per_channel, bool bias, bool const_w, uint32_t seed,
                        float y_scale_factor = 1.0f) {
  SCOPED_TRACE(::testing::Message() << "x " << shape_str(c.x) << " w " << shape_str(c.w) << " group " << c.group
                                    << " auto_pad '" << c.auto_pad << "' per_channel " << per_channel << " bias "
                                    << bias << " x " << dtype_name(ty.x) << " w " << dtype_name(ty.w) << " y "
                                    << dtype_name(ty.y));
  const int64_t M = c.w[0];
  Tensor x = random_q(ty.x, c.x, seed);
  Tensor w = random_q(ty.w, c.w, seed + 1);
  std::mt19937 rng(seed + 2);
  // Zero points near the middle of the range keep most outputs unsaturated.
  auto mid_zp = [&](DType t) { return std::uniform_int_distribution<int>(qmin(t) + 100, qmax(t) - 100)(rng); };
  const int zx = mid_zp(ty.x);
  const float xs = 0.02f + 0.01f * static_cast<float>(seed % 5);
  std::vector<int> zw;
  std::vector<float> ws;
  for (int64_t m = 0; m < (per_channel ? M : 1); ++m) {
    zw.push_back(mid_zp(ty.w));
    ws.push_back(0.003f + 0.0007f * static_cast<float>(m));
  }
  std::vector<int> b;
  for (int64_t m = 0; m < M; ++m) b.push_back(std::uniform_int_distribution<int>(-20000, 20000)(rng));
  const int64_t k = shape_numel(c.w) / M;
  const float ys = xs * 0.003f * std::sqrt(static_cast<float>(k)) * 400.0f * y_scale_factor;
  const int zy = std::uniform_int_distribution<int>(qmin(ty.y) / 2, qmax(ty.y) / 2)(rng);

  OpTest t("QLinearConv", 10);
  set_conv_attrs(t, c);
  if (const_w) t.constant_inputs = {false, true, true, true, true, true, true, true, true};
  Tensor ws_t = per_channel ? f_vec(ws) : float_tensor({1}, ws);
  Tensor zw_t = q_tensor(ty.w, {static_cast<int64_t>(zw.size())}, zw);
  std::vector<Tensor> in = {x, f_scalar(xs), q_scalar(ty.x, zx), w, ws_t, zw_t, f_scalar(ys), q_scalar(ty.y, zy)};
  if (bias) in.push_back(i32_vec(b));
  auto r = t.run(in);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  Shape ref_shape;
  std::vector<int64_t> acc = conv_acc_ref(c, ints(x), zx, ints(w), zw, &ref_shape);
  ASSERT_EQ((*r)[0].shape(), ref_shape);
  ASSERT_EQ((*r)[0].dtype(), ty.y);
  std::vector<int> got = ints((*r)[0]);
  const int64_t plane = shape_numel(ref_shape) / (ref_shape[0] * M);
  int saturated = 0;
  for (size_t i = 0; i < acc.size(); ++i) {
    const size_t m = static_cast<size_t>((static_cast<int64_t>(i) / plane) % M);
    const int64_t a = acc[i] + (bias ? b[m] : 0);
    const float wsm = ws[per_channel ? m : 0];
    // The kernel's requantization: float32 multiplier applied to the float32 accumulator (as ONNX Runtime does).
    const float mult = xs * wsm / ys;
    ASSERT_EQ(got[i], sat_round(static_cast<float>(static_cast<int32_t>(a)) * mult, zy, ty.y)) << "at " << i;
    // Float reference: dequantized operands, double math.
    const double real = static_cast<double>(acc[i]) * xs * wsm + (bias ? b[m] * static_cast<double>(xs * wsm) : 0.0);
    const int fref = sat_round(real / ys, zy, ty.y);
    ASSERT_LE(std::abs(got[i] - fref), 1) << "at " << i;
    saturated += got[i] == qmin(ty.y) || got[i] == qmax(ty.y);
  }
  if (y_scale_factor < 0.1f) {
    EXPECT_GT(saturated, static_cast<int>(acc.size() / 4));
  }
}

TEST(QLinearConv, OnnxExample) {
  Tensor x = q_tensor(DType::kUInt8, {1, 1, 7, 7},
                      {255, 174, 162, 25,  203, 168, 58,  15,  59,  237, 95,  129, 0,  64,  56, 242, 153,
                       221, 168, 12,  166, 232, 178, 186, 195, 237, 162, 237, 188, 39, 124, 77, 80,  102,
                       43,  127, 230, 21,  83,  41,  40,  134, 255, 154, 92,  141, 42, 148, 247});
  OpTest t("QLinearConv", 10);
  auto r = t.run({x, f_scalar(0.00369204697f), q_scalar(DType::kUInt8, 132), q_tensor(DType::kUInt8, {1, 1, 1, 1}, {0}),
                  f_vec({0.00172794575f}), q_tensor(DType::kUInt8, {1}, {255}), f_scalar(0.00162681262f),
                  q_scalar(DType::kUInt8, 123)});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(ints((*r)[0]),
            (std::vector<int>{0,   81,  93,  230, 52,  87,  197, 240, 196, 18,  160, 126, 255, 191, 199, 13,  102,
                              34,  87,  243, 89,  23,  77,  69,  60,  18,  93,  18,  67,  216, 131, 178, 175, 153,
                              212, 128, 25,  234, 172, 214, 215, 121, 0,   101, 163, 114, 213, 107, 8}));
}

TEST(QLinearConv, RandomShapesUint8) {
  uint32_t seed = 100;
  for (const ConvSpec& c : conv_specs()) {
    check_qlinear_conv(c, {DType::kUInt8, DType::kUInt8, DType::kUInt8}, false, true, true, seed++);
    check_qlinear_conv(c, {DType::kUInt8, DType::kInt8, DType::kUInt8}, true, true, false, seed++);
  }
}

TEST(QLinearConv, TypeMixesAndPerChannel) {
  uint32_t seed = 300;
  const std::vector<ConvTypes> types = {{DType::kInt8, DType::kInt8, DType::kInt8},
                                        {DType::kInt8, DType::kUInt8, DType::kUInt8},
                                        {DType::kUInt8, DType::kInt8, DType::kInt8},
                                        {DType::kUInt8, DType::kUInt8, DType::kInt8}};
  std::vector<ConvSpec> specs = conv_specs();
  for (const ConvTypes& ty : types)
    for (size_t i = 0; i < specs.size(); i += 3)
      check_qlinear_conv(specs[i], ty, (i / 3) % 2 == 0, i % 2 == 0, true, seed++);
}

TEST(QLinearConv, Saturation) {
  std::vector<ConvSpec> specs = conv_specs();
  check_qlinear_conv(specs[0], {DType::kUInt8, DType::kInt8, DType::kUInt8}, true, true, true, 500, 0.01f);
  check_qlinear_conv(specs[2], {DType::kInt8, DType::kInt8, DType::kInt8}, false, false, false, 501, 0.01f);
}

TEST(QLinearConv, ComMicrosoftDomain) {
  ConvSpec c = conv_specs()[4];
  Tensor x = random_q(DType::kUInt8, c.x, 3), w = random_q(DType::kInt8, c.w, 4);
  std::vector<Tensor> in = {x,
                            f_scalar(0.1f),
                            q_scalar(DType::kUInt8, 100),
                            w,
                            f_scalar(0.01f),
                            q_scalar(DType::kInt8, 0),
                            f_scalar(0.5f),
                            q_scalar(DType::kUInt8, 120)};
  OpTest a("QLinearConv", 10), b("QLinearConv", 1, "com.microsoft");
  auto ra = a.run(in), rb = b.run(in);
  ASSERT_TRUE(ra.ok() && rb.ok()) << rb.status().to_string();
  EXPECT_EQ(ints((*ra)[0]), ints((*rb)[0]));
  OpTest cl("QLinearConv", 1, "com.microsoft");
  cl.attr_int("channels_last", 1);
  auto rc = cl.run(in);
  ASSERT_FALSE(rc.ok());
  EXPECT_EQ(rc.status().code(), StatusCode::kUnsupported);
}

TEST(QLinearConv, Errors) {
  Tensor x = random_q(DType::kUInt8, {1, 4, 5, 5}, 1), w = random_q(DType::kUInt8, {6, 4, 3, 3}, 2);
  auto base = [&] {
    return std::vector<Tensor>{x,
                               f_scalar(0.1f),
                               q_scalar(DType::kUInt8, 0),
                               w,
                               f_scalar(0.1f),
                               q_scalar(DType::kUInt8, 0),
                               f_scalar(0.1f),
                               q_scalar(DType::kUInt8, 0)};
  };
  {
    auto in = base();
    in[4] = f_vec({0.1f, 0.2f, 0.3f, 0.4f});
    OpTest t("QLinearConv", 10);
    expect_error(t.run(in), "w_scale");
  }
  {
    auto in = base();
    in[2] = q_tensor(DType::kUInt8, {2}, {0, 1});
    OpTest t("QLinearConv", 10);
    expect_error(t.run(in), "x_zero_point");
  }
  {
    auto in = base();
    in[7] = q_tensor(DType::kUInt8, {2}, {0, 1});
    OpTest t("QLinearConv", 10);
    expect_error(t.run(in), "y_zero_point");
  }
  {
    auto in = base();
    in[5] = q_tensor(DType::kUInt8, {5}, {0, 1, 2, 3, 4});
    OpTest t("QLinearConv", 10);
    expect_error(t.run(in), "w_zero_point");
  }
  {
    auto in = base();
    in[2] = q_scalar(DType::kInt8, 0);
    OpTest t("QLinearConv", 10);
    expect_error(t.run(in), "x_zero_point must be uint8");
  }
  {
    auto in = base();
    in.push_back(i32_vec({1, 2, 3}));
    OpTest t("QLinearConv", 10);
    expect_error(t.run(in), "B must be 1-D");
  }
  {
    OpTest t("QLinearConv", 10);
    t.attr_int("group", 3);
    expect_error(t.run(base()), "group");
  }
  {
    OpTest t("QLinearConv", 10);
    t.attr_ints("pads", {1, 1});
    expect_error(t.run(base()), "pads");
  }
  {
    auto in = base();
    in[3] = random_q(DType::kUInt8, {6, 4, 9, 9}, 3);
    OpTest t("QLinearConv", 10);
    expect_error(t.run(in), "larger than the padded input");
  }
}

// ---------------------------------------------------------------- ConvInteger

TEST(ConvInteger, OnnxExamples) {
  Tensor x = q_tensor(DType::kUInt8, {1, 1, 3, 3}, {2, 3, 4, 5, 6, 7, 8, 9, 10});
  OpTest t("ConvInteger", 10);
  auto r = t.run({x, q_tensor(DType::kUInt8, {1, 1, 2, 2}, {1, 1, 1, 1}), q_scalar(DType::kUInt8, 1)});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ((*r)[0].dtype(), DType::kInt32);
  EXPECT_EQ(ints((*r)[0]), (std::vector<int>{12, 16, 24, 28}));
  OpTest tp("ConvInteger", 10);
  tp.attr_ints("pads", {1, 1, 1, 1});
  auto rp = tp.run({x, q_tensor(DType::kUInt8, {1, 1, 2, 2}, {1, 1, 1, 1}), q_scalar(DType::kUInt8, 1)});
  ASSERT_TRUE(rp.ok());
  EXPECT_EQ(ints((*rp)[0]), (std::vector<int>{1, 3, 5, 3, 5, 12, 16, 9, 11, 24, 28, 15, 7, 15, 17, 9}));
}

TEST(ConvInteger, RandomVsNaive) {
  uint32_t seed = 700;
  const std::vector<std::pair<DType, DType>> types = {{DType::kUInt8, DType::kUInt8},
                                                      {DType::kUInt8, DType::kInt8},
                                                      {DType::kInt8, DType::kInt8},
                                                      {DType::kInt8, DType::kUInt8}};
  for (const ConvSpec& c : conv_specs()) {
    for (size_t ti = 0; ti < types.size(); ++ti) {
      const auto [xt, wt] = types[ti];
      SCOPED_TRACE(::testing::Message() << shape_str(c.x) << " " << shape_str(c.w) << " " << dtype_name(xt) << "/"
                                        << dtype_name(wt));
      Tensor x = random_q(xt, c.x, seed), w = random_q(wt, c.w, seed + 1);
      const int zx = (xt == DType::kUInt8) ? 37 + static_cast<int>(ti) : -5;
      std::vector<int> zw;
      const bool per_channel = ti % 2 == 1;
      for (int64_t m = 0; m < (per_channel ? c.w[0] : 1); ++m) zw.push_back(wt == DType::kUInt8 ? 100 + m : -3 + m);
      OpTest t("ConvInteger", 10);
      set_conv_attrs(t, c);
      t.constant_inputs = {false, ti < 2, false, ti < 2};
      std::vector<Tensor> in = {x, w, q_scalar(xt, zx), per_channel ? q_tensor(wt, {c.w[0]}, zw) : q_scalar(wt, zw[0])};
      if (ti == 3) in = {x, w};  // zero points omitted
      auto r = t.run(in);
      ASSERT_TRUE(r.ok()) << r.status().to_string();
      Shape s;
      std::vector<int64_t> want =
          conv_acc_ref(c, ints(x), ti == 3 ? 0 : zx, ints(w), ti == 3 ? std::vector<int>{0} : zw, &s);
      ASSERT_EQ((*r)[0].shape(), s);
      std::vector<int> got = ints((*r)[0]);
      for (size_t i = 0; i < want.size(); ++i) ASSERT_EQ(got[i], want[i]) << i;
      seed += 2;
    }
  }
}

// Depthwise sums at the edge of float32's exact integers: 256 taps of 255 * -255 stay below 2^24 (the float path),
// 289 taps of them (an odd sum above 2^24, not representable in float32) must come from the integer path.
TEST(ConvInteger, DepthwiseExtremeSumsAreExact) {
  for (int64_t k : {16, 17}) {
    SCOPED_TRACE(::testing::Message() << "kernel " << k);
    const int64_t hw = k + 3;
    std::vector<int> xv(static_cast<size_t>(2 * hw * hw), 255), wv(static_cast<size_t>(2 * k * k), 0);
    OpTest t("ConvInteger", 10);
    t.attr_int("group", 2);
    t.constant_inputs = {false, true, true, true};
    auto r = t.run({q_tensor(DType::kUInt8, {1, 2, hw, hw}, xv), q_tensor(DType::kUInt8, {2, 1, k, k}, wv),
                    q_scalar(DType::kUInt8, 0), q_scalar(DType::kUInt8, 255)});
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    const std::vector<int> got = ints((*r)[0]);
    ASSERT_EQ(got.size(), 2u * 16u);
    for (int v : got) ASSERT_EQ(v, -255 * 255 * static_cast<int>(k * k));
  }
}

// ---------------------------------------------------------------- QLinearMatMul / MatMulInteger

std::vector<Tensor> matmul_example(DType qt, DType st) {
  const int off = qt == DType::kInt8 ? 127 : 0;
  auto q = [&](Shape s, std::vector<int> v) {
    for (int& e : v) e -= off;
    return q_tensor(qt, std::move(s), v);
  };
  auto sc = [&](float v) {
    Tensor t = Tensor::empty(st, {1});
    if (st == DType::kFloat16) {
      t.data<uint16_t>()[0] = float_to_half(v);
    } else {
      t.data<float>()[0] = v;
    }
    return t;
  };
  return {q({2, 4}, {208, 236, 0, 238, 3, 214, 255, 29}),
          sc(0.0066f),
          q({1}, {113}),
          q({4, 3}, {152, 51, 244, 60, 26, 255, 0, 127, 246, 127, 254, 247}),
          sc(0.00705f),
          q({1}, {114}),
          sc(0.0107f),
          q({1}, {118})};
}

TEST(QLinearMatMul, OnnxExamples) {
  for (DType st : {DType::kFloat32, DType::kFloat16}) {
    OpTest u("QLinearMatMul", 21);
    auto ru = u.run(matmul_example(DType::kUInt8, st));
    ASSERT_TRUE(ru.ok()) << ru.status().to_string();
    EXPECT_EQ(ints((*ru)[0]), (std::vector<int>{168, 115, 255, 1, 66, 151}));
    OpTest s("QLinearMatMul", 21);
    auto rs = s.run(matmul_example(DType::kInt8, st));
    ASSERT_TRUE(rs.ok()) << rs.status().to_string();
    EXPECT_EQ(ints((*rs)[0]), (std::vector<int>{41, -12, -9, 1, -75, -128}));
  }
  OpTest old("QLinearMatMul", 10);
  auto r = old.run(matmul_example(DType::kUInt8, DType::kFloat16));
  ASSERT_FALSE(r.ok());  // float16 scales arrived in opset 21
}

struct MatMulCase {
  Shape a, b;
  Shape za, zb, sa, sb;  // parameter shapes ({} = scalar)
};

// Naive reference of (a - za) @ (b - zb) with numpy broadcasting; returns the int64 sums and, per output element,
// the flat index of the a-row parameter and b-column parameter.
struct MatMulRef {
  Shape out;
  std::vector<int64_t> acc;
  std::vector<size_t> a_param_el, b_param_el;  // per output: element of a / b used (row start, column)
};

// Index of `param` (shape p) for operand element at full index `idx` of an operand of shape `s` (numpy broadcasting,
// after promoting a 1-D per-row parameter [M] to [M, 1]).
size_t param_at(const Shape& s, Shape p, const std::vector<int64_t>& idx, bool per_row) {
  if (shape_numel(p) == 1) return 0;
  if (p.size() == 1 && per_row) p = {p[0], 1};
  p.insert(p.begin(), s.size() - p.size(), 1);
  size_t off = 0;
  for (size_t d = 0; d < s.size(); ++d)
    off = off * static_cast<size_t>(p[d]) + (p[d] == 1 ? 0 : static_cast<size_t>(idx[d]));
  return off;
}

void check_matmul(const MatMulCase& c, DType at, DType bt, bool qlinear, bool const_b, uint32_t seed) {
  SCOPED_TRACE(::testing::Message() << "a " << shape_str(c.a) << " b " << shape_str(c.b) << " za " << shape_str(c.za)
                                    << " zb " << shape_str(c.zb) << " " << dtype_name(at) << "/" << dtype_name(bt));
  Tensor a = random_q(at, c.a, seed), b = random_q(bt, c.b, seed + 1);
  Tensor za = random_q(at, c.za, seed + 2), zb = random_q(bt, c.zb, seed + 3);
  std::mt19937 rng(seed);
  auto rand_scales = [&](const Shape& s) {
    Tensor t = Tensor::empty(DType::kFloat32, s);
    for (int64_t i = 0; i < t.numel(); ++i)
      t.data<float>()[i] = std::uniform_real_distribution<float>(0.002f, 0.02f)(rng);
    return t;
  };
  Tensor sa = rand_scales(c.sa), sb = rand_scales(c.sb);
  // Rank-2 views (numpy promotion of 1-D operands).
  Shape as = c.a, bs = c.b;
  if (as.size() == 1) as.insert(as.begin(), 1);
  if (bs.size() == 1) bs.push_back(1);
  const int64_t M = as[as.size() - 2], K = as.back(), N = bs.back();
  const Shape ab(as.begin(), as.end() - 2), bb(bs.begin(), bs.end() - 2);
  const size_t r = std::max(ab.size(), bb.size());
  Shape ob(r, 1);
  for (size_t d = 0; d < r; ++d) {
    const int64_t x = d + ab.size() >= r ? ab[d + ab.size() - r] : 1,
                  y = d + bb.size() >= r ? bb[d + bb.size() - r] : 1;
    ob[d] = std::max(x, y);
  }
  const float ys = 0.05f;
  const int zy = qlinear ? 7 : 0;
  OpTest t(qlinear ? "QLinearMatMul" : "MatMulInteger", qlinear ? 21 : 10);
  std::vector<Tensor> in = qlinear ? std::vector<Tensor>{a, sa, za, b, sb, zb, f_scalar(ys), q_scalar(at, zy)}
                                   : std::vector<Tensor>{a, b, za, zb};
  if (const_b)
    t.constant_inputs = qlinear ? std::vector<bool>{false, true, true, true, true, true, true, true}
                                : std::vector<bool>{false, true, false, true};
  auto res = t.run(in);
  ASSERT_TRUE(res.ok()) << res.status().to_string();
  const Tensor& y = (*res)[0];
  Shape want_shape = ob;
  if (c.a.size() > 1) want_shape.push_back(M);
  if (c.b.size() > 1) want_shape.push_back(N);
  ASSERT_EQ(y.shape(), want_shape);
  std::vector<int> av = ints(a), bv = ints(b), zav = ints(za), zbv = ints(zb), got = ints(y);
  const int64_t nb = shape_numel(ob);
  for (int64_t o = 0; o < nb; ++o) {
    std::vector<int64_t> oi(r);
    for (size_t d = r, rem = static_cast<size_t>(o); d-- > 0;) {
      oi[d] = static_cast<int64_t>(rem % static_cast<size_t>(ob[d]));
      rem /= static_cast<size_t>(ob[d]);
    }
    auto operand_batch = [&](const Shape& bsh) {
      std::vector<int64_t> idx(bsh.size());
      for (size_t d = 0; d < bsh.size(); ++d) idx[d] = bsh[d] == 1 ? 0 : oi[d + r - bsh.size()];
      return idx;
    };
    std::vector<int64_t> ai = operand_batch(ab), bi = operand_batch(bb);
    int64_t a_base = 0, b_base = 0;
    for (size_t d = 0; d < ab.size(); ++d) a_base = a_base * ab[d] + ai[d];
    for (size_t d = 0; d < bb.size(); ++d) b_base = b_base * bb[d] + bi[d];
    for (int64_t m = 0; m < M; ++m) {
      std::vector<int64_t> a_idx = ai;
      a_idx.push_back(m);
      a_idx.push_back(0);
      const bool a_vec = c.a.size() == 1;
      const size_t pza = a_vec ? 0 : param_at(as, c.za, a_idx, true);
      const size_t psa = a_vec ? 0 : param_at(as, c.sa, a_idx, true);
      for (int64_t n = 0; n < N; ++n) {
        std::vector<int64_t> b_idx = bi;
        b_idx.push_back(0);
        b_idx.push_back(n);
        const size_t pzb = c.b.size() == 1 ? 0 : param_at(bs, c.zb, b_idx, false);
        const size_t psb = c.b.size() == 1 ? 0 : param_at(bs, c.sb, b_idx, false);
        int64_t acc = 0;
        for (int64_t k = 0; k < K; ++k)
          acc += static_cast<int64_t>(av[static_cast<size_t>((a_base * M + m) * K + k)] - zav[pza]) *
                 (bv[static_cast<size_t>((b_base * K + k) * N + n)] - zbv[pzb]);
        const int g = got[static_cast<size_t>((o * M + m) * N + n)];
        if (!qlinear) {
          ASSERT_EQ(g, acc) << o << " " << m << " " << n;
          continue;
        }
        const float fs = sa.data<float>()[psa] * sb.data<float>()[psb] / ys;
        ASSERT_EQ(g, sat_round(static_cast<float>(acc) * fs, zy, at)) << o << " " << m << " " << n;
        const double real = static_cast<double>(acc) * sa.data<float>()[psa] * sb.data<float>()[psb];
        ASSERT_LE(std::abs(g - sat_round(real / ys, zy, at)), 1);
      }
    }
  }
}

std::vector<MatMulCase> matmul_cases() {
  return {
      {{5, 7}, {7, 3}, {}, {}, {}, {}},
      {{5, 7}, {7, 3}, {5}, {3}, {5}, {3}},                                   // per row / per column 1-D
      {{2, 3, 5, 9}, {3, 9, 4}, {1}, {1, 4}, {}, {4}},                        // batch broadcast
      {{2, 1, 5, 9}, {3, 9, 4}, {2, 1, 5, 1}, {3, 1, 4}, {5, 1}, {3, 1, 4}},  // batched per-row / per-column
      {{7}, {7, 6}, {}, {6}, {}, {6}},                                        // vector @ matrix
      {{4, 17}, {17}, {4}, {}, {4}, {}},                                      // matrix @ vector
      {{3, 1, 33}, {33, 65}, {}, {65}, {}, {}},                               // K not a multiple of 8, wide N
  };
}

TEST(QLinearMatMul, RandomVsNaive) {
  uint32_t seed = 900;
  for (const MatMulCase& c : matmul_cases()) {
    check_matmul(c, DType::kUInt8, DType::kUInt8, true, false, seed++);
    check_matmul(c, DType::kInt8, DType::kInt8, true, true, seed++);
    check_matmul(c, DType::kUInt8, DType::kInt8, true, true, seed++);
  }
}

TEST(MatMulInteger, OnnxExampleAndRandom) {
  OpTest t("MatMulInteger", 10);
  auto r = t.run({q_tensor(DType::kUInt8, {4, 3}, {11, 7, 3, 10, 6, 2, 9, 5, 1, 8, 4, 0}),
                  q_tensor(DType::kUInt8, {3, 2}, {1, 4, 2, 5, 3, 6}), q_scalar(DType::kUInt8, 12),
                  q_scalar(DType::kUInt8, 0)});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(ints((*r)[0]), (std::vector<int>{-38, -83, -44, -98, -50, -113, -56, -128}));
  uint32_t seed = 1000;
  for (const MatMulCase& c : matmul_cases()) {
    check_matmul(c, DType::kUInt8, DType::kUInt8, false, true, seed++);
    check_matmul(c, DType::kInt8, DType::kUInt8, false, false, seed++);
  }
}

TEST(QLinearMatMul, Errors) {
  Tensor a = random_q(DType::kUInt8, {3, 4}, 1), b = random_q(DType::kUInt8, {4, 5}, 2);
  OpTest t("QLinearMatMul", 10);
  expect_error(t.run({a, f_scalar(1), q_scalar(DType::kUInt8, 0), b, f_vec({1, 2, 3}), q_scalar(DType::kUInt8, 0),
                      f_scalar(1), q_scalar(DType::kUInt8, 0)}),
               "b_scale");
  OpTest t2("QLinearMatMul", 10);
  expect_error(t2.run({a, f_scalar(1), q_scalar(DType::kUInt8, 0), b, f_scalar(1), q_scalar(DType::kUInt8, 0),
                       f_scalar(1), q_tensor(DType::kUInt8, {2}, {0, 0})}),
               "y_zero_point");
  OpTest t3("MatMulInteger", 10);
  expect_error(t3.run({a, random_q(DType::kUInt8, {5, 4}, 3)}), "inner dimensions");
  OpTest t4("MatMulInteger", 10);
  expect_error(t4.run({a, b, q_tensor(DType::kUInt8, {4}, {1, 2, 3, 4})}), "a_zero_point");
}

// ---------------------------------------------------------------- com.microsoft element-wise ops

float deq(int q, float s, int z) { return static_cast<float>(q - z) * s; }

TEST(QLinearAdd, SameShapeAndBroadcastVsFloat) {
  for (DType t : {DType::kUInt8, DType::kInt8}) {
    for (const auto& shapes : std::vector<std::pair<Shape, Shape>>{
             {{2, 3, 5}, {2, 3, 5}}, {{2, 3, 5}, {3, 1}}, {{1, 1000}, {1000}}, {{4, 1, 3}, {1, 5, 1}}, {{7}, {}}}) {
      Tensor a = random_q(t, shapes.first, 5), b = random_q(t, shapes.second, 6);
      const float sa = 0.05f, sb = 0.11f, sc = 0.13f;
      const int za = t == DType::kUInt8 ? 120 : -3, zb = t == DType::kUInt8 ? 7 : 10, zc = t == DType::kUInt8 ? 130 : 2;
      for (bool mul : {false, true}) {
        OpTest op(mul ? "QLinearMul" : "QLinearAdd", 1, "com.microsoft");
        const float out_scale = mul ? sc * 3.0f : sc;
        auto r = op.run(
            {a, f_scalar(sa), q_scalar(t, za), b, f_scalar(sb), q_scalar(t, zb), f_scalar(out_scale), q_scalar(t, zc)});
        ASSERT_TRUE(r.ok()) << r.status().to_string();
        const Tensor& y = (*r)[0];
        Shape out = *broadcast_shapes({shapes.first, shapes.second});
        ASSERT_EQ(y.shape(), out);
        std::vector<int> av = ints(a), bv = ints(b), got = ints(y);
        std::vector<int> want;
        BroadcastIterator(out, {shapes.first, shapes.second}).for_each([&](int64_t, const std::vector<int64_t>& off) {
          const float x = deq(av[static_cast<size_t>(off[0])], sa, za),
                      z = deq(bv[static_cast<size_t>(off[1])], sb, zb);
          want.push_back(sat_round((mul ? x * z : x + z) / out_scale, zc, t));
        });
        for (size_t i = 0; i < want.size(); ++i)
          ASSERT_LE(std::abs(got[i] - want[i]), 1) << i << (mul ? " mul" : " add");
      }
    }
  }
}

TEST(QLinearAdd, Errors) {
  Tensor a = random_q(DType::kUInt8, {3}, 1);
  OpTest t("QLinearAdd", 1, "com.microsoft");
  expect_error(t.run({a, f_vec({1, 2}), q_scalar(DType::kUInt8, 0), a, f_scalar(1), q_scalar(DType::kUInt8, 0),
                      f_scalar(1), q_scalar(DType::kUInt8, 0)}),
               "A_scale");
  OpTest t2("QLinearAdd", 1, "com.microsoft");
  expect_error(t2.run({a, f_scalar(1), q_scalar(DType::kUInt8, 0), random_q(DType::kInt8, {3}, 2), f_scalar(1),
                       q_scalar(DType::kInt8, 0), f_scalar(1), q_scalar(DType::kUInt8, 0)}),
               "B must have the type of A");
}

TEST(QLinearSigmoidLeakyRelu, AllBytesVsFloat) {
  for (DType t : {DType::kUInt8, DType::kInt8}) {
    std::vector<int> all;
    for (int v = qmin(t); v <= qmax(t); ++v) all.push_back(v);
    Tensor x = q_tensor(t, {static_cast<int64_t>(all.size())}, all);
    const float xs = 0.06f, ys = 1.0f / 256.0f, ys2 = 0.05f;
    const int zx = t == DType::kUInt8 ? 128 : 0, zy = t == DType::kUInt8 ? 0 : -128, zy2 = t == DType::kUInt8 ? 100 : 5;
    OpTest s("QLinearSigmoid", 1, "com.microsoft");
    auto rs = s.run({x, f_scalar(xs), q_scalar(t, zx), f_scalar(ys), q_scalar(t, zy)});
    ASSERT_TRUE(rs.ok()) << rs.status().to_string();
    OpTest l("QLinearLeakyRelu", 1, "com.microsoft");
    l.attr_float("alpha", 0.2f);
    auto rl = l.run({x, f_scalar(xs), q_scalar(t, zx), f_scalar(ys2), q_scalar(t, zy2)});
    ASSERT_TRUE(rl.ok()) << rl.status().to_string();
    std::vector<int> gs = ints((*rs)[0]), gl = ints((*rl)[0]);
    for (size_t i = 0; i < all.size(); ++i) {
      const double d = (all[i] - zx) * static_cast<double>(xs);
      EXPECT_LE(std::abs(gs[i] - sat_round(1.0 / (1.0 + std::exp(-d)) / ys, zy, t)), 1) << all[i];
      EXPECT_LE(std::abs(gl[i] - sat_round((d >= 0 ? d : 0.2 * d) / ys2, zy2, t)), 1) << all[i];
    }
  }
}

TEST(QLinearConcat, RequantizesEachInput) {
  Tensor a = random_q(DType::kUInt8, {2, 3, 4}, 1), b = random_q(DType::kUInt8, {2, 1, 4}, 2);
  Tensor c = random_q(DType::kUInt8, {2, 2, 4}, 3);
  OpTest t("QLinearConcat", 1, "com.microsoft");
  t.attr_int("axis", 1);
  auto r = t.run({f_scalar(0.1f), q_scalar(DType::kUInt8, 128), a, f_scalar(0.1f), q_scalar(DType::kUInt8, 128), b,
                  f_scalar(0.05f), q_scalar(DType::kUInt8, 10), c, f_scalar(0.3f), q_scalar(DType::kUInt8, 200)});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ((*r)[0].shape(), (Shape{2, 6, 4}));
  std::vector<int> got = ints((*r)[0]), av = ints(a), bv = ints(b), cv = ints(c);
  for (int n = 0; n < 2; ++n)
    for (int ch = 0; ch < 6; ++ch)
      for (int w = 0; w < 4; ++w) {
        int want;
        if (ch < 3) {
          want = av[static_cast<size_t>((n * 3 + ch) * 4 + w)];  // same parameters: copied
        } else if (ch < 4) {
          want = sat_round(deq(bv[static_cast<size_t>(n * 4 + w)], 0.05f, 10) / 0.1f, 128, DType::kUInt8);
        } else {
          want =
              sat_round(deq(cv[static_cast<size_t>((n * 2 + ch - 4) * 4 + w)], 0.3f, 200) / 0.1f, 128, DType::kUInt8);
        }
        EXPECT_EQ(got[static_cast<size_t>((n * 6 + ch) * 4 + w)], want) << n << " " << ch << " " << w;
      }
  OpTest bad("QLinearConcat", 1, "com.microsoft");
  bad.attr_int("axis", 1);
  expect_error(bad.run({f_scalar(0.1f), q_scalar(DType::kUInt8, 128), a, f_scalar(0.1f), q_scalar(DType::kUInt8, 128),
                        random_q(DType::kUInt8, {3, 1, 4}, 4), f_scalar(0.1f), q_scalar(DType::kUInt8, 1)}),
               "differs");
}

TEST(QLinearGlobalAveragePool, NchwAndNhwc) {
  for (DType t : {DType::kUInt8, DType::kInt8}) {
    Tensor x = random_q(t, {2, 5, 7, 3}, 8);  // NCHW [2,5,7,3] or NHWC [2,5,7,3] (C = 3)
    const float xs = 0.07f, ys = 0.03f;
    const int zx = t == DType::kUInt8 ? 100 : -7, zy = t == DType::kUInt8 ? 90 : 3;
    std::vector<int> xv = ints(x);
    for (int cl : {0, 1}) {
      OpTest op("QLinearGlobalAveragePool", 1, "com.microsoft");
      op.attr_int("channels_last", cl);
      auto r = op.run({x, f_scalar(xs), q_scalar(t, zx), f_scalar(ys), q_scalar(t, zy)});
      ASSERT_TRUE(r.ok()) << r.status().to_string();
      ASSERT_EQ((*r)[0].shape(), cl ? (Shape{2, 1, 1, 3}) : (Shape{2, 5, 1, 1}));
      std::vector<int> got = ints((*r)[0]);
      const int C = cl ? 3 : 5, S = cl ? 35 : 21;
      for (int n = 0; n < 2; ++n)
        for (int c = 0; c < C; ++c) {
          double sum = 0;
          for (int s = 0; s < S; ++s)
            sum += deq(xv[static_cast<size_t>(cl ? (n * S + s) * C + c : (n * C + c) * S + s)], xs, zx);
          EXPECT_LE(std::abs(got[static_cast<size_t>(n * C + c)] - sat_round(sum / S / ys, zy, t)), 1);
        }
    }
  }
}

TEST(QLinearAveragePool, PadsCeilAndCountIncludePad) {
  Tensor x = random_q(DType::kUInt8, {1, 3, 7, 6}, 12);
  std::vector<int> xv = ints(x);
  const float xs = 0.1f, ys = 0.08f;
  const int zx = 30, zy = 50;
  for (int include : {0, 1}) {
    for (int ceil : {0, 1}) {
      OpTest op("QLinearAveragePool", 1, "com.microsoft");
      op.attr_ints("kernel_shape", {3, 2}).attr_ints("strides", {2, 2}).attr_ints("pads", {1, 0, 1, 1});
      op.attr_int("count_include_pad", include).attr_int("ceil_mode", ceil);
      auto r = op.run({x, f_scalar(xs), q_scalar(DType::kUInt8, zx), f_scalar(ys), q_scalar(DType::kUInt8, zy)});
      ASSERT_TRUE(r.ok()) << r.status().to_string();
      // H: (7 + 2 - 3) / 2 + 1 = 4 either way; W: (6 + 1 - 2) / 2 + 1 = 3, ceil -> 4 (starts at 6 = W + pad_begin:
      // dropped).
      const int OH = 4, OW = 3;
      ASSERT_EQ((*r)[0].shape(), (Shape{1, 3, OH, OW}));
      std::vector<int> got = ints((*r)[0]);
      for (int c = 0; c < 3; ++c)
        for (int oh = 0; oh < OH; ++oh)
          for (int ow = 0; ow < OW; ++ow) {
            double sum = 0;
            int count = 0, window = 0;
            for (int kh = 0; kh < 3; ++kh)
              for (int kw = 0; kw < 2; ++kw) {
                const int ih = oh * 2 - 1 + kh, iw = ow * 2 + kw;
                if (ih >= -1 && ih <= 7 && iw <= 6) ++window;  // inside input + pads
                if (ih < 0 || ih >= 7 || iw >= 6) continue;
                sum += deq(xv[static_cast<size_t>((c * 7 + ih) * 6 + iw)], xs, zx);
                ++count;
              }
            const double avg = sum / (include ? window : count);
            EXPECT_LE(
                std::abs(got[static_cast<size_t>((c * OH + oh) * OW + ow)] - sat_round(avg / ys, zy, DType::kUInt8)), 1)
                << c << " " << oh << " " << ow;
          }
    }
  }
}

}  // namespace
}  // namespace edgerun::testing
