#include "kernels/qu8-quantize/quantize.h"

#include <iterator>

#include "core/cpu_features.h"

namespace edgerun::kernels {
namespace {

[[maybe_unused]] bool has_avx512() { return cpu_features().avx512f; }
[[maybe_unused]] bool has_avx2() { return cpu_features().avx2 && cpu_features().fma; }
bool always() { return true; }

const QuantizeVariant kVariants[] = {
#if defined(__x86_64__) || defined(_M_X64)
    {"qu8-quantize-avx512", has_avx512, range_f32__avx512, quantize_u8__avx512, requantize__avx512,
     requantize_f32__avx512, shift_to_f32__avx512, add__avx512},
    // No AVX2 range / quantize (DynamicQuantizeLinear keeps the scalar ones there).
    {"qu8-quantize-avx2", has_avx2, range_f32__scalar, quantize_u8__scalar, requantize__avx2, requantize_f32__avx2,
     shift_to_f32__avx2, add__scalar},
#endif
    {"qu8-quantize-scalar", always, range_f32__scalar, quantize_u8__scalar, requantize__scalar, requantize_f32__scalar,
     shift_to_f32__scalar, add__scalar},
};

}  // namespace

std::span<const QuantizeVariant> quantize_variants() { return kVariants; }

const QuantizeVariant& quantize_selected() {
  static const QuantizeVariant* v = [] {
    for (const QuantizeVariant& c : kVariants)
      if (c.supported()) return &c;
    return &kVariants[std::size(kVariants) - 1];
  }();
  return *v;
}

void range_f32__scalar(const float* x, int64_t n, float* lo, float* hi) {
  float l = *lo, h = *hi;
  for (int64_t i = 0; i < n; ++i) {
    l = x[i] < l ? x[i] : l;
    h = x[i] > h ? x[i] : h;
  }
  *lo = l;
  *hi = h;
}

// saturate(round_half_even(v) + zp) into [0, 255], NaN -> zp: the magic-number rounding is exact for |v| < 2^22 and
// any larger |v| saturates whatever its rounding (ops/quant_util.h quantize_value, written out here).
void quantize_u8__scalar(const float* x, int64_t n, float scale, int32_t zp, uint8_t* y) {
  const float z = static_cast<float>(zp);
  for (int64_t i = 0; i < n; ++i) {
    float r = ((x[i] / scale + 12582912.0f) - 12582912.0f) + z;
    r = r == r ? r : z;
    r = r < 0.0f ? 0.0f : r;
    r = r > 255.0f ? 255.0f : r;
    y[i] = static_cast<uint8_t>(static_cast<int32_t>(r));
  }
}

namespace {

// The scalar requantization of one wrapped int32 sum (ops/quant_util.h quantize_value, written out here).
inline uint8_t requantize_one(int32_t acc, int32_t bias, float mult, float z, float lo, float hi) {
  const float v = static_cast<float>(static_cast<int32_t>(static_cast<uint32_t>(acc) + static_cast<uint32_t>(bias)));
  float r = ((v * mult + 12582912.0f) - 12582912.0f) + z;
  r = r == r ? r : z;
  r = r < lo ? lo : r;
  r = r > hi ? hi : r;
  return static_cast<uint8_t>(static_cast<int32_t>(r));
}

}  // namespace

void requantize__scalar(const int32_t* acc, int64_t n, int32_t bias, float mult, int32_t zp, int32_t lo, int32_t hi,
                        uint8_t* y) {
  const float z = static_cast<float>(zp), l = static_cast<float>(lo), h = static_cast<float>(hi);
  for (int64_t i = 0; i < n; ++i) y[i] = requantize_one(acc[i], bias, mult, z, l, h);
}

void requantize_f32__scalar(const float* acc, int64_t n, int32_t bias, float mult, int32_t zp, int32_t lo, int32_t hi,
                            uint8_t* y) {
  const float z = static_cast<float>(zp), l = static_cast<float>(lo), h = static_cast<float>(hi);
  for (int64_t i = 0; i < n; ++i) y[i] = requantize_one(static_cast<int32_t>(acc[i]), bias, mult, z, l, h);
}

void shift_to_f32__scalar(const uint8_t* x, int64_t n, uint8_t flip, int32_t zp, float* y) {
  for (int64_t i = 0; i < n; ++i) y[i] = static_cast<float>(static_cast<int32_t>(x[i] ^ flip) - zp);
}

// Baseline x86-64 has no FMA and arm64 builds with -ffp-contract=off, so the two products are rounded before the sum.
void add__scalar(const uint8_t* a, const uint8_t* b, int64_t n, const QAddParams& p, uint8_t* y) {
  const float z = static_cast<float>(p.zc), lo = static_cast<float>(p.lo), hi = static_cast<float>(p.hi);
  for (int64_t i = 0; i < n; ++i) {
    const float va = static_cast<float>(static_cast<int32_t>(a[i] ^ p.flip) - p.za) * p.ka;
    const float vb = static_cast<float>(static_cast<int32_t>(b[i] ^ p.flip) - p.zb) * p.kb;
    float r = (((va + vb) + 12582912.0f) - 12582912.0f) + z;
    r = r == r ? r : z;
    r = r < lo ? lo : r;
    r = r > hi ? hi : r;
    y[i] = static_cast<uint8_t>(static_cast<int32_t>(r));
  }
}

}  // namespace edgerun::kernels
