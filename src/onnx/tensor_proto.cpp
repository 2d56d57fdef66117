#include "onnx/tensor_proto.h"

#include <cstdio>

#include "core/mmap_file.h"
#include "onnx/tensor_decode.h"
#include "onnx/wire.h"

namespace edgerun {

Expected<Tensor> parse_tensor_proto(const uint8_t* data, size_t size, std::string* name) {
  if (size == 0) return invalid_model("empty file: a TensorProto needs at least a data type");
  onnx::TensorProtoFields fields;
  ER_RETURN_IF_ERROR(onnx::read_tensor_fields(wire::Reader(data, size), &fields));
  // No keepalive: the caller's buffer may go away, so the tensor gets its own copy.
  ER_ASSIGN_OR_RETURN(Tensor t, onnx::make_tensor(fields, onnx::TensorSource{}));
  if (!t.defined()) return internal_error(fields.describe(), ": decoded to an undefined tensor");
  if (name) *name = fields.name;
  return t;
}

Expected<Tensor> read_tensor_proto_file(const std::string& path, std::string* name) {
  ER_ASSIGN_OR_RETURN(std::shared_ptr<MappedFile> f, MappedFile::open(path));
  Expected<Tensor> t = parse_tensor_proto(f->data(), f->size(), name);
  if (!t.ok()) return t.status().with_context(path);
  return t;
}

std::string serialize_tensor_proto(const Tensor& tensor, const std::string& name) {
  namespace tf = onnx::tensor_field;
  wire::Writer w;
  // dims unpacked, as onnx.proto (proto2) declares them; readers accept either form.
  for (int64_t d : tensor.shape()) w.int64(tf::kDims, d);
  w.varint(tf::kDataType, static_cast<uint64_t>(static_cast<int32_t>(tensor.dtype())));
  if (!name.empty()) w.bytes(tf::kName, name);
  size_t n = tensor.raw_data() ? tensor.nbytes() : 0;
  w.bytes(tf::kRawData, std::string_view(static_cast<const char*>(tensor.raw_data()), n));
  return w.take();
}

Status write_tensor_proto_file(const std::string& path, const Tensor& tensor, const std::string& name) {
  if (!tensor.defined()) return invalid_argument("cannot write an undefined tensor to '", path, "'");
  std::string bytes = serialize_tensor_proto(tensor, name);
  std::FILE* fp = std::fopen(path.c_str(), "wb");
  if (!fp) return io_error("cannot create '", path, "'");
  bool ok = std::fwrite(bytes.data(), 1, bytes.size(), fp) == bytes.size();
  ok = std::fclose(fp) == 0 && ok;
  if (!ok) return io_error("cannot write '", path, "'");
  return Status();
}

}  // namespace edgerun
