// Every supported f32-conv-direct variant against a naive double-accumulated convolution: first-layer shapes
// and awkward ones (1 channel, Cout not a multiple of 4, widths around the 8/16/24 column blocks, padding
// wider than the stride), every epilogue piece, and bit-identical results for 1, 2 and 3 threads.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "core/thread_pool.h"
#include "kernels/f32-conv/conv-direct.h"

namespace edgerun::kernels {
namespace {

std::vector<float> random_floats(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

struct Shape {
  int64_t cin, cout, h, w, kh, kw, sh, sw, pt, pl, pb, pr;
};

void check(const ConvDirectUkernel& uk, const Shape& s, int variant, uint32_t seed) {
  ConvDirectParams p;
  p.in_channels = s.cin;
  p.out_channels = s.cout;
  p.in_h = s.h;
  p.in_w = s.w;
  p.kernel_h = s.kh;
  p.kernel_w = s.kw;
  p.stride_h = s.sh;
  p.stride_w = s.sw;
  p.pad_top = s.pt;
  p.pad_left = s.pl;
  p.out_h = (s.h + s.pt + s.pb - s.kh) / s.sh + 1;
  p.out_w = (s.w + s.pl + s.pr - s.kw) / s.sw + 1;
  const int64_t plane = p.out_h * p.out_w;
  const std::vector<float> x = random_floats(static_cast<size_t>(s.cin * s.h * s.w), seed);
  const std::vector<float> w = random_floats(static_cast<size_t>(s.cout * s.cin * s.kh * s.kw), seed + 1);
  const std::vector<float> bias = random_floats(static_cast<size_t>(s.cout), seed + 2);
  const std::vector<float> res = random_floats(static_cast<size_t>(s.cout * plane), seed + 3);
  Epilogue ep;
  const Activation acts[] = {{Act::kNone, 0, 0}, {Act::kClamp, 0.0f, 6.0f}, {Act::kHardSwish, 0, 0}, {Act::kSiLU, 0, 0}};
  ep.act = acts[variant % 4];
  if (variant & 1) ep.bias = bias.data();
  if (variant & 2) {
    ep.residual = res.data();
    ep.ld_residual = plane;
  }
  const ConvDirect cd = conv_direct_prepare(&uk, w.data(), p);
  ASSERT_EQ(cd.uk, &uk);
  std::vector<float> y1(static_cast<size_t>(s.cout * plane + 1), 777.0f);  // one sentinel past the end
  conv_direct_f32(cd, x.data(), y1.data(), ep, nullptr);
  EXPECT_EQ(y1.back(), 777.0f) << "wrote past the output";
  int failures = 0;
  for (int64_t co = 0; co < s.cout && failures < 5; ++co)
    for (int64_t oh = 0; oh < p.out_h; ++oh)
      for (int64_t ow = 0; ow < p.out_w; ++ow) {
        double acc = 0, abs_sum = 0;
        for (int64_t c = 0; c < s.cin; ++c)
          for (int64_t i = 0; i < s.kh; ++i)
            for (int64_t j = 0; j < s.kw; ++j) {
              const int64_t ih = oh * s.sh + i - s.pt, iw = ow * s.sw + j - s.pl;
              if (ih < 0 || ih >= s.h || iw < 0 || iw >= s.w) continue;
              const double t = static_cast<double>(x[static_cast<size_t>((c * s.h + ih) * s.w + iw)]) *
                               w[static_cast<size_t>(((co * s.cin + c) * s.kh + i) * s.kw + j)];
              acc += t;
              abs_sum += std::fabs(t);
            }
        if (ep.bias) acc += ep.bias[co];
        if (ep.residual) acc += ep.residual[co * plane + oh * p.out_w + ow];
        const float want = activation_ref(ep.act, static_cast<float>(acc));
        const float got = y1[static_cast<size_t>(co * plane + oh * p.out_w + ow)];
        if (!(std::fabs(static_cast<double>(got) - want) <= 2e-5 + 4e-6 * (abs_sum + std::fabs(acc)))) {
          ADD_FAILURE() << "co=" << co << " oh=" << oh << " ow=" << ow << ": got " << got << ", want " << want;
          if (++failures >= 5) break;
        }
      }
  ThreadPool pool2(2), pool3(3);
  for (ThreadPool* pool : {&pool2, &pool3}) {
    std::vector<float> y(y1.size(), 777.0f);
    conv_direct_f32(cd, x.data(), y.data(), ep, pool);
    EXPECT_EQ(y, y1) << pool->size() << " threads";
  }
}

TEST(F32ConvDirect, TableHasScalarAndSelectIsSupported) {
  bool scalar = false;
  for (const ConvDirectUkernel& uk : conv_direct_ukernels()) scalar |= std::string(uk.name) == "f32-conv-direct-4x8-scalar";
  EXPECT_TRUE(scalar);
  ASSERT_NE(select_conv_direct(), nullptr);
  EXPECT_TRUE(select_conv_direct()->supported());
}

TEST(F32ConvDirect, MatchesReference) {
  //                cin cout  h   w kh kw sh sw pt pl pb pr
  const Shape shapes[] = {{3, 16, 32, 32, 3, 3, 2, 2, 1, 1, 1, 1},   // mobilenet / efficientnet stem
                          {3, 64, 29, 37, 7, 7, 2, 2, 3, 3, 3, 3},   // resnet stem
                          {3, 8, 13, 50, 3, 3, 1, 1, 1, 1, 1, 1},    // 3x3 s1, 50 = 2*24 + 2 columns
                          {1, 5, 9, 17, 3, 3, 1, 1, 0, 0, 0, 0},     // 1 channel, Cout % 4 = 1, 15 columns
                          {4, 7, 11, 9, 5, 3, 1, 2, 2, 1, 0, 2},     // rectangular kernel, mixed strides, asymmetric pads
                          {2, 3, 6, 5, 3, 3, 3, 3, 4, 4, 4, 4},      // padding wider than the kernel's reach
                          {3, 12, 20, 41, 1, 1, 2, 2, 0, 0, 0, 0}};  // 1x1 stride 2, 21 columns
  uint32_t seed = 1;
  for (const ConvDirectUkernel& uk : conv_direct_ukernels()) {
    if (!uk.supported()) continue;
    for (const Shape& s : shapes)
      for (int variant = 0; variant < 8; ++variant) {
        SCOPED_TRACE(std::string(uk.name) + " cin=" + std::to_string(s.cin) + " cout=" + std::to_string(s.cout) +
                     " " + std::to_string(s.h) + "x" + std::to_string(s.w) + " k" + std::to_string(s.kh) + "x" +
                     std::to_string(s.kw) + " variant " + std::to_string(variant));
        check(uk, s, variant, seed);
        seed += 4;
      }
  }
}

}  // namespace
}  // namespace edgerun::kernels
