// Shared pieces of the quantized-op reference kernels (src/ops/quant_*.cpp): integer ranges,
// round-half-to-even + saturation, reading scale / zero-point tensors, and prepare-time checks.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "edgerun/status.h"
#include "edgerun/tensor.h"
#include "ops/op_registry.h"

namespace edgerun {

// Largest reduction length whose int32 sum of (a - za) * (b - zb) products cannot overflow:
// |product| <= 255 * 255, so 2^31 / 65025 = 33025 terms always fit.
constexpr int64_t kMaxQuantReduction = 33024;

// uint8, int8, uint16, int16: the types a quantized tensor may be saturated to.
bool quant_dtype_supported(DType t);
int32_t quant_min(DType t);
int32_t quant_max(DType t);
bool is_8bit(DType t);  // uint8 or int8
// float32, float16, bfloat16.
bool is_float_like(DType t);

// Element i of an integer tensor (uint8/int8/uint16/int16/int32) as int32.
int32_t load_quant(const Tensor& t, int64_t i);
// Element i of a float32/float16/bfloat16 tensor as float.
float load_float(const Tensor& t, int64_t i);
// Rounds a float to the precision of `t` (float16 / bfloat16); identity for float32.
float round_to_dtype(float v, DType t);

// Round half to even: equal to std::nearbyint under the default rounding mode, but inlinable
// and vectorizable (adding and subtracting 1.5 * 2^23 leaves the rounded value for |v| < 2^22).
inline float round_half_even(float v) {
  if (std::fabs(v) < 4194304.0f) return (v + 12582912.0f) - 12582912.0f;
  return std::nearbyint(v);  // already integral, or inf/NaN
}
inline double round_half_even(double v) {
  if (std::fabs(v) < 2251799813685248.0) return (v + 6755399441055744.0) - 6755399441055744.0;
  return std::nearbyint(v);
}

// saturate(round_half_even(v) + zero_point) into [lo, hi] for the 8/16-bit ranges (hi - lo <= 65535).
// NaN maps to the zero point. Branch-free so loops over it vectorize: the magic-number rounding is exact for
// |v| < 2^22 (2^51 in double), and any larger |v| saturates whatever its rounding.
inline int32_t quantize_value(float v, int32_t zero_point, int32_t lo, int32_t hi) {
  const float zp = static_cast<float>(zero_point);
  float r = ((v + 12582912.0f) - 12582912.0f) + zp;
  r = r == r ? r : zp;
  r = r < static_cast<float>(lo) ? static_cast<float>(lo) : r;
  r = r > static_cast<float>(hi) ? static_cast<float>(hi) : r;
  return static_cast<int32_t>(r);
}
inline int32_t quantize_value(double v, int32_t zero_point, int32_t lo, int32_t hi) {
  const double zp = static_cast<double>(zero_point);
  double r = ((v + 6755399441055744.0) - 6755399441055744.0) + zp;
  r = r == r ? r : zp;
  r = r < static_cast<double>(lo) ? static_cast<double>(lo) : r;
  r = r > static_cast<double>(hi) ? static_cast<double>(hi) : r;
  return static_cast<int32_t>(r);
}

// Stores v (already in range) as element i of a uint8/int8/uint16/int16/int32 buffer.
void store_quant(void* data, DType t, int64_t i, int32_t v);

// Calls fn(T{}) with T the C++ type of a uint8/int8/uint16/int16/int32 dtype.
template <class Fn>
void dispatch_quant_type(DType t, Fn&& fn) {
  switch (t) {
    case DType::kUInt8:
      fn(uint8_t{});
      break;
    case DType::kInt8:
      fn(int8_t{});
      break;
    case DType::kUInt16:
      fn(uint16_t{});
      break;
    case DType::kInt16:
      fn(int16_t{});
      break;
    case DType::kInt32:
      fn(int32_t{});
      break;
    default:
      break;
  }
}

// ---- prepare-time validation (errors name the node) ----

// Input i, named `what`, holds exactly one element (a scalar or a 1-element tensor).
Status check_one_element(const PrepareContext& ctx, int i, const char* what);
// Input i is a float32 scale with one element.
Status check_scalar_scale(const PrepareContext& ctx, int i, const char* what);
// Optional input i is a one-element zero point of dtype `want` (when present).
Status check_scalar_zero_point(const PrepareContext& ctx, int i, const char* what, DType want);
// Optional input i, when present, has dtype `want`.
Status check_dtype(const PrepareContext& ctx, int i, const char* what, DType want);

// Constant tensors of the listed inputs at prepare (nullptr where an input is omitted).
// Returns false when any present input among them is computed at run time.
bool constant_inputs(const PrepareContext& ctx, const std::vector<int>& idx, std::vector<const Tensor*>* out);

// ---- run-time reads of one-element parameters ----
inline float scalar_scale(const Tensor* t) { return t ? load_float(*t, 0) : 1.0f; }
inline int32_t scalar_zero_point(const Tensor* t) { return t ? load_quant(*t, 0) : 0; }

// Checked product of non-negative sizes; false on overflow past 2^62.
bool checked_mul(int64_t a, int64_t b, int64_t* out);

}  // namespace edgerun
