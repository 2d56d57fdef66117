// f32-vmath dispatch: the variant table and the public entry points, which call the variant chosen
// once from cpu_features() (EDGERUN_ISA=scalar selects -scalar).
#include "kernels/f32-vmath/vmath.h"

#include <array>

#include "core/cpu_features.h"
#include "kernels/f32-vmath/vmath_table.h"

namespace edgerun::kernels {
namespace {

const auto kVariants = std::to_array<VmathVariant>({
#if defined(__x86_64__)
    // -avx512: bit-identical to -avx2 element by element; the sum keeps the AVX2 order (vmath-avx512.cpp).
    {"f32-vmath-avx512", [] { return cpu_features().avx512f && cpu_features().avx2 && cpu_features().fma; },
     exp_f32__avx512, sigmoid_f32__avx512, tanh_f32__avx512, erf_f32__avx512, activation_f32__avx512, sum_f32__avx2,
     softmax_f32__avx512},
    {"f32-vmath-avx2", [] { return cpu_features().avx2 && cpu_features().fma; }, exp_f32__avx2, sigmoid_f32__avx2,
     tanh_f32__avx2, erf_f32__avx2, activation_f32__avx2, sum_f32__avx2, softmax_f32__avx2},
#endif
#if defined(__aarch64__)
    {"f32-vmath-neon", [] { return cpu_features().neon; }, exp_f32__neon, sigmoid_f32__neon, tanh_f32__neon,
     erf_f32__neon, activation_f32__neon, sum_f32__neon, softmax_f32__neon},
#endif
    {"f32-vmath-scalar", [] { return true; }, exp_f32__scalar, sigmoid_f32__scalar, tanh_f32__scalar,
     erf_f32__scalar, activation_f32__scalar, sum_f32__scalar, softmax_f32__scalar},
});

const VmathVariant& select_variant() {
  for (const VmathVariant& v : kVariants)
    if (v.supported()) return v;
  return kVariants.back();
}

}  // namespace

std::span<const VmathVariant> vmath_variants() { return kVariants; }

const VmathVariant& vmath_selected() {
  static const VmathVariant& v = select_variant();
  return v;
}

void activation_f32(const Activation& act, const float* x, float* y, int64_t n) {
  vmath_selected().activation(act, x, y, n);
}
void exp_f32(const float* x, float* y, int64_t n) { vmath_selected().exp(x, y, n); }
void sigmoid_f32(const float* x, float* y, int64_t n) { vmath_selected().sigmoid(x, y, n); }
void tanh_f32(const float* x, float* y, int64_t n) { vmath_selected().tanh(x, y, n); }
void erf_f32(const float* x, float* y, int64_t n) { vmath_selected().erf(x, y, n); }
float sum_f32(const float* x, int64_t n) { return vmath_selected().sum(x, n); }
bool softmax_f32(const float* x, float* y, int64_t n) { return vmath_selected().softmax(x, y, n); }
const char* vmath_name() { return vmath_selected().name; }

}  // namespace edgerun::kernels
