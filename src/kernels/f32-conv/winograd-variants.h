// Declarations of the per-ISA Winograd transform functions listed in the table (winograd.cpp).
// Named f32_winograd_<input|output>_<m>x<m>__<isa>; the -avx2 ones exist on x86-64 only,
// the -neon ones on arm64 only.
#pragma once

#include <cstdint>

namespace edgerun::kernels {

void f32_winograd_input_6x6__scalar(const float* p, float* v, int64_t vs);
void f32_winograd_output_6x6__scalar(const float* m, int64_t ms, float* out);
void f32_winograd_input_4x4__scalar(const float* p, float* v, int64_t vs);
void f32_winograd_output_4x4__scalar(const float* m, int64_t ms, float* out);

#if defined(__x86_64__) || defined(_M_X64)
void f32_winograd_input_6x6__avx2(const float* p, float* v, int64_t vs);
void f32_winograd_output_6x6__avx2(const float* m, int64_t ms, float* out);
void f32_winograd_input_4x4__avx2(const float* p, float* v, int64_t vs);
void f32_winograd_output_4x4__avx2(const float* m, int64_t ms, float* out);
#endif

#if defined(__aarch64__)
void f32_winograd_input_6x6__neon(const float* p, float* v, int64_t vs);
void f32_winograd_output_6x6__neon(const float* m, int64_t ms, float* out);
void f32_winograd_input_4x4__neon(const float* p, float* v, int64_t vs);
void f32_winograd_output_4x4__neon(const float* m, int64_t ms, float* out);
#endif

}  // namespace edgerun::kernels
