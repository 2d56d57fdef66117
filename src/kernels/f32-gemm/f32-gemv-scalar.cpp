// f32-gemv-scalar: the matrix-vector products on packed panels, plain loops (any mr / nr).
#include "kernels/f32-gemm/f32-gemm.h"

namespace edgerun::kernels {

void f32_gemv_lhs__scalar(int64_t len, int mr, const float* a, const float* bx, float* out) {
  for (int r = 0; r < mr; ++r) out[r] = 0.0f;
  for (int64_t j = 0; j < len; j += mr)
    for (int r = 0; r < mr; ++r) out[r] += a[j + r] * bx[j + r];
}

void f32_gemv_rhs__scalar(int64_t k, int nr, const float* a, const float* b, float* out) {
  for (int j = 0; j < nr; ++j) out[j] = 0.0f;
  for (int64_t p = 0; p < k; ++p) {
    const float ap = a[p];
    for (int j = 0; j < nr; ++j) out[j] += ap * b[p * nr + j];
  }
}

}  // namespace edgerun::kernels
