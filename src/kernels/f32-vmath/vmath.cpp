// PLACEHOLDER: scalar implementations; replaced by the table with -avx2 variants.
#include "kernels/f32-vmath/vmath.h"

#include <cmath>

namespace edgerun::kernels {

void activation_f32(const Activation& act, const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = activation_ref(act, x[i]);
}
void exp_f32(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = std::exp(x[i]);
}
void sigmoid_f32(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = 1.0f / (1.0f + std::exp(-x[i]));
}
void tanh_f32(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = std::tanh(x[i]);
}
void erf_f32(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = std::erf(x[i]);
}

}  // namespace edgerun::kernels
