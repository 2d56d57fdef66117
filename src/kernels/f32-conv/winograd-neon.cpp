// NEON Winograd transforms: one value = the same position of 8 tiles, held in two q registers.
#include <arm_neon.h>

#include "kernels/f32-conv/winograd-variants.h"
#include "kernels/f32-conv/winograd_transform.h"

namespace edgerun::kernels {
namespace {

struct NeonOps {
  struct V {
    float32x4_t lo, hi;  // tiles 0-3, 4-7
  };
  static V zero() { return {vdupq_n_f32(0.0f), vdupq_n_f32(0.0f)}; }
  static V set1(float c) { return {vdupq_n_f32(c), vdupq_n_f32(c)}; }
  static V load(const float* p) { return {vld1q_f32(p), vld1q_f32(p + 4)}; }
  static void store(float* p, V a) {
    vst1q_f32(p, a.lo);
    vst1q_f32(p + 4, a.hi);
  }
  static V add(V a, V b) { return {vaddq_f32(a.lo, b.lo), vaddq_f32(a.hi, b.hi)}; }
  static V sub(V a, V b) { return {vsubq_f32(a.lo, b.lo), vsubq_f32(a.hi, b.hi)}; }
  static V mul(V a, V b) { return {vmulq_f32(a.lo, b.lo), vmulq_f32(a.hi, b.hi)}; }
  static V fmadd(V a, V b, V c) { return {vfmaq_f32(c.lo, a.lo, b.lo), vfmaq_f32(c.hi, a.hi, b.hi)}; }
};

}  // namespace

void f32_winograd_input_6x6__neon(const float* x, const WinogradTiles& t, float* v, int64_t vs) {
  winograd::input_gather<NeonOps, winograd::F6>(x, t, v, vs);
}
void f32_winograd_output_6x6__neon(const float* m, int64_t ms, const WinogradTiles& t, const WinogradStore& s) {
  winograd::output_scatter<NeonOps, winograd::F6>(m, ms, t, s);
}
void f32_winograd_input_4x4__neon(const float* x, const WinogradTiles& t, float* v, int64_t vs) {
  winograd::input_gather<NeonOps, winograd::F4>(x, t, v, vs);
}
void f32_winograd_output_4x4__neon(const float* m, int64_t ms, const WinogradTiles& t, const WinogradStore& s) {
  winograd::output_scatter<NeonOps, winograd::F4>(m, ms, t, s);
}

void f32_winograd_input_2x2__neon(const float* x, const WinogradTiles& t, float* v, int64_t vs) {
  winograd::input_gather<NeonOps, winograd::F2>(x, t, v, vs);
}
void f32_winograd_output_2x2__neon(const float* m, int64_t ms, const WinogradTiles& t, const WinogradStore& s) {
  winograd::output_scatter<NeonOps, winograd::F2>(m, ms, t, s);
}

}  // namespace edgerun::kernels
