// PLACEHOLDER (naive) implementation of gemm.h so that callers can be written against the API;
// replaced by the packed micro-kernel driver.
#include "kernels/f32-gemm/gemm.h"

namespace edgerun::kernels {

const GemmUkernel* default_gemm_ukernel() { return nullptr; }

PackedLhs pack_lhs(const float* a, int64_t m, int64_t k, int64_t lda, const GemmUkernel* uk) {
  PackedLhs p;
  p.uk = uk;
  p.m = m;
  p.k = k;
  p.data.resize(static_cast<size_t>(m * k));
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < k; ++j) p.data[static_cast<size_t>(i * k + j)] = a[i * lda + j];
  return p;
}

PackedRhs pack_rhs(const float* b, int64_t k, int64_t n, int64_t ldb, bool transposed, const GemmUkernel* uk) {
  PackedRhs p;
  p.uk = uk;
  p.k = k;
  p.n = n;
  p.data.resize(static_cast<size_t>(k * n));
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = 0; j < n; ++j) p.data[static_cast<size_t>(i * n + j)] = transposed ? b[j * ldb + i] : b[i * ldb + j];
  return p;
}

void gemm(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, bool trans_a, const float* b, int64_t ldb,
          bool trans_b, float* c, int64_t ldc, const Epilogue& ep, ThreadPool* pool, const GemmUkernel* uk) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      float acc = 0.0f;
      for (int64_t p = 0; p < k; ++p)
        acc += (trans_a ? a[p * lda + i] : a[i * lda + p]) * (trans_b ? b[j * ldb + p] : b[p * ldb + j]);
      c[i * ldc + j] = acc;
    }
  apply_epilogue_ref(ep, c, ldc, 0, m, 0, n);
}

void gemm_packed_lhs(const PackedLhs& a, const float* b, int64_t n, int64_t ldb, float* c, int64_t ldc,
                     const Epilogue& ep, ThreadPool* pool) {
  gemm(a.m, n, a.k, a.data.data(), a.k, false, b, ldb, false, c, ldc, ep, pool);
}

void gemm_packed_rhs(const float* a, int64_t m, int64_t lda, const PackedRhs& b, float* c, int64_t ldc,
                     const Epilogue& ep, ThreadPool* pool) {
  gemm(m, b.n, b.k, a, lda, false, b.data.data(), b.n, false, c, ldc, ep, pool);
}

}  // namespace edgerun::kernels
