// Every Winograd variant of the table vs a direct double-precision convolution, on awkward shapes,
// and the -scalar and ISA variants of one tile size against each other.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "core/thread_pool.h"
#include "kernels/f32-conv/winograd.h"

namespace edgerun::kernels {
namespace {

struct Shape2 {
  int64_t cin, cout, h, w, pad;
};

std::vector<float> random_vec(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

// y: [Cout, OH, OW], 3x3 stride 1, symmetric padding, double accumulation, then bias/residual/relu.
std::vector<float> direct_conv(const Shape2& s, const std::vector<float>& x, const std::vector<float>& w,
                               const Epilogue& ep) {
  const int64_t oh = s.h + 2 * s.pad - 2, ow = s.w + 2 * s.pad - 2;
  std::vector<float> y(static_cast<size_t>(s.cout * oh * ow));
  for (int64_t o = 0; o < s.cout; ++o)
    for (int64_t oy = 0; oy < oh; ++oy)
      for (int64_t ox = 0; ox < ow; ++ox) {
        double acc = 0.0;
        for (int64_t c = 0; c < s.cin; ++c)
          for (int64_t ky = 0; ky < 3; ++ky)
            for (int64_t kx = 0; kx < 3; ++kx) {
              const int64_t iy = oy - s.pad + ky, ix = ox - s.pad + kx;
              if (iy < 0 || iy >= s.h || ix < 0 || ix >= s.w) continue;
              acc += double{x[static_cast<size_t>((c * s.h + iy) * s.w + ix)]} *
                     w[static_cast<size_t>(((o * s.cin + c) * 3 + ky) * 3 + kx)];
            }
        y[static_cast<size_t>((o * oh + oy) * ow + ox)] = static_cast<float>(acc);
      }
  apply_epilogue_ref(ep, y.data(), oh * ow, 0, s.cout, 0, oh * ow);
  return y;
}

std::vector<float> run_winograd(const WinogradUkernel* uk, const Shape2& s, const std::vector<float>& x,
                                const std::vector<float>& w, const Epilogue& ep, ThreadPool* pool) {
  const int64_t oh = s.h + 2 * s.pad - 2, ow = s.w + 2 * s.pad - 2;
  WinogradConv wc = winograd_prepare(uk, w.data(), s.cout, s.cin, s.h, s.w, oh, ow, s.pad, s.pad);
  std::vector<float> y(static_cast<size_t>(s.cout * oh * ow), -7.0f);
  winograd_conv2d(wc, x.data(), y.data(), ep, pool);
  return y;
}

const Shape2 kShapes[] = {{1, 1, 3, 3, 0},    {3, 17, 7, 7, 1},   {17, 3, 13, 13, 1}, {16, 16, 17, 9, 1},
                          {64, 64, 14, 14, 1}, {8, 24, 30, 31, 0}, {32, 40, 56, 20, 1},
                          {16, 16, 56, 56, 1}, {16, 24, 57, 45, 1}};  // the last two: several tile blocks

TEST(F32Winograd, EveryVariantMatchesDirectConv) {
  ThreadPool pool2(2), pool3(3);
  for (const WinogradUkernel& uk : winograd_ukernels()) {
    if (!uk.supported()) continue;
    for (const Shape2& s : kShapes) {
      SCOPED_TRACE(std::string(uk.name) + " cin=" + std::to_string(s.cin) + " cout=" + std::to_string(s.cout) +
                   " h=" + std::to_string(s.h) + " w=" + std::to_string(s.w) + " pad=" + std::to_string(s.pad));
      const int64_t oh = s.h + 2 * s.pad - 2, ow = s.w + 2 * s.pad - 2;
      std::vector<float> x = random_vec(static_cast<size_t>(s.cin * s.h * s.w), 1);
      std::vector<float> w = random_vec(static_cast<size_t>(s.cout * s.cin * 9), 2);
      std::vector<float> bias = random_vec(static_cast<size_t>(s.cout), 3);
      std::vector<float> res = random_vec(static_cast<size_t>(s.cout * oh * ow), 4);
      for (int mode = 0; mode < 3; ++mode) {
        Epilogue ep;
        if (mode >= 1) ep.bias = bias.data();
        if (mode == 1) ep.act = Activation{Act::kClamp, 0.0f, __builtin_inff()};
        if (mode == 2) {
          ep.residual = res.data();
          ep.ld_residual = oh * ow;
          ep.act = Activation{Act::kSiLU, 0.0f, 0.0f};
        }
        std::vector<float> want = direct_conv(s, x, w, ep);
        std::vector<float> got1 = run_winograd(&uk, s, x, w, ep, nullptr);
        std::vector<float> got2 = run_winograd(&uk, s, x, w, ep, &pool2);
        std::vector<float> got3 = run_winograd(&uk, s, x, w, ep, &pool3);
        // Error grows with the reduction length and with the tile size's larger transform constants.
        const float tol = (uk.m == 6 ? 2e-5f : 1e-5f) * static_cast<float>(s.cin * 9) + 1e-5f;
        for (size_t i = 0; i < want.size(); ++i) {
          ASSERT_NEAR(got1[i], want[i], tol) << "mode " << mode << " at " << i;
          ASSERT_EQ(got1[i], got2[i]) << "2 threads changed the result, mode " << mode << " at " << i;
          ASSERT_EQ(got1[i], got3[i]) << "3 threads changed the result, mode " << mode << " at " << i;
        }
      }
    }
  }
}

TEST(F32Winograd, ScalarAndIsaVariantsAgree) {
  for (int m : {2, 4, 6}) {
    const WinogradUkernel* scalar = nullptr;
    for (const WinogradUkernel& uk : winograd_ukernels())
      if (uk.m == m && std::string(uk.name).ends_with("-scalar")) scalar = &uk;
    ASSERT_NE(scalar, nullptr);
    for (const WinogradUkernel& uk : winograd_ukernels()) {
      if (uk.m != m || &uk == scalar || !uk.supported()) continue;
      const Shape2 s{19, 21, 15, 11, 1};
      std::vector<float> x = random_vec(static_cast<size_t>(s.cin * s.h * s.w), 5);
      std::vector<float> w = random_vec(static_cast<size_t>(s.cout * s.cin * 9), 6);
      std::vector<float> a = run_winograd(scalar, s, x, w, Epilogue{}, nullptr);
      std::vector<float> b = run_winograd(&uk, s, x, w, Epilogue{}, nullptr);
      for (size_t i = 0; i < a.size(); ++i) ASSERT_NEAR(a[i], b[i], 1e-4f * (1.0f + std::fabs(a[i]))) << uk.name;
    }
  }
}

TEST(F32Winograd, SelectFindsEachTileSize) {
  ASSERT_NE(select_winograd(4), nullptr);
  ASSERT_NE(select_winograd(6), nullptr);
  ASSERT_NE(select_winograd(2), nullptr);
  EXPECT_EQ(select_winograd(5), nullptr);
}

}  // namespace
}  // namespace edgerun::kernels
