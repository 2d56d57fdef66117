#include "core/dtype_names.h"

#include "edgerun/tensor.h"

namespace edgerun {

const char* onnx_type_name(int64_t data_type) {
  switch (data_type) {
    case 14: return "complex64";
    case 15: return "complex128";
    case 17: return "float8e4m3fn";
    case 18: return "float8e4m3fnuz";
    case 19: return "float8e5m2";
    case 20: return "float8e5m2fnuz";
    case 21: return "uint4";
    case 22: return "int4";
    case 23: return "float4e2m1";
    case 24: return "float8e8m0";
    case 25: return "uint2";
    case 26: return "int2";
    default: break;
  }
  if (data_type < 0 || data_type > 16) return "";
  if (data_type == 0 || dtype_is_valid(static_cast<int32_t>(data_type))) return dtype_name(static_cast<DType>(data_type));
  return "";
}

}  // namespace edgerun
