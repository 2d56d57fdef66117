// The f32-gemm and f32-gemv variant lists, best first: dispatch, tests and benchmarks all iterate it.
#include <cstring>
#include <iterator>

#include "core/cpu_features.h"
#include "kernels/f32-gemm/f32-gemm.h"

namespace edgerun::kernels {
namespace {

[[maybe_unused]] bool has_avx2_fma() { return cpu_features().avx2 && cpu_features().fma; }
[[maybe_unused]] bool has_avx512() { return cpu_features().avx512f && has_avx2_fma(); }
[[maybe_unused]] bool has_neon() { return cpu_features().neon; }
bool always() { return true; }

const GemmUkernel kGemmUkernels[] = {
#if defined(__x86_64__) || defined(_M_X64)
    {"f32-gemm-12x32-avx512", 12, 32, has_avx512, f32_gemm_ukernel_12x32__avx512, f32_gemm_ukernel_12x32__avx512_any,
     f32_gemm_ukernel_12x32__avx512_indirect, gemm_pack_a_mr12__avx512},
    {"f32-gemm-6x16-avx2", 6, 16, has_avx2_fma, f32_gemm_ukernel_6x16__avx2, nullptr, nullptr, nullptr},
#endif
#if defined(__aarch64__)
    {"f32-gemm-8x12-neon", 8, 12, has_neon, f32_gemm_ukernel_8x12__neon, nullptr, nullptr, nullptr},
#endif
    {"f32-gemm-4x8-scalar", 4, 8, always, f32_gemm_ukernel_4x8__scalar, nullptr, nullptr, nullptr},
};

const GemvUkernel kGemvUkernels[] = {
#if defined(__x86_64__) || defined(_M_X64)
    {"f32-gemv-avx512", has_avx512, f32_gemv_lhs__avx512, f32_gemv_rhs__avx512},
    {"f32-gemv-avx2", has_avx2_fma, f32_gemv_lhs__avx2, f32_gemv_rhs__avx2},
#endif
#if defined(__aarch64__)
    {"f32-gemv-neon", has_neon, f32_gemv_lhs__neon, f32_gemv_rhs__neon},
#endif
    {"f32-gemv-scalar", always, f32_gemv_lhs__scalar, f32_gemv_rhs__scalar},
};

}  // namespace

std::span<const GemvUkernel> gemv_ukernels() { return kGemvUkernels; }

const GemvUkernel* find_gemv_ukernel(const char* name) {
  for (const GemvUkernel& uk : kGemvUkernels)
    if (std::strcmp(uk.name, name) == 0) return &uk;
  return nullptr;
}

const GemvUkernel* default_gemv_ukernel() {
  static const GemvUkernel* best = [] {
    for (const GemvUkernel& uk : kGemvUkernels)
      if (uk.supported()) return &uk;
    return &kGemvUkernels[std::size(kGemvUkernels) - 1];
  }();
  return best;
}

std::span<const GemmUkernel> gemm_ukernels() { return kGemmUkernels; }

const GemmUkernel* find_gemm_ukernel(const char* name) {
  for (const GemmUkernel& uk : kGemmUkernels)
    if (std::strcmp(uk.name, name) == 0) return &uk;
  return nullptr;
}

const GemmUkernel* default_gemm_ukernel() {
  static const GemmUkernel* best = [] {
    for (const GemmUkernel& uk : kGemmUkernels)
      if (uk.supported()) return &uk;
    return &kGemmUkernels[0];
  }();
  return best;
}

}  // namespace edgerun::kernels
