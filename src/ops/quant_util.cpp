#include "ops/quant_util.h"

#include "core/half.h"

namespace edgerun {

bool quant_dtype_supported(DType t) {
  return t == DType::kUInt8 || t == DType::kInt8 || t == DType::kUInt16 || t == DType::kInt16;
}

int32_t quant_min(DType t) {
  switch (t) {
    case DType::kInt8:
      return -128;
    case DType::kInt16:
      return -32768;
    case DType::kInt32:
      return INT32_MIN;
    default:
      return 0;
  }
}

int32_t quant_max(DType t) {
  switch (t) {
    case DType::kUInt8:
      return 255;
    case DType::kInt8:
      return 127;
    case DType::kUInt16:
      return 65535;
    case DType::kInt16:
      return 32767;
    case DType::kInt32:
      return INT32_MAX;
    default:
      return 0;
  }
}

bool is_8bit(DType t) { return t == DType::kUInt8 || t == DType::kInt8; }

bool is_float_like(DType t) { return t == DType::kFloat32 || t == DType::kFloat16 || t == DType::kBFloat16; }

int32_t load_quant(const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case DType::kUInt8:
      return t.data<uint8_t>()[i];
    case DType::kInt8:
      return t.data<int8_t>()[i];
    case DType::kUInt16:
      return t.data<uint16_t>()[i];
    case DType::kInt16:
      return t.data<int16_t>()[i];
    case DType::kInt32:
      return t.data<int32_t>()[i];
    default:
      return 0;
  }
}

float load_float(const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case DType::kFloat32:
      return t.data<float>()[i];
    case DType::kFloat16:
      return half_to_float(t.data<uint16_t>()[i]);
    case DType::kBFloat16:
      return bfloat16_to_float(t.data<uint16_t>()[i]);
    case DType::kFloat64:
      return static_cast<float>(t.data<double>()[i]);
    default:
      return 0.0f;
  }
}

float round_to_dtype(float v, DType t) {
  if (t == DType::kFloat16) return half_to_float(float_to_half(v));
  if (t == DType::kBFloat16) return bfloat16_to_float(float_to_bfloat16(v));
  return v;
}

void store_quant(void* data, DType t, int64_t i, int32_t v) {
  switch (t) {
    case DType::kUInt8:
      static_cast<uint8_t*>(data)[i] = static_cast<uint8_t>(v);
      break;
    case DType::kInt8:
      static_cast<int8_t*>(data)[i] = static_cast<int8_t>(v);
      break;
    case DType::kUInt16:
      static_cast<uint16_t*>(data)[i] = static_cast<uint16_t>(v);
      break;
    case DType::kInt16:
      static_cast<int16_t*>(data)[i] = static_cast<int16_t>(v);
      break;
    case DType::kInt32:
      static_cast<int32_t*>(data)[i] = v;
      break;
    default:
      break;
  }
}

Status check_one_element(const PrepareContext& ctx, int i, const char* what) {
  if (!ctx.has_input(i)) return Status();
  const Shape& s = ctx.input_shape(i);
  if (shape_numel(s) != 1) return ctx.error(what, " must be a scalar (one element) here, got shape ", shape_str(s));
  return Status();
}

Status check_scalar_scale(const PrepareContext& ctx, int i, const char* what) {
  if (!ctx.has_input(i)) return ctx.error(what, " (input ", i, ") is required");
  if (ctx.input_dtype(i) != DType::kFloat32)
    return ctx.error(what, " must be float32, got ", dtype_name(ctx.input_dtype(i)));
  return check_one_element(ctx, i, what);
}

Status check_scalar_zero_point(const PrepareContext& ctx, int i, const char* what, DType want) {
  ER_RETURN_IF_ERROR(check_dtype(ctx, i, what, want));
  return check_one_element(ctx, i, what);
}

Status check_dtype(const PrepareContext& ctx, int i, const char* what, DType want) {
  if (!ctx.has_input(i)) return Status();
  if (ctx.input_dtype(i) != want)
    return ctx.error(what, " must be ", dtype_name(want), ", got ", dtype_name(ctx.input_dtype(i)));
  return Status();
}

bool constant_inputs(const PrepareContext& ctx, const std::vector<int>& idx, std::vector<const Tensor*>* out) {
  out->assign(static_cast<size_t>(ctx.num_inputs()), nullptr);
  bool all = true;
  for (int i : idx) {
    if (!ctx.has_input(i)) continue;
    const Tensor* t = ctx.constant_input(i);
    if (!t) all = false;
    (*out)[static_cast<size_t>(i)] = t;
  }
  return all;
}

bool checked_mul(int64_t a, int64_t b, int64_t* out) {
  constexpr int64_t kLimit = int64_t{1} << 62;
  if (a < 0 || b < 0) return false;
  if (a != 0 && b > kLimit / a) return false;
  *out = a * b;
  return true;
}

}  // namespace edgerun
