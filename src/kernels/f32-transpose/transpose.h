// f32-transpose: dst[c][r] = src[r][c] (+ add[c][r]) for a rows x cols block, the way back from a GEMM computed
// with output pixels as rows (narrow feature maps, ops/conv_fast.cpp) into NCHW planes, with the conv's residual
// added on the way. Per-ISA variants (transpose-<isa>.cpp), the best the CPU supports picked once; every variant
// gives the same bits (one addition per element).
#pragma once

#include <cstdint>
#include <span>

namespace edgerun::kernels {

// src: rows x cols, leading dimension ld_src; dst: cols x rows, leading dimension ld_dst; add: nullptr or
// cols x rows like dst (leading dimension ld_add). dst may not overlap src or add.
using TransposeFn = void (*)(const float* src, int64_t rows, int64_t cols, int64_t ld_src, float* dst,
                             int64_t ld_dst, const float* add, int64_t ld_add);

struct TransposeVariant {
  const char* name;
  bool (*supported)();
  TransposeFn fn;
};

std::span<const TransposeVariant> transpose_variants();
// Through the best variant the CPU supports.
void transpose_f32(const float* src, int64_t rows, int64_t cols, int64_t ld_src, float* dst, int64_t ld_dst,
                   const float* add = nullptr, int64_t ld_add = 0);

void transpose_f32__scalar(const float* src, int64_t rows, int64_t cols, int64_t ld_src, float* dst, int64_t ld_dst,
                           const float* add, int64_t ld_add);
void transpose_f32__avx512(const float* src, int64_t rows, int64_t cols, int64_t ld_src, float* dst, int64_t ld_dst,
                           const float* add, int64_t ld_add);

}  // namespace edgerun::kernels
