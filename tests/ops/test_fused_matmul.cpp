// com.edgerun FusedMatMul / FusedGemm (MatMul / Gemm + bias + activation in the GEMM epilogue) against a
// naive product followed by the reference activation.
#include <gtest/gtest.h>

#include <cmath>

#include "core/half.h"
#include "kernels/epilogue.h"
#include "ops/op_test_util.h"

namespace edgerun::testing {
namespace {

using kernels::Act;
using kernels::Activation;

// y[b, i, j] = act(sum_p a[b, i, p] * w[p, j] + bias[j]), a: [batch, m, k] (batch may be 1), w: [k, n] or
// per-batch [batch, k, n] when `batched_w`.
Tensor naive(const Tensor& a, const Tensor& w, const Tensor* bias, const Activation& act, bool batched_w) {
  const Shape& as = a.shape();
  const int64_t k = as.back(), m = as[as.size() - 2], n = w.shape().back();
  const int64_t batch = a.numel() / (m * k);
  Shape out = as;
  out.back() = n;
  Tensor y = Tensor::empty(DType::kFloat32, out);
  for (int64_t bi = 0; bi < batch; ++bi)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double s = bias ? bias->data<float>()[j] : 0.0;
        const float* wb = w.data<float>() + (batched_w ? bi * k * n : 0);
        for (int64_t p = 0; p < k; ++p) s += static_cast<double>(a.data<float>()[(bi * m + i) * k + p]) * wb[p * n + j];
        y.data<float>()[(bi * m + i) * n + j] = kernels::activation_ref(act, static_cast<float>(s));
      }
  return y;
}

struct NamedAct {
  const char* name;
  std::vector<float> params;
  Activation act;
};

const NamedAct kActs[] = {
    {"", {}, {Act::kNone, 0, 0}},
    {"Relu", {}, {Act::kClamp, 0.0f, INFINITY}},
    {"Clip", {-0.25f, 0.5f}, {Act::kClamp, -0.25f, 0.5f}},
    {"HardSwish", {}, {Act::kHardSwish, 0, 0}},
    {"Gelu", {}, {Act::kGelu, 0, 0}},
    {"LeakyRelu", {0.1f}, {Act::kLeakyRelu, 0.1f, 0}},
};

void set_act(OpTest& t, const NamedAct& a) {
  if (*a.name) t.attr_string("activation", a.name);
  if (!a.params.empty()) t.attr_floats("activation_params", a.params);
}

TEST(FusedMatMul, BiasAndActivation) {
  uint32_t seed = 1;
  for (const NamedAct& na : kActs)
    for (bool constant_w : {false, true})
      for (bool with_bias : {false, true}) {
        SCOPED_TRACE(str_cat("act=", na.name, " constant_w=", constant_w, " bias=", with_bias));
        Tensor a = random_tensor({2, 37, 70}, seed++), w = random_tensor({70, 45}, seed++), bias = random_tensor({45}, seed++);
        OpTest t("FusedMatMul", 1, "com.edgerun");
        set_act(t, na);
        t.constant_inputs = {false, constant_w, constant_w};
        auto out = with_bias ? t.run({a, w, bias}) : t.run({a, w});
        ASSERT_TRUE(out.ok()) << out.status().to_string();
        expect_near((*out)[0], naive(a, w, with_bias ? &bias : nullptr, na.act, false), 2e-4f);
      }
}

TEST(FusedMatMul, BatchedWeightsAndFloat16) {
  Tensor a = random_tensor({3, 9, 20}, 5), w = random_tensor({3, 20, 11}, 6), bias = random_tensor({11}, 7);
  {
    OpTest t("FusedMatMul", 1, "com.edgerun");
    set_act(t, kActs[1]);
    auto out = t.run({a, w, bias});
    ASSERT_TRUE(out.ok()) << out.status().to_string();
    expect_near((*out)[0], naive(a, w, &bias, kActs[1].act, true), 1e-4f);
  }
  {  // float16 runs the reference kernel (with the same fused epilogue)
    Tensor a16 = Tensor::empty(DType::kFloat16, {9, 20}), w16 = Tensor::empty(DType::kFloat16, {20, 11});
    Tensor b16 = Tensor::empty(DType::kFloat16, {11});
    Tensor a32 = random_tensor({9, 20}, 8), w32 = random_tensor({20, 11}, 9), b32 = random_tensor({11}, 10);
    auto to16 = [](const Tensor& src, Tensor& dst, Tensor& back) {
      back = Tensor::empty(DType::kFloat32, src.shape());
      for (int64_t i = 0; i < src.numel(); ++i) {
        dst.data<uint16_t>()[i] = float_to_half(src.data<float>()[i]);
        back.data<float>()[i] = half_to_float(dst.data<uint16_t>()[i]);
      }
    };
    Tensor ar, wr, br;
    to16(a32, a16, ar);
    to16(w32, w16, wr);
    to16(b32, b16, br);
    OpTest t("FusedMatMul", 1, "com.edgerun");
    set_act(t, kActs[3]);
    auto out = t.run({a16, w16, b16});
    ASSERT_TRUE(out.ok()) << out.status().to_string();
    Tensor want = naive(ar, wr, &br, kActs[3].act, false);
    ASSERT_EQ((*out)[0].dtype(), DType::kFloat16);
    for (int64_t i = 0; i < want.numel(); ++i)
      EXPECT_NEAR(half_to_float((*out)[0].data<uint16_t>()[i]), want.data<float>()[i], 2e-2f) << i;
  }
}

TEST(FusedMatMul, Errors) {
  Tensor a = random_tensor({4, 6}, 1), w = random_tensor({6, 5}, 2);
  {
    OpTest t("FusedMatMul", 1, "com.edgerun");
    t.attr_string("activation", "Bogus");
    EXPECT_FALSE(t.run({a, w}).ok());
  }
  {
    OpTest t("FusedMatMul", 1, "com.edgerun");
    EXPECT_FALSE(t.run({a, w, random_tensor({4}, 3)}).ok());  // bias must be [N]
  }
  {
    OpTest t("FusedMatMul", 1, "com.edgerun");
    t.attr_string("activation", "Clip");  // Clip needs {min, max}
    EXPECT_FALSE(t.run({a, w}).ok());
  }
}

TEST(FusedGemm, TransBAlphaBetaAndActivation) {
  uint32_t seed = 40;
  for (const NamedAct& na : kActs)
    for (bool tb : {false, true})
      for (bool constant : {false, true}) {
        SCOPED_TRACE(str_cat("act=", na.name, " transB=", tb, " constant=", constant));
        const int64_t m = 13, k = 300, n = 21;
        Tensor a = random_tensor({m, k}, seed++), w = random_tensor({k, n}, seed++), c = random_tensor({n}, seed++);
        Tensor wt = Tensor::empty(DType::kFloat32, {n, k});
        for (int64_t p = 0; p < k; ++p)
          for (int64_t j = 0; j < n; ++j) wt.data<float>()[j * k + p] = w.data<float>()[p * n + j];
        const float alpha = constant ? 0.5f : 1.0f, beta = constant ? 2.0f : 1.0f;
        OpTest t("FusedGemm", 1, "com.edgerun");
        t.attr_int("transB", tb).attr_float("alpha", alpha).attr_float("beta", beta);
        set_act(t, na);
        t.constant_inputs = {false, constant, constant};
        auto out = t.run({a, tb ? wt : w, c});
        ASSERT_TRUE(out.ok()) << out.status().to_string();
        Tensor ws = Tensor::empty(DType::kFloat32, {k, n}), cs = Tensor::empty(DType::kFloat32, {n});
        for (int64_t i = 0; i < k * n; ++i) ws.data<float>()[i] = alpha * w.data<float>()[i];
        for (int64_t j = 0; j < n; ++j) cs.data<float>()[j] = beta * c.data<float>()[j];
        expect_near((*out)[0], naive(a, ws, &cs, na.act, false), 2e-4f);
      }
}

TEST(FusedGemm, FullCAsResidualAndNoC) {
  const int64_t m = 8, k = 17, n = 19;
  Tensor a = random_tensor({m, k}, 1), w = random_tensor({k, n}, 2), c = random_tensor({m, n}, 3);
  OpTest t("FusedGemm", 1, "com.edgerun");
  set_act(t, kActs[1]);
  t.constant_inputs = {false, true, false};
  auto out = t.run({a, w, c});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  Tensor want = naive(a, w, nullptr, {Act::kNone, 0, 0}, false);
  for (int64_t i = 0; i < m * n; ++i)
    want.data<float>()[i] = std::max(0.0f, want.data<float>()[i] + c.data<float>()[i]);
  expect_near((*out)[0], want, 1e-4f);

  OpTest t2("FusedGemm", 1, "com.edgerun");  // C optional (Gemm-13 semantics)
  set_act(t2, kActs[4]);
  auto out2 = t2.run({a, w});
  ASSERT_TRUE(out2.ok()) << out2.status().to_string();
  expect_near((*out2)[0], naive(a, w, nullptr, kActs[4].act, false), 1e-4f);
}

}  // namespace
}  // namespace edgerun::testing
