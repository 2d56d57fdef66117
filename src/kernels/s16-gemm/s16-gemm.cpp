// s16-gemm dispatch: the variant table and the public entry point.
#include "kernels/s16-gemm/s16-gemm.h"

#include <array>

#include "core/cpu_features.h"

namespace edgerun::kernels {
namespace {

const auto kVariants = std::to_array<S16GemmVariant>({
#if defined(__x86_64__)
    {"s16-gemm-avx2", [] { return cpu_features().avx2; }, s16_gemm_dot__avx2},
#endif
    {"s16-gemm-scalar", [] { return true; }, s16_gemm_dot__scalar},
});

const S16GemmVariant& selected() {
  static const S16GemmVariant* v = [] {
    for (const S16GemmVariant& c : kVariants)
      if (c.supported()) return &c;
    return &kVariants.back();
  }();
  return *v;
}

}  // namespace

std::span<const S16GemmVariant> s16_gemm_variants() { return kVariants; }

void s16_gemm_dot(int64_t rows, int64_t cols, int64_t k_pad, const int16_t* x, const int16_t* y, int32_t* out,
                  int64_t ldo) {
  selected().dot(rows, cols, k_pad, x, y, out, ldo);
}

const char* s16_gemm_name() { return selected().name; }

}  // namespace edgerun::kernels
