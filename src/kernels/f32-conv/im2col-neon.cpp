// im2col's stride-2 row gather with NEON: vld2q de-interleaves 8 inputs into even and odd lanes; the tail
// scalar, so nothing past src[2(n-1)] is read.
#include <arm_neon.h>

#include "kernels/f32-conv/im2col.h"

namespace edgerun::kernels {

void gather_s2_f32__neon(const float* src, float* dst, int64_t n) {
  int64_t i = 0;
  for (; 2 * i + 7 <= 2 * (n - 1); i += 4) vst1q_f32(dst + i, vld2q_f32(src + 2 * i).val[0]);
  for (; i < n; ++i) dst[i] = src[2 * i];
}

}  // namespace edgerun::kernels
