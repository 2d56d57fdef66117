// The f32-vmath variant table: dispatch (vmath.cpp) and the kernel tests iterate this one list.
#pragma once

#include <cstdint>
#include <span>

#include "kernels/epilogue.h"

namespace edgerun::kernels {

using VmathUnaryFn = void (*)(const float* x, float* y, int64_t n);
using VmathActFn = void (*)(const Activation& act, const float* x, float* y, int64_t n);
using VmathSumFn = float (*)(const float* x, int64_t n);
// y = softmax(x) over n elements: exp(x - max) through the variant's exp, summed in the variant's sum order, times
// 1 / sum. Returns false with y untouched when an element is NaN or the maximum is infinite (callers then take
// the reference loop, which keeps exp(inf - inf) semantics).
using VmathSoftmaxFn = bool (*)(const float* x, float* y, int64_t n);

struct VmathVariant {
  const char* name;      // f32-vmath-<isa>
  bool (*supported)();   // from cpu_features()
  VmathUnaryFn exp, sigmoid, tanh, erf;
  VmathActFn activation;
  VmathSumFn sum;
  VmathSoftmaxFn softmax;
};

// Every variant built into this binary, best first (the last, -scalar, is always supported).
std::span<const VmathVariant> vmath_variants();
// The first supported variant, chosen once.
const VmathVariant& vmath_selected();

// Per-ISA entry points (vmath-<isa>.cpp).
void exp_f32__scalar(const float* x, float* y, int64_t n);
void sigmoid_f32__scalar(const float* x, float* y, int64_t n);
void tanh_f32__scalar(const float* x, float* y, int64_t n);
void erf_f32__scalar(const float* x, float* y, int64_t n);
void activation_f32__scalar(const Activation& act, const float* x, float* y, int64_t n);
float sum_f32__scalar(const float* x, int64_t n);
bool softmax_f32__scalar(const float* x, float* y, int64_t n);
#if defined(__x86_64__)
void exp_f32__avx512(const float* x, float* y, int64_t n);
void sigmoid_f32__avx512(const float* x, float* y, int64_t n);
void tanh_f32__avx512(const float* x, float* y, int64_t n);
void erf_f32__avx512(const float* x, float* y, int64_t n);
void activation_f32__avx512(const Activation& act, const float* x, float* y, int64_t n);
void exp_f32__avx2(const float* x, float* y, int64_t n);
void sigmoid_f32__avx2(const float* x, float* y, int64_t n);
void tanh_f32__avx2(const float* x, float* y, int64_t n);
void erf_f32__avx2(const float* x, float* y, int64_t n);
void activation_f32__avx2(const Activation& act, const float* x, float* y, int64_t n);
float sum_f32__avx2(const float* x, int64_t n);
bool softmax_f32__avx2(const float* x, float* y, int64_t n);
bool softmax_f32__avx512(const float* x, float* y, int64_t n);
#endif
#if defined(__aarch64__)
void exp_f32__neon(const float* x, float* y, int64_t n);
void sigmoid_f32__neon(const float* x, float* y, int64_t n);
void tanh_f32__neon(const float* x, float* y, int64_t n);
void erf_f32__neon(const float* x, float* y, int64_t n);
void activation_f32__neon(const Activation& act, const float* x, float* y, int64_t n);
float sum_f32__neon(const float* x, int64_t n);
bool softmax_f32__neon(const float* x, float* y, int64_t n);
#endif

}  // namespace edgerun::kernels
