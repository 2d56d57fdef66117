// The integer dot-product GEMM under the quantized conv / matmul reference kernels.
//
// Both operands are int16 rows whose zero points were already subtracted ((x - zx) fits int16 for 8-bit x),
// padded with zeros to a multiple of kQuantKAlign, so every product is exact and the int32 sums cannot
// overflow while k <= kMaxQuantReduction. Row-dot-row form lets the compiler use int16 multiply-add
// (pmaddwd) at the baseline ISA; a 4x2 register block reuses each loaded row.
#pragma once

#include <cstdint>

namespace edgerun {

constexpr int64_t kQuantKAlign = 8;

inline int64_t quant_k_pad(int64_t k) { return (k + kQuantKAlign - 1) / kQuantKAlign * kQuantKAlign; }

// out[i * ldo + j] = sum_k x[i * k_pad + k] * y[j * k_pad + k]   for i < rows, j < cols.
// x: [rows, k_pad], y: [cols, k_pad].
void qgemm_s16_dot(int64_t rows, int64_t cols, int64_t k_pad, const int16_t* x, const int16_t* y, int32_t* out,
                   int64_t ldo);

}  // namespace edgerun
