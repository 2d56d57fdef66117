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
  const int32_t* row_coef = nullptr;  // [m] coef[m]; nullptr when every coef is 0 (int8 weights, zero point 0):
                                      // then col_term is not read and need not be computed
  const int32_t* col_term = nullptr;  // [pt] ColSum[p] - Kp * zx'
};

// Optional requantization in the tile's store phase (QLinearConv): y = saturate(round_half_even(float(wrap32(C +
// bias[m])) * mult[m]) + zp) into [lo, hi], stored as the value's low byte, exactly as qu8-quantize's requantize.
struct Qu8Requant {
  const int32_t* bias = nullptr;  // [m] or nullptr
  const float* mult = nullptr;    // [m]
  int32_t zp = 0, lo = 0, hi = 255;
};

// Packs n pixels of four byte rows into 32-bit lanes: dst[i] = r0[i] | r1[i] << 8 | r2[i] << 16 | r3[i] << 24, each
// byte XORed with flip (0x80 reads int8 data as uint8 + 128).
void qu8_interleave4(const uint8_t* r0, const uint8_t* r1, const uint8_t* r2, const uint8_t* r3, int64_t n,
                     uint8_t flip, uint32_t* dst);

// ColSum of packed activations b ([kp / 4][pt][4]) into col_sum[pt].
void qu8_column_sums(const uint8_t* b, int64_t kp, int64_t pt, int32_t* col_sum);

// C[m0 .. m0 + rows)[0 .. pt) = the corrected product of weight rows [m0, m0 + rows) (m0 a multiple of 12) and the
// packed activation tile b; c has row stride ldc; corrections indexed from row m0 and pixel 0.
void qu8_gemm(const Qu8PackedWeights& w, int64_t m0, int64_t rows, const uint8_t* b, int64_t pt, int32_t* c,
              int64_t ldc, const Qu8Corrections& corr);

// The same product requantized to bytes: y[m0 .. m0 + rows)[0 .. pt) with row stride ldy; bias and mult indexed
// from row m0.
void qu8_gemm_requant(const Qu8PackedWeights& w, int64_t m0, int64_t rows, const uint8_t* b, int64_t pt, uint8_t* y,
                      int64_t ldy, const Qu8Corrections& corr, const Qu8Requant& rq);

// Per-ISA entry points (qu8-gemm-<isa>.cpp). c is int32_t* (rq == nullptr) or uint8_t* (requantized).
void qu8_gemm_tile__avx512vnni(int64_t kp4, const int8_t* a, const uint8_t* b, int64_t ldb, void* c, int64_t ldc,
                               int m_eff, int n_eff, const Qu8Corrections& corr, const Qu8Requant* rq);
void qu8_column_sums__avx512vnni(const uint8_t* b, int64_t kp, int64_t pt, int32_t* col_sum);

}  // namespace edgerun::kernels
