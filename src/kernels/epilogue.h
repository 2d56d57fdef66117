// What a kernel does to each output value after accumulating it: add a bias (per row or per column),
// add a residual tensor of the output's layout, then apply an activation. Graph passes fuse
// BatchNorm / Add / Relu / Clip / HardSwish / Sigmoid / SiLU / GELU nodes into this.
#pragma once

#include <cstdint>

namespace edgerun::kernels {

enum class Act : uint8_t {
  kNone,
  kClamp,        // min(max(x, alpha), beta): Relu (0, +inf), Relu6 / Clip
  kHardSwish,    // x * clamp(x / 6 + 0.5, 0, 1)
  kHardSigmoid,  // clamp(alpha * x + beta, 0, 1)
  kSigmoid,      // 1 / (1 + exp(-x))
  kSiLU,         // x * sigmoid(x)
  kGelu,         // 0.5 x (1 + erf(x / sqrt(2)))
  kLeakyRelu,    // x >= 0 ? x : alpha * x
  kTanh,
};

struct Activation {
  Act kind = Act::kNone;
  float alpha = 0.0f, beta = 0.0f;
};

struct Epilogue {
  const float* bias = nullptr;  // nullptr: none
  bool bias_per_column = false; // false: bias[row] (NCHW conv: row = output channel); true: bias[col] (Gemm)
  const float* residual = nullptr;  // added after the bias; same row/column indexing as the output
  int64_t ld_residual = 0;          // leading dimension of `residual` (elements between rows)
  Activation act;
};

// Reference (scalar, exact libm) activation; the oracle for the vectorized ones.
float activation_ref(const Activation& a, float x);

// Applies bias/residual/activation to a block of output rows [row0, row0 + rows) x [col0, col0 + cols)
// stored at c (leading dimension ldc), reference scalar code.
void apply_epilogue_ref(const Epilogue& ep, float* c, int64_t ldc, int64_t row0, int64_t rows, int64_t col0,
                        int64_t cols);

}  // namespace edgerun::kernels
