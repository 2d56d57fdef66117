// Conv / ConvTranspose against hand-computed values and against a naive direct implementation on
// random data with awkward sizes (1-D/2-D/3-D, odd channels, groups, dilations, asymmetric pads).
#include <gtest/gtest.h>

#include "core/half.h"
#include "ops/op_test_util.h"

namespace edgerun::testing {
namespace {

// Row-major flat index of `idx` in `shape`.
int64_t flat(const Shape& shape, const std::vector<int64_t>& idx) {
  int64_t f = 0;
  for (size_t i = 0; i < shape.size(); ++i) f = f * shape[i] + idx[i];
  return f;
}

// Calls fn(idx) for every index of `shape` (row-major).
template <class Fn>
void for_each_index(const Shape& shape, Fn&& fn) {
  std::vector<int64_t> idx(shape.size(), 0);
  const int64_t n = shape_numel(shape);
  for (int64_t i = 0; i < n; ++i) {
    fn(idx);
    for (size_t d = shape.size(); d-- > 0;) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
}

struct ConvSpec {
  Shape x, w;  // X [N, C, spatial...], W [M, C/group, k...]
  int64_t group = 1;
  std::vector<int64_t> strides{}, dilations{}, pads{};  // empty = default
  bool bias = true;
};

// y[n, m, o] = b[m] + sum_{c, k} x[n, g*Cg + c, o*s - pad + k*d] * w[m, c, k]
Tensor naive_conv(const ConvSpec& s, const Tensor& x, const Tensor& w, const Tensor* b) {
  const size_t r = s.x.size() - 2;
  std::vector<int64_t> st = s.strides.empty() ? std::vector<int64_t>(r, 1) : s.strides;
  std::vector<int64_t> dl = s.dilations.empty() ? std::vector<int64_t>(r, 1) : s.dilations;
  std::vector<int64_t> pd = s.pads.empty() ? std::vector<int64_t>(2 * r, 0) : s.pads;
  Shape out = {s.x[0], s.w[0]};
  for (size_t i = 0; i < r; ++i)
    out.push_back((s.x[2 + i] + pd[i] + pd[r + i] - ((s.w[2 + i] - 1) * dl[i] + 1)) / st[i] + 1);
  Tensor y = Tensor::empty(DType::kFloat32, out);
  const int64_t cg = s.x[1] / s.group, mg = s.w[0] / s.group;
  Shape kshape(s.w.begin() + 2, s.w.end());
  for_each_index(out, [&](const std::vector<int64_t>& o) {
    const int64_t n = o[0], m = o[1], g = m / mg;
    double acc = b ? b->data<float>()[m] : 0.0;
    for (int64_t c = 0; c < cg; ++c)
      for_each_index(kshape, [&](const std::vector<int64_t>& k) {
        std::vector<int64_t> xi = {n, g * cg + c};
        for (size_t i = 0; i < r; ++i) {
          const int64_t p = o[2 + i] * st[i] - pd[i] + k[i] * dl[i];
          if (p < 0 || p >= s.x[2 + i]) return;
          xi.push_back(p);
        }
        std::vector<int64_t> wi = {m, c};
        wi.insert(wi.end(), k.begin(), k.end());
        acc += static_cast<double>(x.data<float>()[flat(s.x, xi)]) * w.data<float>()[flat(s.w, wi)];
      });
    y.data<float>()[flat(out, o)] = static_cast<float>(acc);
  });
  return y;
}

void set_conv_attrs(OpTest& t, const ConvSpec& s) {
  if (s.group != 1) t.attr_int("group", s.group);
  if (!s.strides.empty()) t.attr_ints("strides", s.strides);
  if (!s.dilations.empty()) t.attr_ints("dilations", s.dilations);
  if (!s.pads.empty()) t.attr_ints("pads", s.pads);
}

void check_conv(const ConvSpec& s, bool constant_weights, uint32_t seed) {
  Tensor x = random_tensor(s.x, seed);
  Tensor w = random_tensor(s.w, seed + 1);
  Tensor b = random_tensor({s.w[0]}, seed + 2);
  OpTest t("Conv");
  set_conv_attrs(t, s);
  if (constant_weights) t.constant_inputs = {false, true, true};
  std::vector<Tensor> inputs = {x, w};
  if (s.bias) inputs.push_back(b);
  auto out = t.run(inputs);
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  expect_near((*out)[0], naive_conv(s, x, w, s.bias ? &b : nullptr), 1e-4f);
}

TEST(Conv, BasicWithPaddingHandComputed) {
  // ONNX's basic example: 5x5 ramp, 3x3 ones, pads 1.
  std::vector<float> xv(25);
  for (int i = 0; i < 25; ++i) xv[static_cast<size_t>(i)] = static_cast<float>(i);
  Tensor x = float_tensor({1, 1, 5, 5}, xv);
  Tensor w = float_tensor({1, 1, 3, 3}, std::vector<float>(9, 1.0f));
  OpTest t("Conv");
  t.attr_ints("kernel_shape", {3, 3}).attr_ints("pads", {1, 1, 1, 1});
  auto out = t.run({x, w});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  Tensor want = float_tensor({1, 1, 5, 5}, {12, 21, 27, 33, 24, 33, 54, 63, 72, 51, 63, 99, 108, 117, 81,
                                            93, 144, 153, 162, 111, 72, 111, 117, 123, 84});
  expect_near((*out)[0], want, 1e-5f);
}

TEST(Conv, StridesAsymmetricPadsHandComputed) {
  // 1x1x4x3 input, 2x2 kernel [[1,2],[3,4]], stride 2, pads (top 1, left 0, bottom 0, right 1), bias 0.5.
  Tensor x = float_tensor({1, 1, 4, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
  Tensor w = float_tensor({1, 1, 2, 2}, {1, 2, 3, 4});
  Tensor b = float_tensor({1}, {0.5f});
  OpTest t("Conv");
  t.attr_ints("strides", {2, 2}).attr_ints("pads", {1, 0, 0, 1});
  auto out = t.run({x, w, b});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  // Padded rows: [0 0 0 0], [1 2 3 0], [4 5 6 0], [7 8 9 0], [10 11 12 0] -> out 2x2
  // (0,0): rows -1,0 cols 0,1: 0*1+0*2+1*3+2*4 = 11 ; (0,1): cols 2,3: 3*3+0 = 9
  // (1,0): rows 1,2: 4*1+5*2+7*3+8*4 = 67 ; (1,1): 6*1+0+9*3+0 = 33
  expect_near((*out)[0], float_tensor({1, 1, 2, 2}, {11.5f, 9.5f, 67.5f, 33.5f}), 1e-5f);
}

TEST(Conv, MatchesNaive2d) {
  const std::vector<ConvSpec> specs = {
      {{1, 1, 7, 7}, {1, 1, 3, 3}},
      {{2, 3, 7, 5}, {5, 3, 3, 2}, 1, {2, 1}, {1, 2}, {1, 0, 2, 1}},
      {{1, 6, 9, 8}, {4, 3, 3, 3}, 2, {1, 2}, {}, {1, 1, 1, 1}},                 // groups
      {{1, 7, 11, 13}, {7, 1, 3, 3}, 7, {1, 1}, {2, 2}, {2, 2, 2, 2}},           // depthwise, dilated
      {{2, 5, 10, 9}, {10, 1, 5, 3}, 5, {2, 3}, {1, 1}, {3, 0, 1, 2}},           // depthwise x2 multiplier
      {{1, 4, 6, 6}, {3, 4, 1, 1}},                                              // pointwise
      {{1, 3, 1, 1}, {2, 3, 1, 1}, 1, {}, {}, {}, false},                        // 1x1 image, no bias
      {{1, 3, 20, 70}, {8, 3, 3, 3}, 1, {1, 1}, {1, 1}, {1, 1, 1, 1}},           // several im2col tiles
  };
  uint32_t seed = 10;
  for (const ConvSpec& s : specs) {
    SCOPED_TRACE(shape_str(s.x) + " w " + shape_str(s.w));
    check_conv(s, false, seed);
    check_conv(s, true, seed + 5);
    seed += 17;
  }
}

TEST(Conv, MatchesNaive1dAnd3d) {
  check_conv({{2, 3, 17}, {4, 3, 3}, 1, {2}, {3}, {1, 2}}, false, 3);
  check_conv({{1, 4, 9}, {6, 2, 4}, 2, {1}, {1}, {0, 3}}, true, 4);
  check_conv({{1, 2, 5, 6, 7}, {3, 2, 2, 3, 2}, 1, {1, 2, 1}, {2, 1, 1}, {0, 1, 1, 1, 0, 2}}, false, 5);
  check_conv({{1, 4, 4, 5, 3}, {4, 1, 3, 3, 3}, 4, {}, {}, {1, 1, 1, 1, 1, 1}}, true, 6);
}

TEST(Conv, LargeImageIm2colTiles) {
  // Enough output columns and K to need several scratch tiles.
  check_conv({{1, 64, 40, 40}, {4, 64, 3, 3}, 1, {}, {}, {1, 1, 1, 1}}, true, 7);
}

TEST(Conv, AutoPadSameUpperLowerValid) {
  Tensor x = random_tensor({1, 2, 7, 6}, 21);
  Tensor w = random_tensor({3, 2, 4, 3}, 22);
  // SAME with stride 2: out = ceil(in/2) = [4, 3]; total pad = (out-1)*2 + k - in = [3, 1]
  struct Case {
    const char* mode;
    std::vector<int64_t> pads;  // equivalent explicit pads
    Shape out;
  };
  const std::vector<Case> cases = {{"SAME_UPPER", {1, 0, 2, 1}, {1, 3, 4, 3}},
                                   {"SAME_LOWER", {2, 1, 1, 0}, {1, 3, 4, 3}},
                                   {"VALID", {0, 0, 0, 0}, {1, 3, 2, 2}}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.mode);
    OpTest t("Conv");
    t.attr_string("auto_pad", c.mode).attr_ints("strides", {2, 2});
    auto out = t.run({x, w});
    ASSERT_TRUE(out.ok()) << out.status().to_string();
    ConvSpec s{{1, 2, 7, 6}, {3, 2, 4, 3}, 1, {2, 2}, {}, c.pads, false};
    Tensor want = naive_conv(s, x, w, nullptr);
    ASSERT_EQ(want.shape(), c.out);
    expect_near((*out)[0], want, 1e-4f);
  }
}

TEST(Conv, Float64AndFloat16) {
  ConvSpec s{{1, 3, 6, 5}, {4, 3, 3, 3}, 1, {1, 1}, {}, {1, 1, 1, 1}, true};
  Tensor x = random_tensor(s.x, 31), w = random_tensor(s.w, 32), b = random_tensor({4}, 33);
  Tensor want = naive_conv(s, x, w, &b);
  auto to_f64 = [](const Tensor& t) {
    Tensor d = Tensor::empty(DType::kFloat64, t.shape());
    for (int64_t i = 0; i < t.numel(); ++i) d.data<double>()[i] = t.data<float>()[i];
    return d;
  };
  auto to_f16 = [](const Tensor& t) {
    Tensor d = Tensor::empty(DType::kFloat16, t.shape());
    for (int64_t i = 0; i < t.numel(); ++i) d.data<uint16_t>()[i] = float_to_half(t.data<float>()[i]);
    return d;
  };
  {
    OpTest t("Conv");
    t.attr_ints("pads", {1, 1, 1, 1});
    t.constant_inputs = {false, true, false};
    auto out = t.run({to_f64(x), to_f64(w), to_f64(b)});
    ASSERT_TRUE(out.ok()) << out.status().to_string();
    ASSERT_EQ((*out)[0].dtype(), DType::kFloat64);
    for (int64_t i = 0; i < want.numel(); ++i) EXPECT_NEAR((*out)[0].data<double>()[i], want.data<float>()[i], 1e-4);
  }
  {
    OpTest t("Conv");
    t.attr_ints("pads", {1, 1, 1, 1});
    auto out = t.run({to_f16(x), to_f16(w), to_f16(b)});
    ASSERT_TRUE(out.ok()) << out.status().to_string();
    ASSERT_EQ((*out)[0].dtype(), DType::kFloat16);
    for (int64_t i = 0; i < want.numel(); ++i)
      EXPECT_NEAR(half_to_float((*out)[0].data<uint16_t>()[i]), want.data<float>()[i], 2e-2);
  }
}

TEST(Conv, Errors) {
  Tensor x = random_tensor({1, 4, 5, 5});
  auto expect_error = [](OpTest& t, const std::vector<Tensor>& in, const char* what) {
    auto out = t.run(in);
    ASSERT_FALSE(out.ok()) << what;
    EXPECT_NE(out.status().message().find("test_node"), std::string::npos) << out.status().to_string();
  };
  {
    OpTest t("Conv");  // channel mismatch: W expects 3 input channels
    expect_error(t, {x, random_tensor({2, 3, 3, 3})}, "channel mismatch");
  }
  {
    OpTest t("Conv");
    t.attr_int("group", 3);  // 4 channels not divisible by 3
    expect_error(t, {x, random_tensor({3, 1, 3, 3})}, "group");
  }
  {
    OpTest t("Conv");
    t.attr_int("group", 2);  // 3 output channels not divisible by 2
    expect_error(t, {x, random_tensor({3, 2, 3, 3})}, "out channels vs group");
  }
  {
    OpTest t("Conv");  // wrong W rank
    expect_error(t, {x, random_tensor({2, 4, 3})}, "rank");
  }
  {
    OpTest t("Conv");  // X rank 2
    expect_error(t, {random_tensor({1, 4}), random_tensor({2, 4})}, "X rank");
  }
  {
    OpTest t("Conv");
    t.attr_ints("kernel_shape", {2, 2});  // disagrees with W
    expect_error(t, {x, random_tensor({2, 4, 3, 3})}, "kernel_shape");
  }
  {
    OpTest t("Conv");
    t.attr_ints("pads", {1, 1});  // needs 4 values
    expect_error(t, {x, random_tensor({2, 4, 3, 3})}, "pads count");
  }
  {
    OpTest t("Conv");
    t.attr_ints("strides", {0, 1});
    expect_error(t, {x, random_tensor({2, 4, 3, 3})}, "zero stride");
  }
  {
    OpTest t("Conv");  // kernel larger than the input
    expect_error(t, {x, random_tensor({2, 4, 7, 7})}, "kernel too big");
  }
  {
    OpTest t("Conv");  // bias of the wrong size
    expect_error(t, {x, random_tensor({2, 4, 3, 3}), random_tensor({3})}, "bias");
  }
  {
    OpTest t("Conv");
    t.attr_string("auto_pad", "SAME");
    expect_error(t, {x, random_tensor({2, 4, 3, 3})}, "auto_pad");
  }
  {
    OpTest t("Conv");  // pads that would make a 2^93-element output must not overflow
    const int64_t big = int64_t{1} << 30;
    t.attr_ints("pads", {big, big, big, big, big, big});
    expect_error(t, {random_tensor({1, 1, 2, 2, 2}), random_tensor({1, 1, 1, 1, 1})}, "huge pads");
  }
}

// ---------------------------------------------------------------------------------------------
// ConvTranspose

struct ConvTSpec {
  Shape x, w;  // X [N, C, spatial...], W [C, M/group, k...]
  int64_t group = 1;
  std::vector<int64_t> strides{}, dilations{}, pads{}, output_padding{};
};

// y[n, g*Mg + m, i*s - pad + k*d] += x[n, g*Cg + c, i] * w[g*Cg + c, m, k]
Tensor naive_conv_transpose(const ConvTSpec& s, const Tensor& x, const Tensor& w, const Tensor* b) {
  const size_t r = s.x.size() - 2;
  std::vector<int64_t> st = s.strides.empty() ? std::vector<int64_t>(r, 1) : s.strides;
  std::vector<int64_t> dl = s.dilations.empty() ? std::vector<int64_t>(r, 1) : s.dilations;
  std::vector<int64_t> pd = s.pads.empty() ? std::vector<int64_t>(2 * r, 0) : s.pads;
  std::vector<int64_t> op = s.output_padding.empty() ? std::vector<int64_t>(r, 0) : s.output_padding;
  const int64_t cg = s.x[1] / s.group, mg = s.w[1];
  Shape out = {s.x[0], mg * s.group};
  for (size_t i = 0; i < r; ++i)
    out.push_back(st[i] * (s.x[2 + i] - 1) + op[i] + (s.w[2 + i] - 1) * dl[i] + 1 - pd[i] - pd[r + i]);
  std::vector<double> acc(static_cast<size_t>(shape_numel(out)), 0.0);
  Shape kshape(s.w.begin() + 2, s.w.end());
  for_each_index(s.x, [&](const std::vector<int64_t>& xi) {
    const int64_t n = xi[0], c = xi[1], g = c / cg;
    const float xv = x.data<float>()[flat(s.x, xi)];
    for (int64_t m = 0; m < mg; ++m)
      for_each_index(kshape, [&](const std::vector<int64_t>& k) {
        std::vector<int64_t> yi = {n, g * mg + m};
        for (size_t i = 0; i < r; ++i) {
          const int64_t p = xi[2 + i] * st[i] - pd[i] + k[i] * dl[i];
          if (p < 0 || p >= out[2 + i]) return;
          yi.push_back(p);
        }
        std::vector<int64_t> wi = {c, m};
        wi.insert(wi.end(), k.begin(), k.end());
        acc[static_cast<size_t>(flat(out, yi))] += static_cast<double>(xv) * w.data<float>()[flat(s.w, wi)];
      });
  });
  Tensor y = Tensor::empty(DType::kFloat32, out);
  for_each_index(out, [&](const std::vector<int64_t>& yi) {
    const int64_t f = flat(out, yi);
    y.data<float>()[f] = static_cast<float>(acc[static_cast<size_t>(f)] + (b ? b->data<float>()[yi[1]] : 0.0f));
  });
  return y;
}

void check_conv_transpose(const ConvTSpec& s, bool constant_weights, uint32_t seed) {
  Tensor x = random_tensor(s.x, seed), w = random_tensor(s.w, seed + 1);
  Tensor b = random_tensor({s.w[1] * s.group}, seed + 2);
  OpTest t("ConvTranspose");
  if (s.group != 1) t.attr_int("group", s.group);
  if (!s.strides.empty()) t.attr_ints("strides", s.strides);
  if (!s.dilations.empty()) t.attr_ints("dilations", s.dilations);
  if (!s.pads.empty()) t.attr_ints("pads", s.pads);
  if (!s.output_padding.empty()) t.attr_ints("output_padding", s.output_padding);
  if (constant_weights) t.constant_inputs = {false, true, true};
  auto out = t.run({x, w, b});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  expect_near((*out)[0], naive_conv_transpose(s, x, w, &b), 1e-4f);
}

TEST(ConvTranspose, HandComputed) {
  // 1-D: x = [1, 2], w = [1, 10, 100], stride 2 -> [1, 10, 102, 20, 200]
  Tensor x = float_tensor({1, 1, 2}, {1, 2});
  Tensor w = float_tensor({1, 1, 3}, {1, 10, 100});
  OpTest t("ConvTranspose");
  t.attr_ints("strides", {2});
  auto out = t.run({x, w});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  expect_near((*out)[0], float_tensor({1, 1, 5}, {1, 10, 102, 20, 200}), 1e-5f);
}

TEST(ConvTranspose, MatchesNaive) {
  const std::vector<ConvTSpec> specs = {
      {{1, 1, 3, 3}, {1, 2, 3, 3}},
      {{2, 3, 5, 4}, {3, 2, 3, 2}, 1, {2, 3}, {1, 2}, {1, 0, 2, 1}, {1, 2}},
      {{1, 4, 4, 5}, {4, 3, 3, 3}, 2, {2, 2}, {}, {1, 1, 1, 1}, {1, 0}},  // groups
      {{1, 6, 7, 7}, {6, 1, 4, 4}, 6, {2, 2}, {1, 1}, {1, 1, 1, 1}},      // depthwise
      {{1, 3, 9}, {3, 5, 3}, 1, {3}, {2}, {2, 1}, {2}},                   // 1-D
      {{1, 2, 3, 4, 3}, {2, 3, 2, 3, 2}, 1, {2, 1, 2}, {1, 2, 1}, {0, 1, 0, 1, 0, 1}},  // 3-D
  };
  uint32_t seed = 40;
  for (const ConvTSpec& s : specs) {
    SCOPED_TRACE(shape_str(s.x) + " w " + shape_str(s.w));
    check_conv_transpose(s, false, seed);
    check_conv_transpose(s, true, seed + 3);
    seed += 11;
  }
}

TEST(ConvTranspose, OutputShapeAndAutoPad) {
  Tensor x = random_tensor({1, 2, 3, 3}, 61), w = random_tensor({2, 3, 3, 3}, 62);
  {
    // output_shape [10, 8], strides [3, 2]: natural size [9, 7], total pads [-1, -1]; the extra
    // row/column goes at the end, as with output_padding [1, 1] (the ONNX example pair).
    OpTest t("ConvTranspose");
    t.attr_ints("strides", {3, 2}).attr_ints("output_shape", {10, 8});
    auto out = t.run({x, w});
    ASSERT_TRUE(out.ok()) << out.status().to_string();
    EXPECT_EQ((*out)[0].shape(), (Shape{1, 3, 10, 8}));
    // Same as output_padding [1, 1] with no pads (the ONNX example).
    OpTest t2("ConvTranspose");
    t2.attr_ints("strides", {3, 2}).attr_ints("output_padding", {1, 1});
    auto out2 = t2.run({x, w});
    ASSERT_TRUE(out2.ok()) << out2.status().to_string();
    expect_near((*out)[0], (*out2)[0], 1e-5f);
  }
  {
    // SAME_UPPER, stride 2: out = in * 2 = 6; total pad = 2*2 + 3 - 6 = 1 -> begin 0, end 1
    OpTest t("ConvTranspose");
    t.attr_string("auto_pad", "SAME_UPPER").attr_ints("strides", {2, 2});
    auto out = t.run({x, w});
    ASSERT_TRUE(out.ok()) << out.status().to_string();
    ConvTSpec s{{1, 2, 3, 3}, {2, 3, 3, 3}, 1, {2, 2}, {}, {0, 0, 1, 1}};
    expect_near((*out)[0], naive_conv_transpose(s, x, w, nullptr), 1e-4f);
  }
}

TEST(ConvTranspose, Errors) {
  Tensor x = random_tensor({1, 4, 3, 3});
  {
    OpTest t("ConvTranspose");  // W dim 0 must equal C
    EXPECT_FALSE(t.run({x, random_tensor({3, 2, 3, 3})}).ok());
  }
  {
    OpTest t("ConvTranspose");
    t.attr_int("group", 3);
    EXPECT_FALSE(t.run({x, random_tensor({4, 2, 3, 3})}).ok());
  }
  {
    OpTest t("ConvTranspose");
    t.attr_ints("pads", {5, 5, 5, 5});  // output would be negative
    EXPECT_FALSE(t.run({x, random_tensor({4, 2, 3, 3})}).ok());
  }
  {
    OpTest t("ConvTranspose");
    t.attr_ints("output_shape", {4});
    EXPECT_FALSE(t.run({x, random_tensor({4, 2, 3, 3})}).ok());
  }
  {
    OpTest t("ConvTranspose");  // strides that would overflow the output size
    t.attr_ints("strides", {int64_t{1} << 31, int64_t{1} << 31});
    EXPECT_FALSE(t.run({x, random_tensor({4, 2, 3, 3})}).ok());
  }
}

}  // namespace
}  // namespace edgerun::testing
