// qu8-quantize: the two passes of DynamicQuantizeLinear (ops/quant_linear.cpp) over float32 data: the range
// (min and max with 0 included, NaNs skipped) and y = saturate(round_half_even(x / scale) + zp) into uint8 (NaN ->
// zp). Per-ISA variants (quantize-<isa>.cpp), the best the CPU supports picked once; every variant computes the
// scalar one's operations element by element (IEEE division, the same magic-number rounding), so bits agree.
#pragma once

#include <cstdint>
#include <span>

namespace edgerun::kernels {

using RangeFn = void (*)(const float* x, int64_t n, float* lo, float* hi);  // *lo, *hi start at 0
using QuantizeU8Fn = void (*)(const float* x, int64_t n, float scale, int32_t zp, uint8_t* y);

struct QuantizeVariant {
  const char* name;
  bool (*supported)();
  RangeFn range;
  QuantizeU8Fn quantize;
};

std::span<const QuantizeVariant> quantize_variants();
const QuantizeVariant& quantize_selected();

void range_f32__scalar(const float* x, int64_t n, float* lo, float* hi);
void quantize_u8__scalar(const float* x, int64_t n, float scale, int32_t zp, uint8_t* y);
void range_f32__avx512(const float* x, int64_t n, float* lo, float* hi);
void quantize_u8__avx512(const float* x, int64_t n, float scale, int32_t zp, uint8_t* y);

}  // namespace edgerun::kernels
