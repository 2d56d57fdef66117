// Names of every ONNX TensorProto.DataType number, including the types edgerun cannot hold
// (float8, int4, complex, ...), for error messages and reports. One table for the loader, ops and tools.
#pragma once

#include <cstdint>

namespace edgerun {

// "float32", "float8e4m3fn", ...; "" for a number ONNX does not define.
const char* onnx_type_name(int64_t data_type);

}  // namespace edgerun
