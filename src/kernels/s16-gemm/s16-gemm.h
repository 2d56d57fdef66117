// s16-gemm: the integer dot-product GEMM of the quantized reference paths (ops/quant_gemm.h: QLinearMatMul /
// MatMulInteger, and QLinearConv / ConvInteger where no qu8-gemm kernel exists, e.g. AVX2-only x86 and arm64):
//
//   out[i * ldo + j] = sum_k x[i * k_pad + k] * y[j * k_pad + k]      i < rows, j < cols      (int32)
//
// Both operands are int16 rows with their zero points already subtracted, zero-padded to k_pad (a multiple of 8).
// Every product and sum is exact for 8-bit data while k_pad <= kMaxQuantReduction, so every variant gives the same
// result. Variants (s16-gemm-<isa>.cpp): -scalar (plain loops, register blocks of 4 x 2), -avx2 (vpmaddwd over
// 16 k per instruction, blocks of 4 rows x 2 columns or 1 row x 4 columns), picked once from the CPU features.
#pragma once

#include <cstdint>
#include <span>

namespace edgerun::kernels {

using S16DotFn = void (*)(int64_t rows, int64_t cols, int64_t k_pad, const int16_t* x, const int16_t* y, int32_t* out,
                          int64_t ldo);

struct S16GemmVariant {
  const char* name;      // s16-gemm-<isa>
  bool (*supported)();   // from cpu_features()
  S16DotFn dot;
};

// Every variant built into this binary, best first (the last, -scalar, is always supported).
std::span<const S16GemmVariant> s16_gemm_variants();
// Through the best variant the CPU supports (chosen once).
void s16_gemm_dot(int64_t rows, int64_t cols, int64_t k_pad, const int16_t* x, const int16_t* y, int32_t* out,
                  int64_t ldo);
const char* s16_gemm_name();

void s16_gemm_dot__scalar(int64_t rows, int64_t cols, int64_t k_pad, const int16_t* x, const int16_t* y, int32_t* out,
                          int64_t ldo);
#if defined(__x86_64__)
void s16_gemm_dot__avx2(int64_t rows, int64_t cols, int64_t k_pad, const int16_t* x, const int16_t* y, int32_t* out,
                        int64_t ldo);
#endif

}  // namespace edgerun::kernels
