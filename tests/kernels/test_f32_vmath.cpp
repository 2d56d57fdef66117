// f32-vmath: every variant in the table vs double-precision std:: functions (exp, sigmoid, tanh, erf)
// and vs activation_ref (each Act kind), over a dense sweep of all float bit patterns plus extremes,
// NaN, +-inf, +-0 and denormals. Measured worst cases (AVX2 and scalar): exp <= 1 ulp,
// sigmoid <= 2, tanh <= 2, erf <= 2 (the bounds asserted below leave some slack).
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "core/cpu_features.h"
#include "kernels/f32-vmath/vmath.h"
#include "kernels/f32-vmath/vmath_table.h"

namespace edgerun::kernels {
namespace {

// Distance in units in the last place (monotone integer map of floats; denormals count as ulps too).
int64_t ulp_distance(float a, float b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b) ? 0 : INT64_MAX;
  auto key = [](float v) {
    const int32_t i = std::bit_cast<int32_t>(v);
    return i < 0 ? static_cast<int64_t>(INT32_MIN) - i : static_cast<int64_t>(i);
  };
  const int64_t d = key(a) - key(b);
  return d < 0 ? -d : d;
}

std::vector<float> sweep_inputs() {
  std::vector<float> v;
  for (uint64_t bits = 0; bits <= 0xffffffffull; bits += 997) v.push_back(std::bit_cast<float>(static_cast<uint32_t>(bits)));
  const float inf = std::numeric_limits<float>::infinity();
  const float extra[] = {0.0f, -0.0f, inf, -inf, std::numeric_limits<float>::quiet_NaN(),
                         std::numeric_limits<float>::denorm_min(), -std::numeric_limits<float>::denorm_min(),
                         1e-40f, -1e-40f, std::numeric_limits<float>::min(), std::numeric_limits<float>::max(),
                         -std::numeric_limits<float>::max(), 88.72283f, 88.72284f, 88.7229f, 89.0f, -87.33654f,
                         -87.3366f, -103.9720f, -103.98f, -104.0f, -150.0f, 9.0f, -9.0f, 4.0f, 3.92f, 1.0f,
                         -1.0f, 2.0f, 3.0f, 0.5f, 1e-8f, -1e-8f};
  v.insert(v.end(), std::begin(extra), std::end(extra));
  // Dense around the interesting region.
  for (float x = -20.0f; x <= 20.0f; x += 0.00123f) v.push_back(x);
  return v;
}

using Oracle = double (*)(double);
double sigmoid_d(double x) { return 1.0 / (1.0 + std::exp(-x)); }

int64_t max_ulps(VmathUnaryFn fn, Oracle oracle, const std::vector<float>& xs, float* worst_x) {
  std::vector<float> y(xs.size());
  fn(xs.data(), y.data(), static_cast<int64_t>(xs.size()));
  int64_t worst = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    const float want = static_cast<float>(oracle(static_cast<double>(xs[i])));
    const int64_t d = ulp_distance(y[i], want);
    if (d > worst) {
      worst = d;
      *worst_x = xs[i];
    }
  }
  return worst;
}

class VmathTest : public ::testing::TestWithParam<size_t> {
 protected:
  const VmathVariant& variant() const { return vmath_variants()[GetParam()]; }
  void SetUp() override {
    if (!variant().supported()) GTEST_SKIP() << variant().name << " not supported on this CPU";
  }
};

TEST_P(VmathTest, ElementaryFunctionsWithinUlps) {
  const std::vector<float> xs = sweep_inputs();
  struct Case {
    const char* name;
    VmathUnaryFn fn;
    Oracle oracle;
    int64_t bound;
  };
  const Case cases[] = {{"exp", variant().exp, static_cast<Oracle>(std::exp), 2},
                        {"sigmoid", variant().sigmoid, sigmoid_d, 3},
                        {"tanh", variant().tanh, static_cast<Oracle>(std::tanh), 4},
                        {"erf", variant().erf, static_cast<Oracle>(std::erf), 3}};
  for (const Case& c : cases) {
    float at = 0.0f;
    const int64_t ulps = max_ulps(c.fn, c.oracle, xs, &at);
    std::printf("%s %s: max %lld ulp (at x = %.9g)\n", variant().name, c.name, static_cast<long long>(ulps), at);
    EXPECT_LE(ulps, c.bound) << c.name << " at x = " << at;
  }
}

TEST_P(VmathTest, SpecialValues) {
  const float inf = std::numeric_limits<float>::infinity();
  const float in[] = {inf, -inf, std::numeric_limits<float>::quiet_NaN(), 100.0f, -200.0f, 0.0f, -0.0f};
  float y[7];
  variant().exp(in, y, 7);
  EXPECT_EQ(y[0], inf);
  EXPECT_EQ(y[1], 0.0f);
  EXPECT_TRUE(std::isnan(y[2]));
  EXPECT_EQ(y[3], inf);
  EXPECT_EQ(y[4], 0.0f);
  EXPECT_EQ(y[5], 1.0f);
  variant().sigmoid(in, y, 7);
  EXPECT_EQ(y[0], 1.0f);
  EXPECT_EQ(y[1], 0.0f);
  EXPECT_TRUE(std::isnan(y[2]));
  EXPECT_EQ(y[5], 0.5f);
  variant().tanh(in, y, 7);
  EXPECT_EQ(y[0], 1.0f);
  EXPECT_EQ(y[1], -1.0f);
  EXPECT_TRUE(std::isnan(y[2]));
  EXPECT_TRUE(std::signbit(y[6]));
  variant().erf(in, y, 7);
  EXPECT_EQ(y[0], 1.0f);
  EXPECT_EQ(y[1], -1.0f);
  EXPECT_TRUE(std::isnan(y[2]));
  EXPECT_EQ(y[5], 0.0f);
  EXPECT_TRUE(std::signbit(y[6]));
}

TEST_P(VmathTest, ActivationsMatchReference) {
  const std::vector<float> xs = sweep_inputs();
  const Activation acts[] = {{Act::kNone, 0, 0},         {Act::kClamp, 0.0f, 6.0f},
                             {Act::kClamp, 0.0f, std::numeric_limits<float>::infinity()},
                             {Act::kHardSwish, 0, 0},    {Act::kHardSigmoid, 0.2f, 0.5f},
                             {Act::kSigmoid, 0, 0},      {Act::kSiLU, 0, 0},
                             {Act::kGelu, 0, 0},         {Act::kLeakyRelu, 0.01f, 0},
                             {Act::kTanh, 0, 0}};
  for (const Activation& a : acts) {
    // Every length 0..19 so the masked tails are covered, then the whole sweep in place.
    for (int64_t n = 0; n < 20; ++n) {
      std::vector<float> y(static_cast<size_t>(n) + 1, 12345.0f);
      variant().activation(a, xs.data() + 5000, y.data(), n);
      EXPECT_EQ(y[static_cast<size_t>(n)], 12345.0f) << "wrote past the end, n = " << n;
    }
    std::vector<float> y = xs;
    variant().activation(a, y.data(), y.data(), static_cast<int64_t>(y.size()));
    int64_t worst = 0;
    float at = 0.0f;
    for (size_t i = 0; i < xs.size(); ++i) {
      const float want = activation_ref(a, xs[i]);
      // GELU's 1 + erf cancels for x << 0: compare there with an absolute bound as well.
      // HardSwish / HardSigmoid cancel near their kinks (x/6 + 0.5 near x = -3; FMA or not): absolute bound.
      const bool cancels = a.kind == Act::kGelu || a.kind == Act::kHardSwish || a.kind == Act::kHardSigmoid;
      if (cancels && std::fabs(y[i] - want) <= 1e-7f * std::fabs(xs[i])) continue;
      // SiLU/sigmoid of huge |x| underflow at slightly different points in libm and in the kernels.
      if (std::fabs(want) < 1e-30f && std::fabs(y[i]) < 1e-30f) continue;
      const int64_t d = ulp_distance(y[i], want);
      if (d > worst) {
        worst = d;
        at = xs[i];
      }
    }
    std::printf("%s act %d: max %lld ulp vs activation_ref (at x = %.9g)\n", variant().name,
                static_cast<int>(a.kind), static_cast<long long>(worst), at);
    EXPECT_LE(worst, 4) << "act " << static_cast<int>(a.kind) << " at x = " << at;
  }
}

// Rows of every length 0..40 and a long one, against double; NaN anywhere or an infinite maximum is refused
// (false, y untouched) so the caller's reference loop decides.
TEST_P(VmathTest, SoftmaxMatchesDouble) {
  for (int64_t n : {1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 40, 197, 1000}) {
    std::vector<float> x(static_cast<size_t>(n)), y(static_cast<size_t>(n) + 1, 777.0f);
    for (int64_t i = 0; i < n; ++i) x[static_cast<size_t>(i)] = static_cast<float>((i * 53 % 97) - 48) * 0.37f;
    ASSERT_TRUE(variant().softmax(x.data(), y.data(), n)) << "n = " << n;
    double mx = -1e300, sum = 0.0;
    for (float v : x) mx = std::max(mx, static_cast<double>(v));
    for (float v : x) sum += std::exp(static_cast<double>(v) - mx);
    for (int64_t i = 0; i < n; ++i) {
      const double d = static_cast<double>(x[static_cast<size_t>(i)]) - mx;
      const double want = std::exp(d) / sum;
      // x - max rounds in float (relative 2^-24 of |d|), which exp turns into that much relative error.
      EXPECT_NEAR(y[static_cast<size_t>(i)], want, (4e-7 + 6e-8 * std::fabs(d)) * want + 1e-30)
          << "n = " << n << " i = " << i;
    }
    EXPECT_EQ(y[static_cast<size_t>(n)], 777.0f) << "wrote past the end, n = " << n;
  }
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  for (size_t at : {0u, 5u, 16u, 18u}) {
    for (float bad : {nan, inf, -inf}) {
      std::vector<float> x(19, 0.5f), y(19, 777.0f);
      x[at] = bad;
      const bool ok = variant().softmax(x.data(), y.data(), 19);
      if (bad == -inf) {  // a finite maximum: exp(-inf) = 0
        ASSERT_TRUE(ok);
        EXPECT_EQ(y[at], 0.0f);
        EXPECT_NEAR(y[at == 0 ? 1 : 0], 1.0f / 18.0f, 1e-7f);
      } else {
        EXPECT_FALSE(ok) << "bad value at " << at;
        EXPECT_EQ(y[at], 777.0f);
      }
    }
  }
  std::vector<float> all(5, -inf), y(5, 777.0f);
  EXPECT_FALSE(variant().softmax(all.data(), y.data(), 5));  // maximum -inf
}

TEST_P(VmathTest, SumMatchesDouble) {
  for (int64_t n : {0, 1, 7, 8, 9, 31, 32, 33, 100, 3136}) {
    std::vector<float> x(static_cast<size_t>(n));
    double want = 0.0;
    for (int64_t i = 0; i < n; ++i) {
      x[static_cast<size_t>(i)] = static_cast<float>((i * 37 % 101) - 50) * 0.013f;
      want += x[static_cast<size_t>(i)];
    }
    EXPECT_NEAR(variant().sum(x.data(), n), want, 1e-5 * (1.0 + static_cast<double>(n))) << "n = " << n;
  }
}

INSTANTIATE_TEST_SUITE_P(AllVariants, VmathTest, ::testing::Range<size_t>(0, vmath_variants().size()),
                         [](const auto& info) {
                           std::string s = vmath_variants()[info.param].name;
                           for (char& ch : s)
                             if (ch == '-') ch = '_';
                           return s;
                         });

// -avx512 claims bit-identical results to -avx2 (same operations at 16 lanes): switching ISA must not change
// a model's output.
TEST(Vmath, Avx512IsBitIdenticalToAvx2) {
  const VmathVariant* v512 = nullptr;
  const VmathVariant* v256 = nullptr;
  for (const VmathVariant& v : vmath_variants()) {
    if (std::string(v.name) == "f32-vmath-avx512") v512 = &v;
    if (std::string(v.name) == "f32-vmath-avx2") v256 = &v;
  }
  if (!v512 || !v512->supported()) GTEST_SKIP() << "f32-vmath-avx512 not built or not supported on this CPU";
  ASSERT_NE(v256, nullptr);
  const std::vector<float> xs = sweep_inputs();
  const size_t n = xs.size();
  auto same = [&](const std::vector<float>& a, const std::vector<float>& b, const char* what) {
    for (size_t i = 0; i < n; ++i)
      ASSERT_EQ(std::bit_cast<uint32_t>(a[i]), std::bit_cast<uint32_t>(b[i])) << what << " at x = " << xs[i];
  };
  const VmathUnaryFn fns512[] = {v512->exp, v512->sigmoid, v512->tanh, v512->erf};
  const VmathUnaryFn fns256[] = {v256->exp, v256->sigmoid, v256->tanh, v256->erf};
  const char* names[] = {"exp", "sigmoid", "tanh", "erf"};
  for (int f = 0; f < 4; ++f) {
    std::vector<float> a(n), b(n);
    fns512[f](xs.data(), a.data(), static_cast<int64_t>(n));
    fns256[f](xs.data(), b.data(), static_cast<int64_t>(n));
    same(a, b, names[f]);
  }
  {
    std::vector<float> row(xs.begin() + 20000, xs.begin() + 20000 + 197), a(197), b(197);
    for (float& v : row) v = std::fmod(v, 30.0f);  // finite, moderate: the softmax fast path
    ASSERT_TRUE(v512->softmax(row.data(), a.data(), 197));
    ASSERT_TRUE(v256->softmax(row.data(), b.data(), 197));
    for (size_t i = 0; i < a.size(); ++i)
      ASSERT_EQ(std::bit_cast<uint32_t>(a[i]), std::bit_cast<uint32_t>(b[i])) << "softmax at " << i;
  }
  for (Act kind : {Act::kSigmoid, Act::kSiLU, Act::kGelu, Act::kTanh, Act::kHardSwish, Act::kHardSigmoid,
                   Act::kLeakyRelu, Act::kClamp}) {
    const Activation act{kind, kind == Act::kHardSigmoid ? 0.2f : 0.01f, kind == Act::kClamp ? 6.0f : 0.5f};
    std::vector<float> a(n), b(n);
    v512->activation(act, xs.data(), a.data(), static_cast<int64_t>(n));
    v256->activation(act, xs.data(), b.data(), static_cast<int64_t>(n));
    same(a, b, "activation");
  }
}

TEST(Vmath, DispatchPicksSupportedVariant) {
  EXPECT_TRUE(vmath_selected().supported());
  EXPECT_STREQ(vmath_name(), vmath_selected().name);
}

}  // namespace
}  // namespace edgerun::kernels
