// The integer dot-product GEMM under the quantized conv / matmul reference kernels: kernels/s16-gemm (per-ISA
// variants).
//
// Both operands are int16 rows whose zero points were already subtracted ((x - zx) fits int16 for 8-bit x),
// padded with zeros to a multiple of kQuantKAlign, so every product is exact and the int32 sums cannot
// overflow while k <= kMaxQuantReduction.
#pragma once

#include <cstdint>

#include "kernels/s16-gemm/s16-gemm.h"

namespace edgerun {

constexpr int64_t kQuantKAlign = 8;

inline int64_t quant_k_pad(int64_t k) { return (k + kQuantKAlign - 1) / kQuantKAlign * kQuantKAlign; }

// out[i * ldo + j] = sum_k x[i * k_pad + k] * y[j * k_pad + k]   for i < rows, j < cols.
// x: [rows, k_pad], y: [cols, k_pad].
inline void qgemm_s16_dot(int64_t rows, int64_t cols, int64_t k_pad, const int16_t* x, const int16_t* y, int32_t* out,
                          int64_t ldo) {
  kernels::s16_gemm_dot(rows, cols, k_pad, x, y, out, ldo);
}

}  // namespace edgerun
