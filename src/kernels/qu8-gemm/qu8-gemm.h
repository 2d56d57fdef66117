// qu8-gemm: exact integer GEMM of unsigned 8-bit activations by signed 8-bit weights, 4 products per 32-bit lane
// (x86 AVX-512 VNNI vpdpbusd), for the quantized convolutions (ops/quant_conv.cpp):
//
//   C[m][p] = sum_k (x[k][p] - zx) * (w[m][k] - zw[m])                                  (int32)
//           = S[m][p] - zx' * RowSum[m] + coef[m] * (ColSum[p] - Kp * zx')             (modulo 2^32, exact)
//
// with S = sum_k x_u8 * w_s8 over the packed operands: activations as u8 (int8 inputs shifted by 128, and the zero
// point zx' with them), weights as s8 (uint8 weights shifted by -128: coef[m] = 128 - zw[m]; int8 weights:
// coef[m] = -zw[m]). K is padded to Kp (a multiple of 4) with weight 0 and activation zx', which adds nothing.
// Intermediate sums may wrap; the result is the exact int32 value whenever that fits (K <= kMaxQuantReduction).
//
// Layouts: weights packed once into panels of 12 rows, [Kp/4][12][4] bytes each (rows past M zero); activations
// packed per tile of PT pixels as [Kp/4][PT][4] bytes (the four k of a pixel in one 32-bit lane).
#pragma once

#include <cstdint>
#include <vector>

namespace edgerun::kernels {

inline constexpr int kQu8Mr = 12;   // rows per weight panel
inline constexpr int kQu8Nr = 32;   // pixels per micro-tile
inline constexpr int64_t kQu8KAlign = 4;

inline int64_t qu8_k_pad(int64_t k) { return (k + kQu8KAlign - 1) / kQu8KAlign * kQu8KAlign; }

// Whether the running CPU has a qu8-gemm kernel (AVX-512 VNNI); otherwise callers keep their own path.
bool qu8_gemm_available();

struct Qu8PackedWeights {
  int64_t m = 0, kp = 0;
  std::vector<int8_t> data;      // ceil(m / 12) panels of [kp / 4][12][4]
  std::vector<int32_t> row_sum;  // [m] sum_k w_s8
};

// w: [m][k] bytes (int8, or uint8 when w_unsigned: stored shifted to s8) with row stride ldw.
Qu8PackedWeights qu8_pack_weights(const uint8_t* w, int64_t m, int64_t k, int64_t ldw, bool w_unsigned);

// The per-row and per-pixel correction terms of one product (see above), read by the tile kernel.
struct Qu8Corrections {
  const int32_t* row_term = nullptr;  // [m] zx' * RowSum[m]
  const int32_t* row_coef = nullptr;  // [m] coef[m]
  const int32_t* col_term = nullptr;  // [pt] ColSum[p] - Kp * zx'
};

// ColSum of packed activations b ([kp / 4][pt][4]) into col_sum[pt].
void qu8_column_sums(const uint8_t* b, int64_t kp, int64_t pt, int32_t* col_sum);

// C[m0 .. m0 + rows)[0 .. pt) = the corrected product of weight rows [m0, m0 + rows) (m0 a multiple of 12) and the
// packed activation tile b; c has row stride ldc; corrections indexed from row m0 and pixel 0.
void qu8_gemm(const Qu8PackedWeights& w, int64_t m0, int64_t rows, const uint8_t* b, int64_t pt, int32_t* c,
              int64_t ldc, const Qu8Corrections& corr);

// Per-ISA entry points (qu8-gemm-<isa>.cpp).
void qu8_gemm_tile__avx512vnni(int64_t kp4, const int8_t* a, const uint8_t* b, int64_t ldb, int32_t* c, int64_t ldc,
                               int m_eff, int n_eff, const int32_t* row_term, const int32_t* row_coef,
                               const int32_t* col_term);
void qu8_column_sums__avx512vnni(const uint8_t* b, int64_t kp, int64_t pt, int32_t* col_sum);

}  // namespace edgerun::kernels
