#include "kernels/f32-transpose/transpose.h"

#include <algorithm>
#include <iterator>

#include "core/cpu_features.h"

namespace edgerun::kernels {
namespace {

[[maybe_unused]] bool has_avx512() { return cpu_features().avx512f; }
bool always() { return true; }

const TransposeVariant kVariants[] = {
#if defined(__x86_64__) || defined(_M_X64)
    {"transpose-avx512", has_avx512, transpose_f32__avx512},
#endif
    {"transpose-scalar", always, transpose_f32__scalar},
};

const TransposeVariant& best() {
  static const TransposeVariant* v = [] {
    for (const TransposeVariant& c : kVariants)
      if (c.supported()) return &c;
    return &kVariants[std::size(kVariants) - 1];
  }();
  return *v;
}

}  // namespace

std::span<const TransposeVariant> transpose_variants() { return kVariants; }

void transpose_f32(const float* src, int64_t rows, int64_t cols, int64_t ld_src, float* dst, int64_t ld_dst,
                   const float* add, int64_t ld_add) {
  best().fn(src, rows, cols, ld_src, dst, ld_dst, add, ld_add);
}

// 8 x 8 blocks: the block's source rows and destination rows stay in L1 while it is copied.
void transpose_f32__scalar(const float* src, int64_t rows, int64_t cols, int64_t ld_src, float* dst, int64_t ld_dst,
                           const float* add, int64_t ld_add) {
  constexpr int64_t kB = 8;
  for (int64_t c0 = 0; c0 < cols; c0 += kB)
    for (int64_t r0 = 0; r0 < rows; r0 += kB) {
      const int64_t c1 = std::min(cols, c0 + kB), r1 = std::min(rows, r0 + kB);
      for (int64_t c = c0; c < c1; ++c)
        for (int64_t r = r0; r < r1; ++r) {
          const float v = src[r * ld_src + c];
          dst[c * ld_dst + r] = add ? v + add[c * ld_add + r] : v;
        }
    }
}

}  // namespace edgerun::kernels
