// Vectorized float math for epilogues and element-wise ops: exp, sigmoid, tanh, erf-GELU, and the
// fused activations of kernels/epilogue.h over arrays. Each has -scalar and -avx2 variants chosen once
// from the CPU features; all stay within a few ulp of the libm-based reference (activation_ref).
#pragma once

#include <cstdint>

#include "kernels/epilogue.h"

namespace edgerun::kernels {

// y[i] = act(x[i]); y may equal x.
void activation_f32(const Activation& act, const float* x, float* y, int64_t n);

void exp_f32(const float* x, float* y, int64_t n);
void sigmoid_f32(const float* x, float* y, int64_t n);
void tanh_f32(const float* x, float* y, int64_t n);
void erf_f32(const float* x, float* y, int64_t n);

// Sum of x[0..n) in float with 8+ partial sums (order differs from a sequential sum; deterministic).
float sum_f32(const float* x, int64_t n);

// y = softmax(x[0..n)) (y may equal x); false with y untouched when an element is NaN or the maximum is infinite.
bool softmax_f32(const float* x, float* y, int64_t n);

// Name of the selected variant ("f32-vmath-avx2" or "f32-vmath-scalar").
const char* vmath_name();

}  // namespace edgerun::kernels
