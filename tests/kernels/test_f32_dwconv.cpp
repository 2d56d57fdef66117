// f32-dwconv: the generic scalar variant vs a naive double-precision convolution, then every table
// variant vs the generic one on awkward sizes (H/W 1..112, pads 0..2, 1..37 channels), every epilogue,
// and bit-identical results for 1, 2 and 3 threads; the row tails of the vector variants (out_w 1..33,
// odd out_h, asymmetric pads). Also prints the speed on MobileNet shapes.
#include <gtest/gtest.h>

#include <algorithm>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "core/thread_pool.h"
#include "kernels/f32-dwconv/dwconv.h"
#include "kernels/f32-dwconv/dwconv_table.h"

namespace edgerun::kernels {
namespace {

DwConvParams make_params(int64_t c, int64_t h, int64_t w, int64_t k, int64_t s, int64_t pad, int64_t dil = 1) {
  DwConvParams p;
  p.channels = c;
  p.in_h = h;
  p.in_w = w;
  p.kernel_h = p.kernel_w = k;
  p.stride_h = p.stride_w = s;
  p.pad_top = p.pad_left = pad;
  p.dilation_h = p.dilation_w = dil;
  p.out_h = (h + 2 * pad - dil * (k - 1) - 1) / s + 1;
  p.out_w = (w + 2 * pad - dil * (k - 1) - 1) / s + 1;
  return p;
}

std::vector<float> random_vec(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

struct Data {
  std::vector<float> in, w, bias, res;
  explicit Data(const DwConvParams& p)
      : in(random_vec(static_cast<size_t>(p.channels * p.in_h * p.in_w), 1)),
        w(random_vec(static_cast<size_t>(p.channels * p.kernel_h * p.kernel_w), 2)),
        bias(random_vec(static_cast<size_t>(p.channels), 3)),
        res(random_vec(static_cast<size_t>(p.channels * p.out_h * p.out_w), 4)) {}
  Epilogue epilogue(const DwConvParams& p, Act act, bool with_res) const {
    Epilogue ep;
    ep.bias = bias.data();
    if (with_res) {
      ep.residual = res.data();
      ep.ld_residual = p.out_h * p.out_w;
    }
    ep.act.kind = act;
    ep.act.alpha = act == Act::kLeakyRelu ? 0.1f : 0.0f;
    ep.act.beta = 6.0f;
    return ep;
  }
};

std::vector<float> run(const DwConvKernel* k, const DwConvParams& p, const Data& d, const Epilogue& ep,
                       ThreadPool* pool) {
  std::vector<float> out(static_cast<size_t>(p.channels * p.out_h * p.out_w), -777.0f);
  dwconv2d_f32(k, p, d.in.data(), d.w.data(), out.data(), ep, pool);
  return out;
}

const DwConvKernel* generic() { return &dwconv_variants().back(); }

TEST(DwConv, GenericMatchesNaive) {
  for (int64_t dil : {1, 2}) {
    for (int64_t s : {1, 2, 3}) {
      const DwConvParams p = make_params(5, 13, 11, 3, s, 2, dil);
      const Data d(p);
      const std::vector<float> got = run(generic(), p, d, d.epilogue(p, Act::kNone, true), nullptr);
      for (int64_t c = 0; c < p.channels; ++c)
        for (int64_t oy = 0; oy < p.out_h; ++oy)
          for (int64_t ox = 0; ox < p.out_w; ++ox) {
            double acc = d.bias[static_cast<size_t>(c)];
            for (int64_t ky = 0; ky < 3; ++ky)
              for (int64_t kx = 0; kx < 3; ++kx) {
                const int64_t iy = oy * s - 2 + ky * dil, ix = ox * s - 2 + kx * dil;
                if (iy < 0 || iy >= p.in_h || ix < 0 || ix >= p.in_w) continue;
                acc += static_cast<double>(d.in[static_cast<size_t>((c * p.in_h + iy) * p.in_w + ix)]) *
                       d.w[static_cast<size_t>(c * 9 + ky * 3 + kx)];
              }
            const size_t o = static_cast<size_t>((c * p.out_h + oy) * p.out_w + ox);
            acc += d.res[o];
            EXPECT_NEAR(got[o], acc, 1e-5) << "c " << c << " oy " << oy << " ox " << ox;
          }
    }
  }
}

TEST(DwConv, SelectPicksMatchingVariant) {
  EXPECT_STREQ(dwconv_name(select_dwconv(make_params(4, 9, 9, 3, 1, 1, 2))), "f32-dwconv-scalar");  // dilated
  EXPECT_STREQ(dwconv_name(select_dwconv(make_params(4, 9, 9, 7, 1, 3))), "f32-dwconv-scalar");
  const DwConvKernel* k = select_dwconv(make_params(4, 9, 9, 3, 2, 1));
  EXPECT_TRUE(dwconv_matches(*k, make_params(4, 9, 9, 3, 2, 1)));
}

TEST(DwConv, EveryVariantMatchesGeneric) {
  ThreadPool pool2(2), pool3(3);
  for (const DwConvKernel& k : dwconv_variants()) {
    if (!k.supported()) {
      std::printf("skip %s (not supported here)\n", k.name);
      continue;
    }
    const int64_t ks = k.kernel ? k.kernel : 3, st = k.stride ? k.stride : 2;
    int cases = 0;
    for (int64_t h : {1, 2, 3, 7, 13, 14, 112})
      for (int64_t w : {1, 2, 3, 7, 13, 14, 112})
        for (int64_t pad : {0, 1, 2}) {
          if (pad >= ks) continue;
          if (h != w && h != 7 && w != 7) continue;  // keep the run short: squares plus one 7-wide axis
          const int64_t ch = 1 + (h * 3 + w + pad * 5) % 37;
          DwConvParams p = make_params(ch, h, w, ks, st, pad);
          if (p.out_h <= 0 || p.out_w <= 0) continue;
          if (k.max_out_w > 0 && p.out_w > k.max_out_w) continue;  // channel-blocked variants: narrow maps only
          ASSERT_TRUE(dwconv_matches(k, p)) << k.name;
          const Data d(p);
          const Act acts[] = {Act::kNone, Act::kClamp, Act::kHardSwish, Act::kSigmoid, Act::kLeakyRelu,
                              Act::kSiLU, Act::kGelu,  Act::kTanh,      Act::kHardSigmoid};
          const Act act = acts[cases % 9];
          const Epilogue ep = d.epilogue(p, act, cases % 2 == 0);
          const std::vector<float> want = run(generic(), p, d, ep, nullptr);
          const std::vector<float> got1 = run(&k, p, d, ep, nullptr);
          for (size_t i = 0; i < want.size(); ++i)
            ASSERT_NEAR(got1[i], want[i], 2e-5f * (1.0f + std::fabs(want[i])))
                << k.name << " h " << h << " w " << w << " pad " << pad << " ch " << ch << " at " << i;
          EXPECT_EQ(run(&k, p, d, ep, &pool2), got1) << k.name << " 2 threads";
          EXPECT_EQ(run(&k, p, d, ep, &pool3), got1) << k.name << " 3 threads";
          ++cases;
        }
    EXPECT_GT(cases, 10) << k.name;
    std::printf("%s: %d shapes match the generic variant\n", k.name, cases);
  }
}

// Channel strides (DwConvParams::in_channel_stride / out_channel_stride, used by ConvChain's bands): every variant
// reading planes spread apart in a larger buffer and writing them spread apart gives the packed-plane results, and
// writes nothing between the planes. Epilogues with and without a residual, an activation applied later (SiLU) and
// one in registers (clamp).
TEST(DwConv, EveryVariantChannelStrides) {
  for (const DwConvKernel& k : dwconv_variants()) {
    if (!k.supported()) continue;
    const int64_t ks = k.kernel ? k.kernel : 3, st = k.stride ? k.stride : 2;
    for (int64_t w : {7, 13, 40}) {
      DwConvParams p = make_params(19, 9, w, ks, st, ks / 2);
      if (k.max_out_w > 0 && p.out_w > k.max_out_w) continue;
      const Data d(p);
      for (int variant = 0; variant < 3; ++variant) {
        const Epilogue ep = d.epilogue(p, variant == 2 ? Act::kClamp : Act::kSiLU, variant == 1);
        const std::vector<float> want = run(&k, p, d, ep, nullptr);
        const int64_t in_plane = p.in_h * p.in_w, out_plane = p.out_h * p.out_w;
        DwConvParams q = p;
        q.in_channel_stride = in_plane + 21;
        q.out_channel_stride = out_plane + 19;
        std::vector<float> in(static_cast<size_t>(p.channels * q.in_channel_stride), 1e6f);
        for (int64_t c = 0; c < p.channels; ++c)
          std::copy_n(d.in.begin() + c * in_plane, in_plane, in.begin() + c * q.in_channel_stride);
        std::vector<float> out(static_cast<size_t>(p.channels * q.out_channel_stride), -777.0f);
        dwconv2d_f32(&k, q, in.data(), d.w.data(), out.data(), ep, nullptr);
        for (int64_t c = 0; c < p.channels; ++c) {
          for (int64_t i = 0; i < out_plane; ++i)
            ASSERT_EQ(out[static_cast<size_t>(c * q.out_channel_stride + i)], want[static_cast<size_t>(c * out_plane + i)])
                << k.name << " w " << w << " epilogue " << variant << " channel " << c << " pixel " << i;
          for (int64_t i = out_plane; i < q.out_channel_stride; ++i)
            ASSERT_EQ(out[static_cast<size_t>(c * q.out_channel_stride + i)], -777.0f) << k.name << " wrote past a plane";
        }
      }
    }
  }
}

// Row tails of the 8- and 16-lane variants: out_w around multiples of 8/16 (and 1), for every pad the
// variant accepts (every other case with a different top pad) and both input-width parities at
// stride 2; out_h 1..3 covers odd row counts of kernels that step 2 output rows at a time.
TEST(DwConv, EveryVariantRowTails) {
  for (const DwConvKernel& k : dwconv_variants()) {
    if (!k.supported() || k.kernel == 0) continue;
    const int64_t ks = k.kernel, st = k.stride;
    int cases = 0;
    for (int64_t ow : {1, 7, 8, 9, 15, 16, 17, 31, 32, 33})
      for (int64_t oh : {1, 2, 3})
        for (int64_t pad = 0; pad < ks; ++pad)
          for (int64_t extra = 0; extra < st; ++extra) {
            const int64_t w = (ow - 1) * st + ks - 2 * pad + extra, h = (oh - 1) * st + ks - 2 * pad + extra;
            if (w < 1 || h < 1) continue;
            DwConvParams p = make_params(1 + cases % 3, h, w, ks, st, pad);
            ASSERT_EQ(p.out_w, ow);
            ASSERT_EQ(p.out_h, oh);
            if (k.max_out_w > 0 && ow > k.max_out_w) continue;
            if (cases % 2 == 1) p.pad_top = ks - 1 - pad;  // asymmetric: top != left, bottom implied
            ASSERT_TRUE(dwconv_matches(k, p)) << k.name;
            const Data d(p);
            const Act acts[] = {Act::kNone, Act::kClamp, Act::kHardSwish, Act::kSiLU};
            const Epilogue ep = d.epilogue(p, acts[cases % 4], cases % 3 != 0);
            const std::vector<float> want = run(generic(), p, d, ep, nullptr);
            const std::vector<float> got = run(&k, p, d, ep, nullptr);
            for (size_t i = 0; i < want.size(); ++i)
              ASSERT_NEAR(got[i], want[i], 2e-5f * (1.0f + std::fabs(want[i])))
                  << k.name << " out " << oh << "x" << ow << " pad " << p.pad_top << "," << pad << " in " << h << "x"
                  << w << " at " << i;
            ++cases;
          }
    std::printf("%s: %d row-tail shapes match the generic variant\n", k.name, cases);
    EXPECT_GT(cases, k.max_out_w > 0 ? 15 : 50) << k.name;
  }
}

TEST(DwConv, MobileNetShapesSpeed) {
  struct Shape {
    int64_t c, hw, k, s;
  };
  const Shape shapes[] = {{32, 112, 3, 1}, {96, 112, 3, 2}, {144, 56, 3, 1}, {144, 56, 3, 2}, {192, 28, 3, 1},
                          {384, 14, 3, 1}, {576, 14, 3, 1}, {576, 14, 3, 2}, {960, 7, 3, 1},  {72, 56, 5, 2},
                          {120, 28, 5, 1}, {240, 28, 5, 2}, {672, 14, 5, 1}, {960, 7, 5, 1}};
  for (const Shape& s : shapes) {
    const DwConvParams p = make_params(s.c, s.hw, s.hw, s.k, s.s, s.k / 2);
    const Data d(p);
    Epilogue ep = d.epilogue(p, Act::kClamp, false);
    const DwConvKernel* k = select_dwconv(p);
    std::vector<float> out(static_cast<size_t>(p.channels * p.out_h * p.out_w));
    auto time_of = [&](const DwConvKernel* kk) {
      double best = 1e9;
      for (int rep = 0; rep < 5; ++rep) {
        const auto t0 = std::chrono::steady_clock::now();
        dwconv2d_f32(kk, p, d.in.data(), d.w.data(), out.data(), ep, nullptr);
        best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      }
      return best;
    };
    const double t = time_of(k), tg = time_of(generic());
    const double flops = 2.0 * static_cast<double>(p.channels * p.out_h * p.out_w * s.k * s.k);
    std::printf("%-24s %4lldx%3lldx%3lld k%lld s%lld: %.3f ms %.1f GFLOP/s (scalar %.3f ms)\n", k->name,
                static_cast<long long>(s.c), static_cast<long long>(s.hw), static_cast<long long>(s.hw),
                static_cast<long long>(s.k), static_cast<long long>(s.s), t * 1e3, flops / t * 1e-9, tg * 1e3);
    ep = d.epilogue(p, Act::kSiLU, false);  // EfficientNet: SiLU goes through f32-vmath, not registers
    const double ts = time_of(k);
    std::printf("%-24s %4lldx%3lldx%3lld k%lld s%lld: %.3f ms with SiLU\n", k->name, static_cast<long long>(s.c),
                static_cast<long long>(s.hw), static_cast<long long>(s.hw), static_cast<long long>(s.k),
                static_cast<long long>(s.s), ts * 1e3);
  }
}

}  // namespace
}  // namespace edgerun::kernels
