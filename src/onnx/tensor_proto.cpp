#include "onnx/tensor_proto.h"

namespace edgerun {

Expected<Tensor> parse_tensor_proto(const uint8_t* data, size_t size, std::string* name) {
  return unsupported("not written yet");
}
Expected<Tensor> read_tensor_proto_file(const std::string& path, std::string* name) {
  return unsupported("not written yet");
}
std::string serialize_tensor_proto(const Tensor& tensor, const std::string& name) { return {}; }
Status write_tensor_proto_file(const std::string& path, const Tensor& tensor, const std::string& name) {
  return unsupported("not written yet");
}

}  // namespace edgerun
