// Reading and writing single ONNX TensorProto messages (.pb files of the ONNX test data).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "edgerun/status.h"
#include "edgerun/tensor.h"

namespace edgerun {

// Parses a serialized TensorProto. The returned tensor owns its data (a copy).
// `name` (optional) receives TensorProto.name.
Expected<Tensor> parse_tensor_proto(const uint8_t* data, size_t size, std::string* name = nullptr);
Expected<Tensor> read_tensor_proto_file(const std::string& path, std::string* name = nullptr);

// Serializes with raw_data (little-endian), dims, data_type and name.
std::string serialize_tensor_proto(const Tensor& tensor, const std::string& name);
Status write_tensor_proto_file(const std::string& path, const Tensor& tensor, const std::string& name);

}  // namespace edgerun
