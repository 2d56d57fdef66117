// f32-transpose: every variant the CPU supports against the definition dst[c][r] = src[r][c] (+ add[c][r]), for
// every block size up to 40 x 40 (full 16 x 16 blocks and all edge shapes), with leading dimensions wider than the
// block; elements of dst outside the block keep their sentinel (nothing written past an edge).
#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <vector>

#include "kernels/f32-transpose/transpose.h"

namespace edgerun::kernels {
namespace {

TEST(F32Transpose, VariantsMatchDefinition) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> dist(-4.0f, 4.0f);
  constexpr int64_t kMax = 40, kLdSrc = 43, kLdDst = 45, kLdAdd = 47;
  std::vector<float> src(static_cast<size_t>(kMax * kLdSrc)), add(static_cast<size_t>(kMax * kLdAdd));
  for (float& v : src) v = dist(rng);
  for (float& v : add) v = dist(rng);
  constexpr float kSentinel = 12345.0f;
  int variants = 0;
  for (const TransposeVariant& v : transpose_variants()) {
    if (!v.supported()) {
      std::printf("skip %s (not supported here)\n", v.name);
      continue;
    }
    ++variants;
    for (int64_t rows = 1; rows <= kMax; ++rows)
      for (int64_t cols = 1; cols <= kMax; ++cols)
        for (bool with_add : {false, true}) {
          std::vector<float> dst(static_cast<size_t>((kMax + 1) * kLdDst), kSentinel);
          v.fn(src.data(), rows, cols, kLdSrc, dst.data(), kLdDst, with_add ? add.data() : nullptr, kLdAdd);
          for (int64_t c = 0; c <= kMax; ++c)
            for (int64_t r = 0; r < kLdDst; ++r) {
              const float got = dst[static_cast<size_t>(c * kLdDst + r)];
              float want = kSentinel;
              if (c < cols && r < rows) {
                want = src[static_cast<size_t>(r * kLdSrc + c)];
                if (with_add) want += add[static_cast<size_t>(c * kLdAdd + r)];
              }
              ASSERT_EQ(got, want) << v.name << " rows " << rows << " cols " << cols << " add " << with_add << " at ["
                                   << c << "][" << r << "]";
            }
        }
  }
  EXPECT_GE(variants, 1);
}

}  // namespace
}  // namespace edgerun::kernels
