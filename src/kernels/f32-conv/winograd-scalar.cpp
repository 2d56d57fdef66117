// Portable Winograd transforms (8 lanes as plain float loops).
#include "kernels/f32-conv/winograd-variants.h"
#include "kernels/f32-conv/winograd_transform.h"

namespace edgerun::kernels {
namespace {

struct ScalarOps {
  struct V {
    float v[8];
  };
  static V zero() { return V{}; }
  static V set1(float c) {
    V r;
    for (float& x : r.v) x = c;
    return r;
  }
  static V load(const float* p) {
    V r;
    for (int i = 0; i < 8; ++i) r.v[i] = p[i];
    return r;
  }
  static void store(float* p, const V& a) {
    for (int i = 0; i < 8; ++i) p[i] = a.v[i];
  }
  static V add(const V& a, const V& b) {
    V r;
    for (int i = 0; i < 8; ++i) r.v[i] = a.v[i] + b.v[i];
    return r;
  }
  static V sub(const V& a, const V& b) {
    V r;
    for (int i = 0; i < 8; ++i) r.v[i] = a.v[i] - b.v[i];
    return r;
  }
  static V mul(const V& a, const V& b) {
    V r;
    for (int i = 0; i < 8; ++i) r.v[i] = a.v[i] * b.v[i];
    return r;
  }
  static V fmadd(const V& a, const V& b, const V& c) {
    V r;
    for (int i = 0; i < 8; ++i) r.v[i] = a.v[i] * b.v[i] + c.v[i];
    return r;
  }
};

}  // namespace

void f32_winograd_input_6x6__scalar(const float* x, const WinogradTiles& t, float* v, int64_t vs) {
  winograd::input_gather<ScalarOps, winograd::F6>(x, t, v, vs);
}
void f32_winograd_output_6x6__scalar(const float* m, int64_t ms, const WinogradTiles& t, const WinogradStore& s) {
  winograd::output_scatter<ScalarOps, winograd::F6>(m, ms, t, s);
}
void f32_winograd_input_4x4__scalar(const float* x, const WinogradTiles& t, float* v, int64_t vs) {
  winograd::input_gather<ScalarOps, winograd::F4>(x, t, v, vs);
}
void f32_winograd_output_4x4__scalar(const float* m, int64_t ms, const WinogradTiles& t, const WinogradStore& s) {
  winograd::output_scatter<ScalarOps, winograd::F4>(m, ms, t, s);
}

void f32_winograd_input_2x2__scalar(const float* x, const WinogradTiles& t, float* v, int64_t vs) {
  winograd::input_gather<ScalarOps, winograd::F2>(x, t, v, vs);
}
void f32_winograd_output_2x2__scalar(const float* m, int64_t ms, const WinogradTiles& t, const WinogradStore& s) {
  winograd::output_scatter<ScalarOps, winograd::F2>(m, ms, t, s);
}

}  // namespace edgerun::kernels
