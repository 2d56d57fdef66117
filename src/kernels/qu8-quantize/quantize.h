// qu8-quantize: the element-wise passes of the 8-bit ops.
//  - range, quantize: DynamicQuantizeLinear (ops/quant_linear.cpp) over float32 data: the range (min and max with 0
//    included, NaNs skipped) and y = saturate(round_half_even(x / scale) + zp) into uint8 (NaN -> zp).
//  - requantize (QLinearConv outputs): y = saturate(round_half_even(float(wrap32(acc + bias)) * mult) + zp) into
//    [lo, hi] (the uint8 or int8 range), stored as the value's low byte; requantize_f32 takes accumulators held as
//    exactly-integral floats (|acc| < 2^24, truncated to int32 first, then the same).
//  - shift_to_f32: y = float((x ^ flip) - zp) over bytes (flip = 0x80 reads int8 data as uint8 + 128).
//  - add (QLinearAdd, same shapes): y = saturate(round_half_even(float((a ^ flip) - za) * ka + float((b ^ flip) -
//    zb) * kb) + zc) into [lo, hi] as the low byte; two roundings (product, sum), never fused.
// Per-ISA variants (quantize-<isa>.cpp), the best the CPU supports picked once; every variant computes the
// scalar one's operations element by element (IEEE division, the same magic-number rounding), so bits agree.
#pragma once

#include <cstdint>
#include <span>

namespace edgerun::kernels {

using RangeFn = void (*)(const float* x, int64_t n, float* lo, float* hi);  // *lo, *hi start at 0
using QuantizeU8Fn = void (*)(const float* x, int64_t n, float scale, int32_t zp, uint8_t* y);
using RequantizeFn = void (*)(const int32_t* acc, int64_t n, int32_t bias, float mult, int32_t zp, int32_t lo,
                              int32_t hi, uint8_t* y);
using RequantizeF32Fn = void (*)(const float* acc, int64_t n, int32_t bias, float mult, int32_t zp, int32_t lo,
                                 int32_t hi, uint8_t* y);
using ShiftToF32Fn = void (*)(const uint8_t* x, int64_t n, uint8_t flip, int32_t zp, float* y);
struct QAddParams {
  uint8_t flip = 0;
  int32_t za = 0, zb = 0, zc = 0, lo = 0, hi = 255;
  float ka = 1.0f, kb = 1.0f;
};
using QAddFn = void (*)(const uint8_t* a, const uint8_t* b, int64_t n, const QAddParams& p, uint8_t* y);

struct QuantizeVariant {
  const char* name;
  bool (*supported)();
  RangeFn range;
  QuantizeU8Fn quantize;
  RequantizeFn requantize;
  RequantizeF32Fn requantize_f32;
  ShiftToF32Fn shift_to_f32;
  QAddFn add;
};

std::span<const QuantizeVariant> quantize_variants();
const QuantizeVariant& quantize_selected();

void range_f32__scalar(const float* x, int64_t n, float* lo, float* hi);
void quantize_u8__scalar(const float* x, int64_t n, float scale, int32_t zp, uint8_t* y);
void requantize__scalar(const int32_t* acc, int64_t n, int32_t bias, float mult, int32_t zp, int32_t lo, int32_t hi,
                        uint8_t* y);
void requantize_f32__scalar(const float* acc, int64_t n, int32_t bias, float mult, int32_t zp, int32_t lo, int32_t hi,
                            uint8_t* y);
void shift_to_f32__scalar(const uint8_t* x, int64_t n, uint8_t flip, int32_t zp, float* y);
void add__scalar(const uint8_t* a, const uint8_t* b, int64_t n, const QAddParams& p, uint8_t* y);
void add__avx512(const uint8_t* a, const uint8_t* b, int64_t n, const QAddParams& p, uint8_t* y);
void range_f32__avx512(const float* x, int64_t n, float* lo, float* hi);
void quantize_u8__avx512(const float* x, int64_t n, float scale, int32_t zp, uint8_t* y);
void requantize__avx512(const int32_t* acc, int64_t n, int32_t bias, float mult, int32_t zp, int32_t lo, int32_t hi,
                        uint8_t* y);
void requantize_f32__avx512(const float* acc, int64_t n, int32_t bias, float mult, int32_t zp, int32_t lo, int32_t hi,
                            uint8_t* y);
void shift_to_f32__avx512(const uint8_t* x, int64_t n, uint8_t flip, int32_t zp, float* y);
void requantize__avx2(const int32_t* acc, int64_t n, int32_t bias, float mult, int32_t zp, int32_t lo, int32_t hi,
                      uint8_t* y);
void requantize_f32__avx2(const float* acc, int64_t n, int32_t bias, float mult, int32_t zp, int32_t lo, int32_t hi,
                          uint8_t* y);
void shift_to_f32__avx2(const uint8_t* x, int64_t n, uint8_t flip, int32_t zp, float* y);

}  // namespace edgerun::kernels
