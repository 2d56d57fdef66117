#include "kernels/qu8-gemm/qu8-gemm.h"

#include <algorithm>

#if defined(__x86_64__)
#include <emmintrin.h>
#endif

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

// SSE2 (the x86-64 baseline): byte then 16-bit unpacks turn 16 pixels of 4 rows into 16 lanes of 4 bytes.
void qu8_interleave4(const uint8_t* r0, const uint8_t* r1, const uint8_t* r2, const uint8_t* r3, int64_t n,
                     uint8_t flip, uint32_t* dst) {
  int64_t i = 0;
#if defined(__x86_64__)
  const __m128i f = _mm_set1_epi8(static_cast<char>(flip));
  auto ld = [&](const uint8_t* r) { return _mm_xor_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(r + i)), f); };
  for (; i + 16 <= n; i += 16) {
    const __m128i a = ld(r0), b = ld(r1), c = ld(r2), d = ld(r3);
    const __m128i ab_lo = _mm_unpacklo_epi8(a, b), ab_hi = _mm_unpackhi_epi8(a, b);
    const __m128i cd_lo = _mm_unpacklo_epi8(c, d), cd_hi = _mm_unpackhi_epi8(c, d);
    __m128i* o = reinterpret_cast<__m128i*>(dst + i);
    _mm_storeu_si128(o, _mm_unpacklo_epi16(ab_lo, cd_lo));
    _mm_storeu_si128(o + 1, _mm_unpackhi_epi16(ab_lo, cd_lo));
    _mm_storeu_si128(o + 2, _mm_unpacklo_epi16(ab_hi, cd_hi));
    _mm_storeu_si128(o + 3, _mm_unpackhi_epi16(ab_hi, cd_hi));
  }
#endif
  for (; i < n; ++i)
    dst[i] = static_cast<uint32_t>(r0[i] ^ flip) | static_cast<uint32_t>(r1[i] ^ flip) << 8 |
             static_cast<uint32_t>(r2[i] ^ flip) << 16 | static_cast<uint32_t>(r3[i] ^ flip) << 24;
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

namespace {

void gemm_tiles(const Qu8PackedWeights& w, int64_t m0, int64_t rows, const uint8_t* b, int64_t pt, void* c,
                int64_t ldc, size_t elem, const Qu8Corrections& corr, const Qu8Requant* rq) {
  const int64_t kp4 = w.kp / 4, ldb = pt * 4;
  for (int64_t r0 = 0; r0 < rows; r0 += kQu8Mr) {
    const int8_t* a = w.data.data() + ((m0 + r0) / kQu8Mr) * w.kp * kQu8Mr;
    const int m_eff = static_cast<int>(std::min<int64_t>(kQu8Mr, rows - r0));
    Qu8Corrections cr = corr;
    cr.row_term += r0;
    if (cr.row_coef) cr.row_coef += r0;
    Qu8Requant rr;
    if (rq) {
      rr = *rq;
      if (rr.bias) rr.bias += r0;
      rr.mult += r0;
    }
    for (int64_t j = 0; j < pt; j += kQu8Nr) {
      const int n_eff = static_cast<int>(std::min<int64_t>(kQu8Nr, pt - j));
      Qu8Corrections cj = cr;
      if (cj.row_coef) cj.col_term += j;
      void* cp = static_cast<char*>(c) + static_cast<size_t>(r0 * ldc + j) * elem;
#if defined(__x86_64__)
      qu8_gemm_tile__avx512vnni(kp4, a, b + j * 4, ldb, cp, ldc, m_eff, n_eff, cj, rq ? &rr : nullptr);
#else
      (void)a, (void)m_eff, (void)n_eff, (void)kp4, (void)ldb, (void)cj, (void)cp, (void)b;
#endif
    }
  }
}

}  // namespace

void qu8_gemm(const Qu8PackedWeights& w, int64_t m0, int64_t rows, const uint8_t* b, int64_t pt, int32_t* c,
              int64_t ldc, const Qu8Corrections& corr) {
  gemm_tiles(w, m0, rows, b, pt, c, ldc, sizeof(int32_t), corr, nullptr);
}

void qu8_gemm_requant(const Qu8PackedWeights& w, int64_t m0, int64_t rows, const uint8_t* b, int64_t pt, uint8_t* y,
                      int64_t ldy, const Qu8Corrections& corr, const Qu8Requant& rq) {
  gemm_tiles(w, m0, rows, b, pt, y, ldy, 1, corr, &rq);
}

}  // namespace edgerun::kernels
