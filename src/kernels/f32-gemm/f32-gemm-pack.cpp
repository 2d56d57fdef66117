// Packing of GEMM operands into the micro-kernel panel layout (see f32-gemm.h).
#include <algorithm>
#include <cstring>

#include "kernels/f32-gemm/f32-gemm.h"
#include "kernels/f32-transpose/transpose.h"

namespace edgerun::kernels {

void gemm_pack_a(const float* a, int64_t lda, bool trans, int64_t i0, int64_t rows, int64_t k0, int64_t kc, int mr,
                 float* dst) {
  for (int64_t p0 = 0; p0 < rows; p0 += mr) {
    const int64_t r_eff = std::min<int64_t>(mr, rows - p0);
    float* panel = dst;  // [kc][mr]
    if (trans) {
      for (int64_t k = 0; k < kc; ++k) {
        const float* src = a + (k0 + k) * lda + i0 + p0;
        float* d = panel + k * mr;
        for (int64_t r = 0; r < r_eff; ++r) d[r] = src[r];
        for (int64_t r = r_eff; r < mr; ++r) d[r] = 0.0f;
      }
    } else {
      for (int64_t r = 0; r < r_eff; ++r) {
        const float* src = a + (i0 + p0 + r) * lda + k0;
        for (int64_t k = 0; k < kc; ++k) panel[k * mr + r] = src[k];
      }
      for (int64_t r = r_eff; r < mr; ++r)
        for (int64_t k = 0; k < kc; ++k) panel[k * mr + r] = 0.0f;
    }
    dst += kc * mr;
  }
}

void gemm_pack_b(const float* b, int64_t ldb, bool trans, int64_t k0, int64_t kc, int64_t j0, int64_t cols, int nr,
                 float* dst) {
  for (int64_t p0 = 0; p0 < cols; p0 += nr) {
    const int64_t c_eff = std::min<int64_t>(nr, cols - p0);
    float* panel = dst;  // [kc][nr]
    if (!trans) {
      for (int64_t k = 0; k < kc; ++k) {
        const float* src = b + (k0 + k) * ldb + j0 + p0;
        float* d = panel + k * nr;
        std::memcpy(d, src, static_cast<size_t>(c_eff) * sizeof(float));
        for (int64_t c = c_eff; c < nr; ++c) d[c] = 0.0f;
      }
    } else {
      // B^T rows are the panel's columns: a transpose (vectorized per ISA; resnet18's load 121 -> 108 ms with its
      // 7x7 convs' weights packed this way).
      transpose_f32(b + (j0 + p0) * ldb + k0, c_eff, kc, ldb, panel, nr);
      for (int64_t c = c_eff; c < nr; ++c)
        for (int64_t k = 0; k < kc; ++k) panel[k * nr + c] = 0.0f;
    }
    dst += kc * nr;
  }
}

}  // namespace edgerun::kernels
