#include "kernels/f32-pool/pool.h"

#include <iterator>
#include <limits>

#include "core/cpu_features.h"

namespace edgerun::kernels {
namespace {

[[maybe_unused]] bool has_avx512() { return cpu_features().avx512f; }
bool always() { return true; }

const MaxPoolRowVariant kVariants[] = {
#if defined(__x86_64__) || defined(_M_X64)
    {"maxpool-row-avx512", has_avx512, maxpool_row_f32__avx512, maxpool_columns_f32__avx512},
#endif
    {"maxpool-row-scalar", always, maxpool_row_f32__scalar, maxpool_columns_f32__scalar},
};

const MaxPoolRowVariant& best() {
  static const MaxPoolRowVariant* v = [] {
    for (const MaxPoolRowVariant& c : kVariants)
      if (c.supported()) return &c;
    return &kVariants[std::size(kVariants) - 1];
  }();
  return *v;
}

}  // namespace

std::span<const MaxPoolRowVariant> maxpool_row_variants() { return kVariants; }

void maxpool_row_f32(const float* row, int64_t first, int64_t stride, int64_t k, float* out, int64_t n) {
  best().fn(row, first, stride, k, out, n);
}

void maxpool_columns_f32(const float* x, int64_t ld, int64_t count, float* out, int64_t n) {
  best().columns(x, ld, count, out, n);
}

void maxpool_columns_f32__scalar(const float* x, int64_t ld, int64_t count, float* out, int64_t n) {
  for (int64_t j = 0; j < n; ++j) out[j] = x[j];
  for (int64_t r = 1; r < count; ++r)
    for (int64_t j = 0; j < n; ++j) out[j] = out[j] < x[r * ld + j] ? x[r * ld + j] : out[j];
}

void maxpool_row_f32__scalar(const float* row, int64_t first, int64_t stride, int64_t k, float* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float* r = row + first + stride * i;
    float best = -std::numeric_limits<float>::infinity();
    for (int64_t t = 0; t < k; ++t) best = best < r[t] ? r[t] : best;
    out[i] = best;
  }
}

}  // namespace edgerun::kernels
