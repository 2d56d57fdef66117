// f32-pool: the two passes of the separable 2-D max pool (ops/pool.cpp). Vertical: a window's input rows
// reduced element-wise into one row buffer; horizontal: out[i] = max over t < k of row[first + stride * i + t].
// Per-ISA variants (pool-<isa>.cpp), the best the CPU supports picked once. Max semantics are those of
// `best = best < v ? v : best` from best = -inf (a NaN tap is skipped unless best is already NaN), so every
// variant gives the same bits.
#pragma once

#include <cstdint>
#include <span>

namespace edgerun::kernels {

// All taps of the n outputs must lie inside `row`; variants may read up to 32 floats past the last tap
// (the caller's row buffer has that slack).
using MaxPoolRowFn = void (*)(const float* row, int64_t first, int64_t stride, int64_t k, float* out, int64_t n);

// out[j] = max over r < count of x[r * ld + j], j < n (count >= 1; out may not alias x).
using MaxPoolColumnsFn = void (*)(const float* x, int64_t ld, int64_t count, float* out, int64_t n);

struct MaxPoolRowVariant {
  const char* name;
  bool (*supported)();
  MaxPoolRowFn fn;
  MaxPoolColumnsFn columns;
};

inline constexpr int64_t kMaxPoolRowSlack = 32;  // floats a variant may read past the last tap

std::span<const MaxPoolRowVariant> maxpool_row_variants();
// Through the best variant the CPU supports.
void maxpool_row_f32(const float* row, int64_t first, int64_t stride, int64_t k, float* out, int64_t n);
void maxpool_columns_f32(const float* x, int64_t ld, int64_t count, float* out, int64_t n);

void maxpool_row_f32__scalar(const float* row, int64_t first, int64_t stride, int64_t k, float* out, int64_t n);
void maxpool_row_f32__avx512(const float* row, int64_t first, int64_t stride, int64_t k, float* out, int64_t n);
void maxpool_columns_f32__scalar(const float* x, int64_t ld, int64_t count, float* out, int64_t n);
void maxpool_columns_f32__avx512(const float* x, int64_t ld, int64_t count, float* out, int64_t n);

}  // namespace edgerun::kernels
