#include "kernels/epilogue.h"

#include <algorithm>
#include <cmath>

namespace edgerun::kernels {

float activation_ref(const Activation& a, float x) {
  switch (a.kind) {
    case Act::kNone: return x;
    case Act::kClamp: return std::min(std::max(x, a.alpha), a.beta);
    case Act::kHardSwish: return x * std::min(std::max(x / 6.0f + 0.5f, 0.0f), 1.0f);
    case Act::kHardSigmoid: return std::min(std::max(a.alpha * x + a.beta, 0.0f), 1.0f);
    case Act::kSigmoid: return 1.0f / (1.0f + std::exp(-x));
    case Act::kSiLU: return x / (1.0f + std::exp(-x));
    case Act::kGelu: return 0.5f * x * (1.0f + std::erf(x * 0.70710678118654752f));
    case Act::kLeakyRelu: return x >= 0.0f ? x : a.alpha * x;
    case Act::kTanh: return std::tanh(x);
  }
  return x;
}

void apply_epilogue_ref(const Epilogue& ep, float* c, int64_t ldc, int64_t row0, int64_t rows, int64_t col0,
                        int64_t cols) {
  for (int64_t r = 0; r < rows; ++r) {
    float* cr = c + r * ldc;
    for (int64_t j = 0; j < cols; ++j) {
      float v = cr[j];
      if (ep.bias) v += ep.bias_per_column ? ep.bias[col0 + j] : ep.bias[row0 + r];
      if (ep.residual) v += ep.residual[(row0 + r) * ep.ld_residual + col0 + j];
      cr[j] = activation_ref(ep.act, v);
    }
  }
}

}  // namespace edgerun::kernels
