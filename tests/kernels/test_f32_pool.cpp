// f32-pool row kernels: every variant the CPU supports gives the scalar variant's bits (NaN taps skipped
// unless the running max is NaN, +0 kept over -0 when equal) for strides 1..3, windows 1..5 and every length.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdio>
#include <limits>
#include <random>
#include <vector>

#include "kernels/f32-pool/pool.h"

namespace edgerun::kernels {
namespace {

TEST(F32Pool, MaxRowVariantsBitIdenticalToScalar) {
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> dist(-2.0f, 2.0f);
  std::vector<float> row(400 + kMaxPoolRowSlack);
  for (size_t i = 0; i < row.size(); ++i) {
    row[i] = dist(rng);
    if (i % 17 == 3) row[i] = std::numeric_limits<float>::quiet_NaN();
    if (i % 23 == 5) row[i] = i % 2 ? 0.0f : -0.0f;
    if (i % 29 == 7) row[i] = -std::numeric_limits<float>::infinity();
  }
  int variants = 0;
  for (const MaxPoolRowVariant& v : maxpool_row_variants()) {
    if (!v.supported()) {
      std::printf("skip %s (not supported here)\n", v.name);
      continue;
    }
    ++variants;
    for (int64_t stride = 1; stride <= 3; ++stride)
      for (int64_t k = 1; k <= 5; ++k)
        for (int64_t n = 1; n <= 70; n += 3)
          for (int64_t first : {int64_t{0}, int64_t{1}, int64_t{5}}) {
            std::vector<float> want(static_cast<size_t>(n)), got(static_cast<size_t>(n) + 1, 7.0f);
            maxpool_row_f32__scalar(row.data(), first, stride, k, want.data(), n);
            v.fn(row.data(), first, stride, k, got.data(), n);
            for (int64_t i = 0; i < n; ++i)
              ASSERT_EQ(std::bit_cast<uint32_t>(got[static_cast<size_t>(i)]),
                        std::bit_cast<uint32_t>(want[static_cast<size_t>(i)]))
                  << v.name << " stride " << stride << " k " << k << " n " << n << " first " << first << " at " << i;
            EXPECT_EQ(got[static_cast<size_t>(n)], 7.0f) << v.name << " wrote past n";
          }
  }
  EXPECT_GE(variants, 1);
}

TEST(F32Pool, MaxColumnsVariantsBitIdenticalToScalar) {
  std::mt19937 rng(6);
  std::uniform_real_distribution<float> dist(-2.0f, 2.0f);
  const int64_t ld = 53;
  std::vector<float> x(static_cast<size_t>(ld * 5));
  for (size_t i = 0; i < x.size(); ++i) {
    x[i] = dist(rng);
    if (i % 13 == 3) x[i] = std::numeric_limits<float>::quiet_NaN();
    if (i % 19 == 5) x[i] = i % 2 ? 0.0f : -0.0f;
  }
  for (const MaxPoolRowVariant& v : maxpool_row_variants()) {
    if (!v.supported()) continue;
    for (int64_t count = 1; count <= 5; ++count)
      for (int64_t n = 1; n <= ld; n += 4) {
        std::vector<float> want(static_cast<size_t>(n)), got(static_cast<size_t>(n) + 1, 7.0f);
        maxpool_columns_f32__scalar(x.data(), ld, count, want.data(), n);
        v.columns(x.data(), ld, count, got.data(), n);
        for (int64_t j = 0; j < n; ++j)
          ASSERT_EQ(std::bit_cast<uint32_t>(got[static_cast<size_t>(j)]), std::bit_cast<uint32_t>(want[static_cast<size_t>(j)]))
              << v.name << " count " << count << " n " << n << " at " << j;
        EXPECT_EQ(got[static_cast<size_t>(n)], 7.0f) << v.name << " wrote past n";
      }
  }
}

}  // namespace
}  // namespace edgerun::kernels
