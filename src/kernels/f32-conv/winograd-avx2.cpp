// AVX2/FMA Winograd transforms: one __m256 = the same position of 8 tiles.
#include <immintrin.h>

#include "kernels/f32-conv/winograd-variants.h"
#include "kernels/f32-conv/winograd_transform.h"

namespace edgerun::kernels {
namespace {

struct Avx2Ops {
  using V = __m256;
  static V zero() { return _mm256_setzero_ps(); }
  static V set1(float c) { return _mm256_set1_ps(c); }
  static V load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, V a) { _mm256_storeu_ps(p, a); }
  static V add(V a, V b) { return _mm256_add_ps(a, b); }
  static V sub(V a, V b) { return _mm256_sub_ps(a, b); }
  static V mul(V a, V b) { return _mm256_mul_ps(a, b); }
  static V fmadd(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
};

}  // namespace

void f32_winograd_input_6x6__avx2(const float* p, float* v, int64_t vs) {
  winograd::input_transform<Avx2Ops, winograd::F6>(p, v, vs);
}
void f32_winograd_output_6x6__avx2(const float* m, int64_t ms, float* out) {
  winograd::output_transform<Avx2Ops, winograd::F6>(m, ms, out);
}
void f32_winograd_input_4x4__avx2(const float* p, float* v, int64_t vs) {
  winograd::input_transform<Avx2Ops, winograd::F4>(p, v, vs);
}
void f32_winograd_output_4x4__avx2(const float* m, int64_t ms, float* out) {
  winograd::output_transform<Avx2Ops, winograd::F4>(m, ms, out);
}

}  // namespace edgerun::kernels
