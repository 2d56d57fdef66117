// qu8-gemm against the definition sum_k (x - zx)(w - zw[m]) in int64 (every M / pixel edge of the 12 x 32 tile,
// uint8 and int8 weights, zero points across the range or all 0, K not a multiple of 4, sums near the int32 limit),
// its requantized output against the scalar requantization, and the
// qu8-quantize variants against the scalar one bit for bit (NaN, infinities, huge values, exact halves).
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>
#include <limits>
#include <random>
#include <tuple>
#include <vector>

#include "kernels/qu8-gemm/qu8-gemm.h"
#include "kernels/qu8-quantize/quantize.h"

namespace edgerun::kernels {
namespace {

// x: [k][p] uint8 (p pixels), w: [m][k] bytes; returns C[m][p] through the packed path.
std::vector<int32_t> run_qu8(const std::vector<uint8_t>& x, int64_t k, int64_t pixels, const std::vector<uint8_t>& w,
                             int64_t m, bool w_unsigned, int32_t zx, const std::vector<int32_t>& zw,
                             bool requant = false) {
  const Qu8PackedWeights pw = qu8_pack_weights(w.data(), m, k, k, w_unsigned);
  const int64_t kp = pw.kp;
  std::vector<uint8_t> b(static_cast<size_t>(kp * pixels), static_cast<uint8_t>(zx));  // [kp/4][pixels][4]
  for (int64_t kk = 0; kk < k; ++kk)
    for (int64_t p = 0; p < pixels; ++p)
      b[static_cast<size_t>(((kk / 4) * pixels + p) * 4 + kk % 4)] = x[static_cast<size_t>(kk * pixels + p)];
  std::vector<int32_t> col(static_cast<size_t>(pixels)), row_term(static_cast<size_t>(m)), coef(static_cast<size_t>(m));
  qu8_column_sums(b.data(), kp, pixels, col.data());
  for (int32_t& c : col) c = static_cast<int32_t>(static_cast<uint32_t>(c) - static_cast<uint32_t>(kp * zx));
  for (int64_t r = 0; r < m; ++r) {
    row_term[static_cast<size_t>(r)] = static_cast<int32_t>(static_cast<uint32_t>(zx) * static_cast<uint32_t>(pw.row_sum[static_cast<size_t>(r)]));
    coef[static_cast<size_t>(r)] = (w_unsigned ? 128 : 0) - zw[static_cast<size_t>(r)];
  }
  const bool coef_zero = std::all_of(coef.begin(), coef.end(), [](int32_t v) { return v == 0; });
  if (coef_zero) std::fill(col.begin(), col.end(), 1 << 20);  // must not be read (qu8-gemm.h)
  Qu8Corrections corr;
  corr.row_term = row_term.data();
  corr.row_coef = coef_zero ? nullptr : coef.data();
  corr.col_term = col.data();
  std::vector<int32_t> c(static_cast<size_t>(m * pixels), -7);
  qu8_gemm(pw, 0, m, b.data(), pixels, c.data(), pixels, corr);
  if (requant) {
    // The requantized product, byte for byte the scalar requantization of the int32 one (rows from row 0 and from
    // a later panel, to check the per-row indexing).
    std::vector<float> mult(static_cast<size_t>(m));
    std::vector<int32_t> bias(static_cast<size_t>(m));
    // Rows cycle through an ordinary multiplier, NaN (-> zp), a huge one (saturates both ways) and 0.5 (ties).
    for (int64_t r = 0; r < m; ++r) {
      const float special[4] = {0.0007f * static_cast<float>(r + 1) / static_cast<float>(k),
                                std::numeric_limits<float>::quiet_NaN(), 1e9f, 0.5f};
      mult[static_cast<size_t>(r)] = special[r % 4];
      bias[static_cast<size_t>(r)] = static_cast<int32_t>(r * 977) - 4000;
    }
    for (auto [zp, lo, hi] : {std::tuple{3, 0, 255}, std::tuple{-7, -128, 127}}) {
      Qu8Requant rq;
      rq.bias = bias.data();
      rq.mult = mult.data();
      rq.zp = zp;
      rq.lo = lo;
      rq.hi = hi;
      std::vector<uint8_t> y(static_cast<size_t>(m * (pixels + 1)), 0xAB), want(y);
      qu8_gemm_requant(pw, 0, m, b.data(), pixels, y.data(), pixels + 1, corr, rq);
      for (int64_t r = 0; r < m; ++r)
        requantize__scalar(c.data() + r * pixels, pixels, bias[static_cast<size_t>(r)], mult[static_cast<size_t>(r)], zp,
                           lo, hi, want.data() + r * (pixels + 1));
      EXPECT_EQ(y, want) << "requantized, m " << m << " pixels " << pixels << " k " << k << " zp " << zp;
    }
  }
  return c;
}

TEST(Qu8Gemm, MatchesDefinition) {
  if (!qu8_gemm_available()) GTEST_SKIP() << "no qu8-gemm kernel on this CPU (AVX-512 VNNI)";
  std::mt19937 rng(3);
  int cases = 0;
  for (int64_t m : {1, 5, 12, 13, 30})
    for (int64_t pixels : {1, 15, 16, 17, 32, 33, 70})
      for (int64_t k : {1, 3, 4, 9, 27, 300})
        for (bool w_unsigned : {false, true}) {
          std::uniform_int_distribution<int> byte(0, 255);
          std::vector<uint8_t> x(static_cast<size_t>(k * pixels)), w(static_cast<size_t>(m * k));
          for (auto& v : x) v = static_cast<uint8_t>(byte(rng));
          for (auto& v : w) v = static_cast<uint8_t>(byte(rng));
          const int32_t zx = byte(rng);
          std::vector<int32_t> zw(static_cast<size_t>(m));
          for (auto& z : zw) z = w_unsigned ? byte(rng) : byte(rng) - 128;
          if (!w_unsigned && k % 3 == 0) std::fill(zw.begin(), zw.end(), 0);  // symmetric int8: no column terms
          const std::vector<int32_t> got = run_qu8(x, k, pixels, w, m, w_unsigned, zx, zw, true);
          for (int64_t r = 0; r < m; ++r)
            for (int64_t p = 0; p < pixels; ++p) {
              int64_t want = 0;
              for (int64_t kk = 0; kk < k; ++kk) {
                const int64_t wv = w_unsigned ? w[static_cast<size_t>(r * k + kk)]
                                              : static_cast<int8_t>(w[static_cast<size_t>(r * k + kk)]);
                want += (static_cast<int64_t>(x[static_cast<size_t>(kk * pixels + p)]) - zx) * (wv - zw[static_cast<size_t>(r)]);
              }
              ASSERT_EQ(got[static_cast<size_t>(r * pixels + p)], want)
                  << "m " << m << " pixels " << pixels << " k " << k << " unsigned " << w_unsigned << " at " << r
                  << "," << p;
            }
          ++cases;
        }
  EXPECT_EQ(cases, 420);
}

// The largest reduction the quantized convs accept: |sum| just below 2^31 with intermediate terms that wrap.
TEST(Qu8Gemm, ExtremeSumsAreExact) {
  if (!qu8_gemm_available()) GTEST_SKIP() << "no qu8-gemm kernel on this CPU (AVX-512 VNNI)";
  const int64_t k = 33024, pixels = 3, m = 2;
  std::vector<uint8_t> x(static_cast<size_t>(k * pixels), 255), w(static_cast<size_t>(m * k), 255);
  for (int64_t kk = 0; kk < k; ++kk) x[static_cast<size_t>(kk * pixels + 1)] = 0;  // pixel 1: all 0
  const std::vector<int32_t> got = run_qu8(x, k, pixels, w, m, true, 0, {0, 255});
  EXPECT_EQ(got[0], int64_t{255} * 255 * k);  // 2147385600
  EXPECT_EQ(got[1], 0);
  EXPECT_EQ(got[3], 0);                        // w - zw = 0
}

TEST(Qu8Quantize, VariantsMatchScalar) {
  std::mt19937 rng(9);
  std::vector<float> x;
  std::uniform_real_distribution<float> d(-300.0f, 300.0f);
  for (int i = 0; i < 1000; ++i) x.push_back(d(rng));
  for (float v : {0.0f, -0.0f, 0.5f, 1.5f, 2.5f, -0.5f, -2.5f, 254.5f, 1e30f, -1e30f, 3e38f,
                  std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(),
                  std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::denorm_min()})
    x.push_back(v);
  int variants = 0;
  for (const QuantizeVariant& v : quantize_variants()) {
    if (!v.supported()) continue;
    ++variants;
    for (int64_t n : {int64_t{1}, int64_t{15}, int64_t{16}, int64_t{17}, static_cast<int64_t>(x.size())}) {
      for (int64_t off : {int64_t{0}, static_cast<int64_t>(x.size()) - n}) {
        float lo0 = 0.0f, hi0 = 0.0f, lo1 = 0.0f, hi1 = 0.0f;
        range_f32__scalar(x.data() + off, n, &lo0, &hi0);
        v.range(x.data() + off, n, &lo1, &hi1);
        EXPECT_EQ(std::bit_cast<uint32_t>(lo0), std::bit_cast<uint32_t>(lo1)) << v.name << " n " << n;
        EXPECT_EQ(std::bit_cast<uint32_t>(hi0), std::bit_cast<uint32_t>(hi1)) << v.name << " n " << n;
        for (float scale : {0.37f, 1.0f, 2.0f})
          for (int32_t zp : {0, 77, 255}) {
            std::vector<uint8_t> a(static_cast<size_t>(n) + 1, 9), b(static_cast<size_t>(n) + 1, 9);
            quantize_u8__scalar(x.data() + off, n, scale, zp, a.data());
            v.quantize(x.data() + off, n, scale, zp, b.data());
            ASSERT_EQ(a, b) << v.name << " n " << n << " scale " << scale << " zp " << zp;
          }
      }
    }
  }
  EXPECT_GE(variants, 1);
}

// Requantization of int32 and exactly-integral float accumulators and the byte -> float shift, every variant against
// the scalar one bit for bit (uint8 and int8 ranges, wrapping bias sums, exact halves, huge multipliers, NaN).
TEST(Qu8Quantize, RequantizeMatchesScalar) {
  std::mt19937 rng(11);
  std::uniform_int_distribution<int32_t> small(-2000000, 2000000);
  std::vector<int32_t> acc;
  for (int i = 0; i < 300; ++i) acc.push_back(small(rng));
  for (int32_t v : {0, 1, -1, 127, -128, 255, 16777215, -16777215, std::numeric_limits<int32_t>::max(),
                    std::numeric_limits<int32_t>::min()})
    acc.push_back(v);
  // With mult = 0.1f, 5 * 0.1f rounds to exactly 0.5 (a tie, -> 0) while a fused multiply-add would see 0.50000001
  // (-> 1): catches a compiler contracting the variants' multiply and rounding add.
  for (int32_t v = -95; v <= 95; v += 10) acc.push_back(v);
  std::vector<float> accf(acc.size());
  for (size_t i = 0; i < acc.size(); ++i) accf[i] = static_cast<float>(std::clamp(acc[i], -16777215, 16777215));
  std::vector<uint8_t> bytes(acc.size());
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(i * 37 + 5);
  int variants = 0;
  for (const QuantizeVariant& v : quantize_variants()) {
    if (!v.supported()) continue;
    ++variants;
    for (int64_t n : {int64_t{1}, int64_t{7}, int64_t{8}, int64_t{9}, int64_t{16}, int64_t{17}, static_cast<int64_t>(acc.size())}) {
      for (float mult : {0.5f, 0.1f, 0.0013f, 1.0f / 3.0f, 1e9f, std::numeric_limits<float>::quiet_NaN()})
        for (int32_t bias : {0, -77, 123456, std::numeric_limits<int32_t>::max()})
          for (auto [zp, lo, hi] : {std::tuple{128, 0, 255}, std::tuple{0, 0, 255}, std::tuple{-3, -128, 127}}) {
            std::vector<uint8_t> a(static_cast<size_t>(n) + 1, 9), b(static_cast<size_t>(n) + 1, 9);
            requantize__scalar(acc.data(), n, bias, mult, zp, lo, hi, a.data());
            v.requantize(acc.data(), n, bias, mult, zp, lo, hi, b.data());
            ASSERT_EQ(a, b) << v.name << " requantize n " << n << " mult " << mult << " bias " << bias << " zp " << zp;
            requantize_f32__scalar(accf.data(), n, bias, mult, zp, lo, hi, a.data());
            v.requantize_f32(accf.data(), n, bias, mult, zp, lo, hi, b.data());
            ASSERT_EQ(a, b) << v.name << " requantize_f32 n " << n << " mult " << mult << " bias " << bias;
          }
      for (uint8_t flip : {uint8_t{0}, uint8_t{0x80}})
        for (int32_t zp : {0, 128, 255}) {
          std::vector<float> a(static_cast<size_t>(n) + 1, 9.0f), b(static_cast<size_t>(n) + 1, 9.0f);
          shift_to_f32__scalar(bytes.data(), n, flip, zp, a.data());
          v.shift_to_f32(bytes.data(), n, flip, zp, b.data());
          ASSERT_EQ(a, b) << v.name << " shift_to_f32 n " << n;
        }
    }
  }
  // add: every pair of bytes (256 x 256), uint8 and int8 views, scales that make ties and products that round.
  std::vector<uint8_t> qa, qb;
  for (int i = 0; i < 256; ++i)
    for (int j = 0; j < 256; ++j) {
      qa.push_back(static_cast<uint8_t>(i));
      qb.push_back(static_cast<uint8_t>(j));
    }
  for (const QuantizeVariant& v : quantize_variants()) {
    if (!v.supported()) continue;
    for (auto [flip, za, zb, zc, lo, hi, ka, kb] :
         {std::tuple{uint8_t{0}, 128, 120, 125, 0, 255, 0.5f, 0.25f}, std::tuple{uint8_t{0}, 3, 250, 0, 0, 255, 0.1f, 0.7f},
          std::tuple{uint8_t{0x80}, 128, 130, -3, -128, 127, 1.0f / 3.0f, 0.9f}}) {
      QAddParams p;
      p.flip = flip;
      p.za = za;
      p.zb = zb;
      p.zc = zc;
      p.lo = lo;
      p.hi = hi;
      p.ka = ka;
      p.kb = kb;
      for (int64_t n : {int64_t{5}, static_cast<int64_t>(qa.size())}) {
        std::vector<uint8_t> want(static_cast<size_t>(n)), got(static_cast<size_t>(n));
        add__scalar(qa.data(), qb.data(), n, p, want.data());
        v.add(qa.data(), qb.data(), n, p, got.data());
        ASSERT_EQ(want, got) << v.name << " add ka " << ka;
      }
    }
  }
  EXPECT_GE(variants, 1);
  // The definition on a few values: round half to even, saturation, int8 bytes.
  const int32_t def_acc[] = {5, 7, -300, 1000};
  uint8_t out[4];
  requantize__scalar(def_acc, 4, 0, 0.5f, 10, -128, 127, out);
  EXPECT_EQ(static_cast<int8_t>(out[0]), 12);    // 2.5 -> 2, + 10
  EXPECT_EQ(static_cast<int8_t>(out[1]), 14);    // 3.5 -> 4, + 10
  EXPECT_EQ(static_cast<int8_t>(out[2]), -128);  // -150 + 10 saturates
  EXPECT_EQ(static_cast<int8_t>(out[3]), 127);
}

}  // namespace
}  // namespace edgerun::kernels
