// MatMul / Gemm against hand-computed values and a naive triple loop on random data.
#include <gtest/gtest.h>

#include "core/half.h"
#include "ops/op_test_util.h"

namespace edgerun::testing {
namespace {

// Naive numpy matmul: handles 1-D operands and broadcast batch dims.
Tensor naive_matmul(const Tensor& a, const Tensor& b) {
  Shape as = a.shape(), bs = b.shape();
  const bool av = as.size() == 1, bv = bs.size() == 1;
  if (av) as.insert(as.begin(), 1);
  if (bv) bs.push_back(1);
  const int64_t m = as[as.size() - 2], k = as.back(), n = bs.back();
  const size_t rank = std::max(as.size(), bs.size());
  Shape batch(rank - 2, 1);
  auto dim = [](const Shape& s, size_t i, size_t rank) {  // batch dim i of s aligned to `rank`
    const size_t off = rank - s.size();
    return i < off ? int64_t{1} : s[i - off];
  };
  for (size_t i = 0; i < rank - 2; ++i) batch[i] = std::max(dim(as, i, rank), dim(bs, i, rank));
  Shape out = batch;
  if (!av) out.push_back(m);
  if (!bv) out.push_back(n);
  Tensor y = Tensor::empty(DType::kFloat32, out);
  const int64_t nb = shape_numel(batch);
  for (int64_t bi = 0; bi < nb; ++bi) {
    // Decompose bi into batch coords and map to offsets in A and B (broadcast dims use index 0).
    int64_t rem = bi, aoff = 0, boff = 0, astr = m * k, bstr = k * n;
    for (size_t i = rank - 2; i-- > 0;) {
      const int64_t c = rem % batch[i];
      rem /= batch[i];
      const int64_t ad = dim(as, i, rank), bd = dim(bs, i, rank);
      aoff += (ad == 1 ? 0 : c) * astr;
      boff += (bd == 1 ? 0 : c) * bstr;
      astr *= ad;
      bstr *= bd;
    }
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double s = 0;
        for (int64_t p = 0; p < k; ++p)
          s += static_cast<double>(a.data<float>()[aoff + i * k + p]) * b.data<float>()[boff + p * n + j];
        y.data<float>()[(bi * m + i) * n + j] = static_cast<float>(s);
      }
  }
  return y;
}

TEST(MatMul, HandComputed) {
  Tensor a = float_tensor({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor b = float_tensor({3, 2}, {7, 8, 9, 10, 11, 12});
  OpTest t("MatMul", 13);
  auto out = t.run({a, b});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  expect_near((*out)[0], float_tensor({2, 2}, {58, 64, 139, 154}), 1e-5f);
}

TEST(MatMul, MatchesNaive) {
  const std::vector<std::pair<Shape, Shape>> cases = {
      {{7}, {7}},          {{3}, {3, 5}},          {{4, 3}, {3}},          {{2, 5, 3}, {3}},
      {{3}, {2, 3, 4}},    {{1, 1}, {1, 1}},       {{7, 13}, {13, 9}},     {{2, 3, 4, 5}, {5, 6}},
      {{3, 1, 4, 5}, {2, 5, 3}}, {{1, 37, 130}, {130, 600}}, {{5, 1}, {1, 1}}, {{6, 4}, {2, 1, 4, 3}},
  };
  uint32_t seed = 1;
  for (const auto& [as, bs] : cases) {
    SCOPED_TRACE(shape_str(as) + " x " + shape_str(bs));
    Tensor a = random_tensor(as, seed++), b = random_tensor(bs, seed++);
    for (bool constant_b : {false, true}) {
      OpTest t("MatMul", 13);
      if (constant_b) t.constant_inputs = {false, true};
      auto out = t.run({a, b});
      ASSERT_TRUE(out.ok()) << out.status().to_string();
      expect_near((*out)[0], naive_matmul(a, b), 1e-4f);
    }
  }
}

TEST(MatMul, Float16) {
  Tensor a = random_tensor({3, 4}, 5), b = random_tensor({4, 2}, 6);
  auto to_f16 = [](const Tensor& t) {
    Tensor d = Tensor::empty(DType::kFloat16, t.shape());
    for (int64_t i = 0; i < t.numel(); ++i) d.data<uint16_t>()[i] = float_to_half(t.data<float>()[i]);
    return d;
  };
  OpTest t("MatMul", 13);
  auto out = t.run({to_f16(a), to_f16(b)});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  Tensor want = naive_matmul(a, b);
  for (int64_t i = 0; i < want.numel(); ++i)
    EXPECT_NEAR(half_to_float((*out)[0].data<uint16_t>()[i]), want.data<float>()[i], 1e-2);
}

TEST(MatMul, Errors) {
  {
    OpTest t("MatMul", 13);
    EXPECT_FALSE(t.run({random_tensor({2, 3}), random_tensor({4, 2})}).ok());  // inner mismatch
  }
  {
    OpTest t("MatMul", 13);
    EXPECT_FALSE(t.run({random_tensor({2, 2, 3}), random_tensor({3, 3, 2})}).ok());  // batch mismatch
  }
  {
    OpTest t("MatMul", 13);
    EXPECT_FALSE(t.run({random_tensor({}), random_tensor({3})}).ok());  // scalar operand
  }
  {
    OpTest t("MatMul", 13);
    EXPECT_FALSE(t.run({random_tensor({2, 3}), Tensor::empty(DType::kInt32, {3, 2})}).ok());  // dtype mismatch
  }
}

// Y = alpha * A' * B' + beta * C
Tensor naive_gemm(const Tensor& a, const Tensor& b, const Tensor* c, bool ta, bool tb, float alpha, float beta) {
  const int64_t m = ta ? a.dim(1) : a.dim(0), k = ta ? a.dim(0) : a.dim(1), n = tb ? b.dim(0) : b.dim(1);
  Tensor y = Tensor::empty(DType::kFloat32, {m, n});
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double s = 0;
      for (int64_t p = 0; p < k; ++p) {
        const float av = ta ? a.data<float>()[p * m + i] : a.data<float>()[i * k + p];
        const float bv = tb ? b.data<float>()[j * k + p] : b.data<float>()[p * n + j];
        s += static_cast<double>(av) * bv;
      }
      double cv = 0;
      if (c) {
        Shape cs = c->shape();
        while (cs.size() < 2) cs.insert(cs.begin(), 1);
        cv = c->data<float>()[(cs[0] == 1 ? 0 : i) * cs[1] + (cs[1] == 1 ? 0 : j)];
      }
      y.data<float>()[i * n + j] = static_cast<float>(alpha * s + beta * cv);
    }
  return y;
}

TEST(Gemm, HandComputed) {
  Tensor a = float_tensor({2, 2}, {1, 2, 3, 4});
  Tensor b = float_tensor({2, 2}, {5, 6, 7, 8});
  Tensor c = float_tensor({2}, {1, -1});
  OpTest t("Gemm", 13);
  t.attr_float("alpha", 2.0f).attr_float("beta", 3.0f).attr_int("transB", 1);
  auto out = t.run({a, b, c});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  // A * B^T = [[17, 23], [39, 53]] -> *2 + 3*[1, -1]
  expect_near((*out)[0], float_tensor({2, 2}, {37, 43, 81, 103}), 1e-5f);
}

TEST(Gemm, MatchesNaive) {
  const int64_t m = 7, k = 13, n = 5;
  const std::vector<Shape> c_shapes = {{}, {1}, {n}, {m, 1}, {1, n}, {m, n}};
  uint32_t seed = 50;
  for (bool ta : {false, true})
    for (bool tb : {false, true})
      for (const Shape& cs : c_shapes)
        for (bool constant : {false, true}) {
          SCOPED_TRACE(str_cat("transA=", ta, " transB=", tb, " C=[", shape_str(cs), "] const=", constant));
          Tensor a = random_tensor(ta ? Shape{k, m} : Shape{m, k}, seed++);
          Tensor b = random_tensor(tb ? Shape{n, k} : Shape{k, n}, seed++);
          Tensor c = random_tensor(cs, seed++);
          const float alpha = constant ? 0.5f : 1.0f, beta = 1.5f;
          OpTest t("Gemm", 13);
          t.attr_int("transA", ta).attr_int("transB", tb).attr_float("alpha", alpha).attr_float("beta", beta);
          if (constant) t.constant_inputs = {true, true, false};
          auto out = t.run({a, b, c});
          ASSERT_TRUE(out.ok()) << out.status().to_string();
          expect_near((*out)[0], naive_gemm(a, b, &c, ta, tb, alpha, beta), 1e-4f);
        }
}

TEST(Gemm, BlockedSizes) {
  // Crosses the GEMM panel sizes (K > 512, N > 32 / 512) with a row tail (M = 6).
  for (bool tb : {false, true}) {
    SCOPED_TRACE(str_cat("transB=", tb));
    const int64_t m = 6, k = 700, n = 530;
    Tensor a = random_tensor({m, k}, 91), b = random_tensor(tb ? Shape{n, k} : Shape{k, n}, 92);
    Tensor c = random_tensor({n}, 93);
    OpTest t("Gemm", 13);
    t.attr_int("transB", tb);
    t.constant_inputs = {false, true, true};
    auto out = t.run({a, b, c});
    ASSERT_TRUE(out.ok()) << out.status().to_string();
    expect_near((*out)[0], naive_gemm(a, b, &c, false, tb, 1.0f, 1.0f), 2e-4f);
  }
}

TEST(Gemm, NoCAndOldOpsets) {
  Tensor a = random_tensor({3, 4}, 1), b = random_tensor({4, 2}, 2);
  {
    OpTest t("Gemm", 13);
    auto out = t.run({a, b});
    ASSERT_TRUE(out.ok()) << out.status().to_string();
    expect_near((*out)[0], naive_gemm(a, b, nullptr, false, false, 1, 1), 1e-5f);
  }
  {
    OpTest t("Gemm", 9);  // C required before opset 11
    EXPECT_FALSE(t.run({a, b}).ok());
  }
  {
    OpTest t("Gemm", 6);  // C needs broadcast=1 unless it is [M, N]
    EXPECT_FALSE(t.run({a, b, random_tensor({2}, 3)}).ok());
    OpTest t2("Gemm", 6);
    t2.attr_int("broadcast", 1);
    Tensor c = random_tensor({2}, 3);
    auto out = t2.run({a, b, c});
    ASSERT_TRUE(out.ok()) << out.status().to_string();
    expect_near((*out)[0], naive_gemm(a, b, &c, false, false, 1, 1), 1e-5f);
  }
}

TEST(Gemm, Errors) {
  {
    OpTest t("Gemm", 13);
    EXPECT_FALSE(t.run({random_tensor({3, 4}), random_tensor({5, 2})}).ok());
  }
  {
    OpTest t("Gemm", 13);
    EXPECT_FALSE(t.run({random_tensor({3, 4, 1}), random_tensor({4, 2})}).ok());
  }
  {
    OpTest t("Gemm", 13);
    EXPECT_FALSE(t.run({random_tensor({3, 4}), random_tensor({4, 2}), random_tensor({3, 3})}).ok());
  }
}

}  // namespace
}  // namespace edgerun::testing
