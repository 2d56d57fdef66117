// s16-gemm: every variant the CPU supports against an int64 loop, over the block shapes and their remainders (rows
// and columns 1..9, k_pad 8..40 and a long one, an output stride wider than the columns) and the largest exact
// reduction (kMaxQuantReduction products of -255 * 255).
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "kernels/s16-gemm/s16-gemm.h"
#include "ops/quant_util.h"

namespace edgerun::kernels {
namespace {

std::vector<int32_t> reference(int64_t rows, int64_t cols, int64_t k_pad, const std::vector<int16_t>& x,
                               const std::vector<int16_t>& y, int64_t ldo) {
  std::vector<int32_t> out(static_cast<size_t>(rows * ldo), -5);
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) {
      int64_t s = 0;
      for (int64_t k = 0; k < k_pad; ++k)
        s += static_cast<int64_t>(x[static_cast<size_t>(i * k_pad + k)]) * y[static_cast<size_t>(j * k_pad + k)];
      out[static_cast<size_t>(i * ldo + j)] = static_cast<int32_t>(s);
    }
  return out;
}

class S16GemmTest : public ::testing::TestWithParam<size_t> {
 protected:
  const S16GemmVariant& variant() const { return s16_gemm_variants()[GetParam()]; }
  void SetUp() override {
    if (!variant().supported()) GTEST_SKIP() << variant().name << " not supported on this CPU";
  }
};

TEST_P(S16GemmTest, MatchesInt64Loop) {
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> v(-255, 255);
  int cases = 0;
  for (int64_t rows = 1; rows <= 9; ++rows)
    for (int64_t cols = 1; cols <= 9; ++cols)
      for (int64_t k_pad : {8, 16, 24, 32, 40, 1280}) {
        if (k_pad == 1280 && (rows > 5 || cols > 5)) continue;
        std::vector<int16_t> x(static_cast<size_t>(rows * k_pad)), y(static_cast<size_t>(cols * k_pad));
        for (auto& e : x) e = static_cast<int16_t>(v(rng));
        for (auto& e : y) e = static_cast<int16_t>(v(rng));
        const int64_t ldo = cols + 3;
        std::vector<int32_t> got(static_cast<size_t>(rows * ldo), -5);
        variant().dot(rows, cols, k_pad, x.data(), y.data(), got.data(), ldo);
        ASSERT_EQ(got, reference(rows, cols, k_pad, x, y, ldo))
            << variant().name << " rows " << rows << " cols " << cols << " k_pad " << k_pad;
        ++cases;
      }
  EXPECT_GT(cases, 400);
}

TEST_P(S16GemmTest, LargestReductionIsExact) {
  const int64_t k_pad = kMaxQuantReduction / 8 * 8;
  for (int64_t rows : {1, 4}) {
    std::vector<int16_t> x(static_cast<size_t>(rows * k_pad), -255), y(static_cast<size_t>(2 * k_pad), 255);
    std::vector<int32_t> got(static_cast<size_t>(rows * 2));
    variant().dot(rows, 2, k_pad, x.data(), y.data(), got.data(), 2);
    for (int32_t g : got) EXPECT_EQ(g, static_cast<int32_t>(-k_pad * 255 * 255)) << variant().name;
  }
}

INSTANTIATE_TEST_SUITE_P(AllVariants, S16GemmTest, ::testing::Range<size_t>(0, s16_gemm_variants().size()),
                         [](const auto& info) {
                           std::string s = s16_gemm_variants()[info.param].name;
                           for (char& ch : s)
                             if (ch == '-') ch = '_';
                           return s;
                         });

}  // namespace
}  // namespace edgerun::kernels
