// The f32-gemm variant list, best first: dispatch, tests and benchmarks all iterate it.
#include <cstring>

#include "core/cpu_features.h"
#include "kernels/f32-gemm/f32-gemm.h"

namespace edgerun::kernels {
namespace {

[[maybe_unused]] bool has_avx2_fma() { return cpu_features().avx2 && cpu_features().fma; }
[[maybe_unused]] bool has_avx512() { return cpu_features().avx512f && has_avx2_fma(); }
bool always() { return true; }

const GemmUkernel kGemmUkernels[] = {
#if defined(__x86_64__) || defined(_M_X64)
    {"f32-gemm-12x32-avx512", 12, 32, has_avx512, f32_gemm_ukernel_12x32__avx512},
    {"f32-gemm-6x16-avx2", 6, 16, has_avx2_fma, f32_gemm_ukernel_6x16__avx2},
#endif
    {"f32-gemm-4x8-scalar", 4, 8, always, f32_gemm_ukernel_4x8__scalar},
};

}  // namespace

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
