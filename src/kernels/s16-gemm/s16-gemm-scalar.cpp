// s16-gemm-scalar: plain loops (the compiler may vectorize them at the baseline ISA; NEON on arm64), a 4 x 2 register
// block reusing each loaded row.
#include "kernels/s16-gemm/s16-gemm.h"

namespace edgerun::kernels {
namespace {

inline int32_t dot1(const int16_t* a, const int16_t* b, int64_t k) {
  int32_t s = 0;
  for (int64_t i = 0; i < k; ++i) s += static_cast<int32_t>(a[i]) * b[i];
  return s;
}

// One row of x against two rows of y.
inline void dot_1x2(const int16_t* x0, const int16_t* y0, const int16_t* y1, int64_t k, int32_t* o) {
  int32_t s0 = 0, s1 = 0;
  for (int64_t i = 0; i < k; ++i) {
    int32_t a = x0[i];
    s0 += a * y0[i];
    s1 += a * y1[i];
  }
  o[0] = s0;
  o[1] = s1;
}

}  // namespace

void s16_gemm_dot__scalar(int64_t rows, int64_t cols, int64_t k_pad, const int16_t* x, const int16_t* y, int32_t* out,
                          int64_t ldo) {
  int64_t i = 0;
  for (; i + 4 <= rows; i += 4) {
    const int16_t* x0 = x + i * k_pad;
    const int16_t* x1 = x0 + k_pad;
    const int16_t* x2 = x1 + k_pad;
    const int16_t* x3 = x2 + k_pad;
    int32_t* o = out + i * ldo;
    int64_t j = 0;
    for (; j + 2 <= cols; j += 2) {
      const int16_t* y0 = y + j * k_pad;
      const int16_t* y1 = y0 + k_pad;
      int32_t s00 = 0, s01 = 0, s10 = 0, s11 = 0, s20 = 0, s21 = 0, s30 = 0, s31 = 0;
      for (int64_t k = 0; k < k_pad; ++k) {
        int32_t b0 = y0[k], b1 = y1[k];
        s00 += x0[k] * b0;
        s01 += x0[k] * b1;
        s10 += x1[k] * b0;
        s11 += x1[k] * b1;
        s20 += x2[k] * b0;
        s21 += x2[k] * b1;
        s30 += x3[k] * b0;
        s31 += x3[k] * b1;
      }
      o[j] = s00;
      o[j + 1] = s01;
      o[ldo + j] = s10;
      o[ldo + j + 1] = s11;
      o[2 * ldo + j] = s20;
      o[2 * ldo + j + 1] = s21;
      o[3 * ldo + j] = s30;
      o[3 * ldo + j + 1] = s31;
    }
    if (j < cols) {
      const int16_t* y0 = y + j * k_pad;
      o[j] = dot1(x0, y0, k_pad);
      o[ldo + j] = dot1(x1, y0, k_pad);
      o[2 * ldo + j] = dot1(x2, y0, k_pad);
      o[3 * ldo + j] = dot1(x3, y0, k_pad);
    }
  }
  for (; i < rows; ++i) {
    const int16_t* x0 = x + i * k_pad;
    int32_t* o = out + i * ldo;
    int64_t j = 0;
    for (; j + 2 <= cols; j += 2) dot_1x2(x0, y + j * k_pad, y + (j + 1) * k_pad, k_pad, o + j);
    if (j < cols) o[j] = dot1(x0, y + j * k_pad, k_pad);
  }
}

}  // namespace edgerun::kernels
