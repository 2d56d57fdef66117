// Shared pieces of the element-wise and reduction reference kernels: C++ storage types per DType,
// dtype dispatch, safe integer arithmetic and conversions, and a row-based broadcast walker.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "core/half.h"
#include "edgerun/status.h"
#include "edgerun/tensor.h"
#include "ops/op_registry.h"

namespace edgerun::ew {

// 16-bit float storage: distinct types so dispatch can tell them from uint16 and from each other.
struct Half {
  uint16_t bits;
};
struct BFloat16 {
  uint16_t bits;
};

// Bool tensors are stored one byte per element and handled as uint8_t (0 or 1; any non-zero byte reads as true).

template <class T>
inline constexpr bool is_half_v = std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>;
template <class T>
inline constexpr bool is_float_v = std::is_floating_point_v<T> || is_half_v<T>;

// Compute type of a storage type and the conversions to and from it: 16-bit floats compute in float.
template <class T>
struct Num {
  using C = T;
  static C load(T x) { return x; }
  template <class V>
  static T store(V x) { return static_cast<T>(x); }
};
template <>
struct Num<Half> {
  using C = float;
  static float load(Half x) { return half_to_float(x.bits); }
  static Half store(float x) { return Half{float_to_half(x)}; }
};
template <>
struct Num<BFloat16> {
  using C = float;
  static float load(BFloat16 x) { return bfloat16_to_float(x.bits); }
  static BFloat16 store(float x) { return BFloat16{float_to_bfloat16(x)}; }
};

template <class T>
struct Tag {
  using type = T;
};

// Dispatch: calls fn(Tag<T>{}) with the storage type of `d` when `d` is in the set; returns false otherwise.
template <class Fn>
bool visit_float(DType d, Fn&& fn) {
  switch (d) {
    case DType::kFloat32: fn(Tag<float>{}); return true;
    case DType::kFloat64: fn(Tag<double>{}); return true;
    case DType::kFloat16: fn(Tag<Half>{}); return true;
    case DType::kBFloat16: fn(Tag<BFloat16>{}); return true;
    default: return false;
  }
}

template <class Fn>
bool visit_int(DType d, Fn&& fn) {
  switch (d) {
    case DType::kInt8: fn(Tag<int8_t>{}); return true;
    case DType::kInt16: fn(Tag<int16_t>{}); return true;
    case DType::kInt32: fn(Tag<int32_t>{}); return true;
    case DType::kInt64: fn(Tag<int64_t>{}); return true;
    case DType::kUInt8: fn(Tag<uint8_t>{}); return true;
    case DType::kUInt16: fn(Tag<uint16_t>{}); return true;
    case DType::kUInt32: fn(Tag<uint32_t>{}); return true;
    case DType::kUInt64: fn(Tag<uint64_t>{}); return true;
    default: return false;
  }
}

template <class Fn>
bool visit_numeric(DType d, Fn&& fn) {
  return visit_float(d, fn) || visit_int(d, fn);
}

// Numeric types plus bool (as uint8_t).
template <class Fn>
bool visit_all(DType d, Fn&& fn) {
  if (d == DType::kBool) {
    fn(Tag<uint8_t>{});
    return true;
  }
  return visit_numeric(d, fn);
}

// Named dtype sets an op accepts.
enum class TypeSet {
  kFloat,     // float32, float64, float16, bfloat16
  kNumeric,   // kFloat + all integer types
  kInt,       // int8..int64, uint8..uint64
  kUnsigned,  // uint8..uint64
  kBool,      // bool only
  kAll,       // kNumeric + bool
};

template <TypeSet kSet, class Fn>
bool visit_set(DType d, Fn&& fn) {
  if constexpr (kSet == TypeSet::kFloat) {
    return visit_float(d, fn);
  } else if constexpr (kSet == TypeSet::kNumeric) {
    return visit_numeric(d, fn);
  } else if constexpr (kSet == TypeSet::kInt) {
    return visit_int(d, fn);
  } else if constexpr (kSet == TypeSet::kUnsigned) {
    if (d != DType::kUInt8 && d != DType::kUInt16 && d != DType::kUInt32 && d != DType::kUInt64) return false;
    return visit_int(d, fn);
  } else if constexpr (kSet == TypeSet::kBool) {
    if (d != DType::kBool) return false;
    fn(Tag<uint8_t>{});
    return true;
  } else {
    return visit_all(d, fn);
  }
}

// Integer arithmetic that wraps like two's complement instead of overflowing (signed overflow is UB in C++).
template <class T>
inline T wrap_add(T a, T b) {
  using U = std::make_unsigned_t<T>;
  return static_cast<T>(static_cast<U>(static_cast<U>(a) + static_cast<U>(b)));
}
template <class T>
inline T wrap_sub(T a, T b) {
  using U = std::make_unsigned_t<T>;
  return static_cast<T>(static_cast<U>(static_cast<U>(a) - static_cast<U>(b)));
}
template <class T>
inline T wrap_mul(T a, T b) {
  using U = std::make_unsigned_t<T>;
  // Promote small unsigned types to unsigned int so the product cannot overflow a signed int.
  using P = std::conditional_t<(sizeof(U) < sizeof(unsigned)), unsigned, U>;
  return static_cast<T>(static_cast<U>(static_cast<P>(static_cast<U>(a)) * static_cast<P>(static_cast<U>(b))));
}
template <class T>
inline T wrap_neg(T a) {
  return wrap_sub<T>(T(0), a);
}

// Float -> integer by truncation toward zero. Values outside the range saturate and NaN gives 0
// (out-of-range conversion is undefined behaviour in C++, and the ONNX spec leaves it unspecified).
template <class I, class F>
inline I float_to_int(F x) {
  if (x != x) return I(0);
  if constexpr (std::is_same_v<I, bool>) {
    return x != F(0);
  } else {
    // Bounds as F: max() may round up (e.g. INT64_MAX -> 2^63), so compare with >= on the upper bound.
    const F lo = static_cast<F>(std::numeric_limits<I>::lowest());
    const F hi = static_cast<F>(std::numeric_limits<I>::max());
    if (x <= lo) return std::numeric_limits<I>::lowest();
    if (x >= hi) return std::numeric_limits<I>::max();
    return static_cast<I>(x);
  }
}

// double -> float rounding to odd, so that a second rounding (float -> half/bfloat16) is correct.
inline float double_to_float_odd(double d) {
  float f = static_cast<float>(d);
  if (!std::isfinite(d) || static_cast<double>(f) == d) return f;
  // Truncate toward zero, then set the lowest bit to record inexactness.
  if (std::fabs(static_cast<double>(f)) > std::fabs(d)) f = std::nextafter(f, 0.0f);
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  bits |= 1u;
  std::memcpy(&f, &bits, 4);
  return f;
}

// Converts one value between any two storage types with ONNX Cast semantics.
// `To` = uint8_t with `to_bool` means the bool dtype (0/1).
template <class To, class From, bool kToBool = false, bool kFromBool = false>
inline To convert(From x) {
  if constexpr (kFromBool) {
    // A bool byte counts as 1 when non-zero.
    return convert<To, uint8_t, kToBool, false>(static_cast<uint8_t>(x != 0));
  } else if constexpr (kToBool) {
    if constexpr (is_half_v<From>) return static_cast<To>(Num<From>::load(x) != 0.0f);
    else return static_cast<To>(x != From(0));
  } else if constexpr (std::is_same_v<To, From>) {
    return x;
  } else if constexpr (std::is_same_v<To, Half>) {
    if constexpr (std::is_same_v<From, double>) return Half{float_to_half(double_to_float_odd(x))};
    else if constexpr (std::is_same_v<From, BFloat16>) return Half{float_to_half(bfloat16_to_float(x.bits))};
    else if constexpr (std::is_integral_v<From> && sizeof(From) >= 4)
      return Half{float_to_half(double_to_float_odd(static_cast<double>(x)))};
    else return Half{float_to_half(static_cast<float>(x))};
  } else if constexpr (std::is_same_v<To, BFloat16>) {
    if constexpr (std::is_same_v<From, double>) return BFloat16{float_to_bfloat16(double_to_float_odd(x))};
    else if constexpr (std::is_same_v<From, Half>) return BFloat16{float_to_bfloat16(half_to_float(x.bits))};
    else if constexpr (std::is_integral_v<From> && sizeof(From) >= 4)
      return BFloat16{float_to_bfloat16(double_to_float_odd(static_cast<double>(x)))};
    else return BFloat16{float_to_bfloat16(static_cast<float>(x))};
  } else if constexpr (is_half_v<From>) {
    return convert<To, float>(Num<From>::load(x));
  } else if constexpr (std::is_integral_v<To> && std::is_floating_point_v<From>) {
    return float_to_int<To>(x);
  } else {
    return static_cast<To>(x);  // int -> int wraps (two's complement), int/float -> float rounds
  }
}

// Row-based broadcast walker. The output (row-major) is split into rows of `inner` elements; within a row
// each input advances by inner_stride (0 = the value repeats along the row, 1 = contiguous). Size-1 dims are
// dropped and neighbouring dims with the same broadcast pattern are merged at build time, so the common
// cases (same shape, scalar, per-channel [1,C,1,1], trailing vector) become one or a few long rows.
class BroadcastPlan {
 public:
  static constexpr int kMaxInputs = 3;
  static constexpr int kMaxDims = 16;

  // `inputs` must each be broadcastable to `out` (the caller computed `out` with broadcast_shapes).
  static Expected<BroadcastPlan> make(const Shape& out, const std::vector<Shape>& inputs);

  int64_t inner() const { return inner_; }
  int64_t rows() const { return rows_; }
  int64_t inner_stride(int i) const { return inner_stride_[i]; }

  // fn(out_offset, in_offsets) for every row, in output order.
  template <class Fn>
  void for_each_row(Fn&& fn) const {
    if (rows_ == 0 || inner_ == 0) return;
    const int nd = static_cast<int>(dims_.size());
    int64_t idx[kMaxDims] = {};
    int64_t off[kMaxInputs] = {};
    for (int64_t r = 0; r < rows_; ++r) {
      fn(r * inner_, static_cast<const int64_t*>(off));
      for (int d = nd - 1; d >= 0; --d) {
        ++idx[d];
        for (int i = 0; i < num_inputs_; ++i) off[i] += strides_[i][static_cast<size_t>(d)];
        if (idx[d] < dims_[static_cast<size_t>(d)]) break;
        for (int i = 0; i < num_inputs_; ++i) off[i] -= strides_[i][static_cast<size_t>(d)] * idx[d];
        idx[d] = 0;
      }
    }
  }

 private:
  int num_inputs_ = 0;
  int64_t inner_ = 1;
  int64_t rows_ = 1;
  int64_t inner_stride_[kMaxInputs] = {};
  std::vector<int64_t> dims_;                  // outer (collapsed) dims
  std::vector<int64_t> strides_[kMaxInputs];  // per input, per outer dim, in elements
};

// Legacy (opset < 7) broadcast of B onto A: with broadcast=1, B's shape matches a contiguous run of A's dims
// starting at `axis` (default: the trailing dims). Returns B's shape padded to A's rank.
Expected<Shape> legacy_broadcast_shape(const PrepareContext& ctx, const Shape& a, const Shape& b);

// Name of an ONNX TensorProto.DataType for error messages, including types edgerun cannot hold.
std::string onnx_dtype_name(int64_t onnx_type);

// Registration entry points of the element-wise family, each in its own file.
void register_unary_ops(OpRegistry& r);     // ew_unary.cpp
void register_binary_ops(OpRegistry& r);    // ew_binary.cpp
void register_misc_ops(OpRegistry& r);      // ew_misc.cpp: Cast, CastLike, Clip, Where, PRelu
void register_index_ops(OpRegistry& r);     // ew_index.cpp: ArgMax, ArgMin, CumSum, TopK

}  // namespace edgerun::ew
