// Output comparison with the rules of the ONNX backend test runner (numpy.testing.assert_allclose):
// floating point |got - want| <= atol + rtol * |want| elementwise, NaN equals NaN, infinities must be equal;
// integers and bool exactly; dtype and shape must match.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

#include "core/half.h"
#include "edgerun/status.h"
#include "edgerun/tensor.h"

namespace edgerun::conformance {

struct Tolerance {
  double rtol = 1e-3;
  double atol = 1e-7;
};

struct CompareResult {
  bool ok = true;
  std::string reason;      // empty when ok
  double max_abs_err = 0;  // over finite elements
  double max_rel_err = 0;  // |got - want| / |want| where want != 0
  int64_t mismatches = 0;
};

namespace compare_detail {

inline bool is_float(DType t) {
  return t == DType::kFloat32 || t == DType::kFloat64 || t == DType::kFloat16 || t == DType::kBFloat16;
}

inline double float_at(const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case DType::kFloat32: return t.data<float>()[i];
    case DType::kFloat64: return t.data<double>()[i];
    case DType::kFloat16: return half_to_float(t.data<uint16_t>()[i]);
    case DType::kBFloat16: return bfloat16_to_float(t.data<uint16_t>()[i]);
    default: return 0;
  }
}

// Integers compared exactly as 64-bit patterns widened by signedness.
inline bool int_equal(const Tensor& a, const Tensor& b, int64_t i, std::string* got, std::string* want) {
  auto fmt = [&](const Tensor& t) -> std::string {
    switch (t.dtype()) {
      case DType::kUInt8: return std::to_string(t.data<uint8_t>()[i]);
      case DType::kInt8: return std::to_string(t.data<int8_t>()[i]);
      case DType::kUInt16: return std::to_string(t.data<uint16_t>()[i]);
      case DType::kInt16: return std::to_string(t.data<int16_t>()[i]);
      case DType::kInt32: return std::to_string(t.data<int32_t>()[i]);
      case DType::kInt64: return std::to_string(t.data<int64_t>()[i]);
      case DType::kUInt32: return std::to_string(t.data<uint32_t>()[i]);
      case DType::kUInt64: return std::to_string(t.data<uint64_t>()[i]);
      case DType::kBool: return t.data<uint8_t>()[i] ? "true" : "false";
      default: return "?";
    }
  };
  size_t n = dtype_size(a.dtype());
  const uint8_t* pa = static_cast<const uint8_t*>(a.raw_data()) + static_cast<size_t>(i) * n;
  const uint8_t* pb = static_cast<const uint8_t*>(b.raw_data()) + static_cast<size_t>(i) * n;
  bool eq = a.dtype() == DType::kBool ? ((*pa != 0) == (*pb != 0)) : std::memcmp(pa, pb, n) == 0;
  if (!eq) {
    *got = fmt(a);
    *want = fmt(b);
  }
  return eq;
}

inline std::string index_str(const Shape& shape, int64_t flat) {
  if (shape.empty()) return "[]";
  std::string s = "]";
  for (size_t d = shape.size(); d-- > 0;) {
    int64_t n = shape[d] > 0 ? shape[d] : 1;
    s = (d == 0 ? "[" : ",") + std::to_string(flat % n) + s;
    flat /= n;
  }
  return s;
}

inline std::string num(double v) { return str_cat(static_cast<float>(v)); }

}  // namespace compare_detail

inline CompareResult compare_tensors(const Tensor& got, const Tensor& want, const Tolerance& tol = {}) {
  using namespace compare_detail;
  CompareResult r;
  if (got.dtype() != want.dtype()) {
    r.ok = false;
    r.reason = str_cat("dtype ", dtype_name(got.dtype()), ", expected ", dtype_name(want.dtype()));
    return r;
  }
  if (got.shape() != want.shape()) {
    r.ok = false;
    r.reason = str_cat("shape ", shape_str(got.shape()), ", expected ", shape_str(want.shape()));
    return r;
  }
  const int64_t n = want.numel();
  if (n > 0 && (!got.raw_data() || !want.raw_data())) {
    r.ok = false;
    r.reason = "output has no data";
    return r;
  }
  if (dtype_size(want.dtype()) == 0) {
    r.ok = false;
    r.reason = str_cat("cannot compare ", dtype_name(want.dtype()), " tensors");
    return r;
  }
  int64_t first_bad = -1;
  std::string first_got, first_want;
  if (is_float(want.dtype())) {
    int64_t worst = -1;  // element with the largest excess over its tolerance
    double worst_excess = 0;
    for (int64_t i = 0; i < n; ++i) {
      double g = float_at(got, i), w = float_at(want, i);
      bool ok;
      if (std::isnan(w) || std::isnan(g)) {
        ok = std::isnan(w) && std::isnan(g);
      } else if (std::isinf(w) || std::isinf(g)) {
        ok = g == w;
      } else {
        double err = std::fabs(g - w);
        r.max_abs_err = std::max(r.max_abs_err, err);
        if (w != 0) r.max_rel_err = std::max(r.max_rel_err, err / std::fabs(w));
        double excess = err - (tol.atol + tol.rtol * std::fabs(w));
        ok = excess <= 0;
        if (!ok && (worst < 0 || excess > worst_excess)) {
          worst = i;
          worst_excess = excess;
        }
      }
      if (!ok) {
        ++r.mismatches;
        if (first_bad < 0) first_bad = i;
      }
    }
    if (r.mismatches) {
      int64_t at = worst >= 0 ? worst : first_bad;
      first_got = num(float_at(got, at));
      first_want = num(float_at(want, at));
      first_bad = at;
    }
  } else {
    for (int64_t i = 0; i < n; ++i) {
      std::string g, w;
      if (!int_equal(got, want, i, &g, &w)) {
        if (r.mismatches++ == 0) {
          first_bad = i;
          first_got = g;
          first_want = w;
        }
      }
    }
  }
  if (r.mismatches) {
    r.ok = false;
    r.reason = str_cat("wrong values: ", r.mismatches, " of ", n, " elements differ");
    if (is_float(want.dtype()))
      r.reason += str_cat(" (max abs err ", num(r.max_abs_err), ", max rel err ", num(r.max_rel_err),
                          "; rtol ", tol.rtol, ", atol ", tol.atol, ")");
    r.reason += str_cat(is_float(want.dtype()) ? "; worst at " : "; first at ", index_str(want.shape(), first_bad),
                        ": got ", first_got, ", expected ", first_want);
  }
  return r;
}

}  // namespace edgerun::conformance
