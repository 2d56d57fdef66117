// im2col's stride-2 row gather: every variant the CPU supports gives dst[i] = src[2 i] for every length and
// alignment, and reads nothing past src[2(n-1)] (the row's last needed input sits right before a PROT_NONE page,
// so an over-read crashes the test).
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <vector>

#include "kernels/f32-conv/im2col.h"

namespace edgerun::kernels {
namespace {

TEST(Im2colGatherS2, EveryVariantEveryLengthNoOverRead) {
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  void* mem = mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(mem, MAP_FAILED);
  ASSERT_EQ(mprotect(static_cast<char*>(mem) + page, page, PROT_NONE), 0);
  float* end = reinterpret_cast<float*>(static_cast<char*>(mem) + page);  // first unreadable float
  int variants = 0;
  for (const GatherS2Variant& v : gather_s2_variants()) {
    if (!v.supported()) {
      std::printf("skip %s (not supported here)\n", v.name);
      continue;
    }
    ++variants;
    for (int64_t n = 1; n <= 80; ++n) {
      float* src = end - (2 * (n - 1) + 1);  // src[2(n-1)] is the last readable float
      for (int64_t i = 0; i < 2 * n - 1; ++i) src[i] = static_cast<float>(i) * 0.5f + 1.0f;
      std::vector<float> dst(static_cast<size_t>(n) + 1, -7.0f);
      v.fn(src, dst.data(), n);
      for (int64_t i = 0; i < n; ++i) ASSERT_EQ(dst[static_cast<size_t>(i)], src[2 * i]) << v.name << " n " << n;
      EXPECT_EQ(dst[static_cast<size_t>(n)], -7.0f) << v.name << " wrote past n = " << n;
    }
  }
  munmap(mem, 2 * page);
  EXPECT_GE(variants, 1);
}

TEST(Im2colGatherS2, StridedConvColumnsMatchNaive) {
  // 3 channels, 3x3, stride 2, pad 1 on a 9x11 image: every column of the im2col tile against the definition.
  Im2colParams p;
  p.channels = 3;
  p.in_h = 9;
  p.in_w = 11;
  p.kernel_h = p.kernel_w = 3;
  p.stride_h = p.stride_w = 2;
  p.pad_top = p.pad_left = 1;
  p.out_h = (p.in_h + 2 - 3) / 2 + 1;
  p.out_w = (p.in_w + 2 - 3) / 2 + 1;
  std::vector<float> x(static_cast<size_t>(p.channels * p.in_h * p.in_w));
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i) + 0.25f;
  const int64_t pixels = p.out_h * p.out_w, k = p.channels * 9;
  for (int64_t p0 : {int64_t{0}, int64_t{5}}) {
    const int64_t p1 = pixels;
    std::vector<float> col(static_cast<size_t>(k * (p1 - p0)), -1.0f);
    im2col_nchw_f32(p, x.data(), p0, p1, col.data(), p1 - p0);
    for (int64_t row = 0; row < k; ++row) {
      const int64_t c = row / 9, ky = row / 3 % 3, kx = row % 3;
      for (int64_t q = p0; q < p1; ++q) {
        const int64_t iy = q / p.out_w * 2 - 1 + ky, ix = q % p.out_w * 2 - 1 + kx;
        const float want = iy >= 0 && iy < p.in_h && ix >= 0 && ix < p.in_w ? x[static_cast<size_t>((c * p.in_h + iy) * p.in_w + ix)] : 0.0f;
        ASSERT_EQ(col[static_cast<size_t>(row * (p1 - p0) + q - p0)], want) << "row " << row << " pixel " << q;
      }
    }
  }
}

}  // namespace
}  // namespace edgerun::kernels
