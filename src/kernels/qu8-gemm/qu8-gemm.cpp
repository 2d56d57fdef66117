#include "kernels/qu8-gemm/qu8-gemm.h"

#include <algorithm>

#include "core/cpu_features.h"

namespace edgerun::kernels {

bool qu8_gemm_available() {
#if defined(__x86_64__)
  return cpu_features().avx512vnni;
#else
  return false;
#endif
}

Qu8PackedWeights qu8_pack_weights(const uint8_t* w, int64_t m, int64_t k, int64_t ldw, bool w_unsigned) {
  Qu8PackedWeights p;
  p.m = m;
  p.kp = qu8_k_pad(k);
  const int64_t panels = (m + kQu8Mr - 1) / kQu8Mr;
  p.data.assign(static_cast<size_t>(panels * p.kp * kQu8Mr), 0);
  p.row_sum.assign(static_cast<size_t>(m), 0);
  for (int64_t r = 0; r < m; ++r) {
    int8_t* panel = p.data.data() + (r / kQu8Mr) * p.kp * kQu8Mr;
    const int64_t lane = r % kQu8Mr;
    int32_t sum = 0;
    for (int64_t kk = 0; kk < k; ++kk) {
      const int v = w_unsigned ? static_cast<int>(w[r * ldw + kk]) - 128 : static_cast<int>(static_cast<int8_t>(w[r * ldw + kk]));
      panel[(kk / 4) * kQu8Mr * 4 + lane * 4 + kk % 4] = static_cast<int8_t>(v);
      sum += v;
    }
    p.row_sum[static_cast<size_t>(r)] = sum;
  }
  return p;
}

void qu8_column_sums(const uint8_t* b, int64_t kp, int64_t pt, int32_t* col_sum) {
#if defined(__x86_64__)
  if (cpu_features().avx512vnni) return qu8_column_sums__avx512vnni(b, kp, pt, col_sum);
#endif
  for (int64_t p = 0; p < pt; ++p) col_sum[p] = 0;
  for (int64_t k4 = 0; k4 < kp / 4; ++k4)
    for (int64_t p = 0; p < pt; ++p)
      for (int q = 0; q < 4; ++q) col_sum[p] += b[(k4 * pt + p) * 4 + q];
}

void qu8_gemm(const Qu8PackedWeights& w, int64_t m0, int64_t rows, const uint8_t* b, int64_t pt, int32_t* c,
              int64_t ldc, const Qu8Corrections& corr) {
  const int64_t kp4 = w.kp / 4, ldb = pt * 4;
  for (int64_t r0 = 0; r0 < rows; r0 += kQu8Mr) {
    const int8_t* a = w.data.data() + ((m0 + r0) / kQu8Mr) * w.kp * kQu8Mr;
    const int m_eff = static_cast<int>(std::min<int64_t>(kQu8Mr, rows - r0));
    for (int64_t j = 0; j < pt; j += kQu8Nr) {
      const int n_eff = static_cast<int>(std::min<int64_t>(kQu8Nr, pt - j));
#if defined(__x86_64__)
      qu8_gemm_tile__avx512vnni(kp4, a, b + j * 4, ldb, c + r0 * ldc + j, ldc, m_eff, n_eff, corr.row_term + r0,
                                corr.row_coef + r0, corr.col_term + j);
#else
      (void)a, (void)m_eff, (void)n_eff, (void)kp4, (void)ldb, (void)corr, (void)c, (void)b;
#endif
    }
  }
}

}  // namespace edgerun::kernels
