// Hand-built ONNX messages for loader tests: every byte comes from these helpers (field numbers per onnx.proto),
// so tests do not depend on an ONNX writer they would be checking.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "onnx/wire.h"

namespace edgerun::testing {

using wire::Writer;

// TensorProto with raw_data (fields: dims 1, data_type 2, name 8, raw_data 9).
inline std::string tensor_raw(const std::string& name, int32_t data_type, const std::vector<int64_t>& dims,
                              const std::string& raw) {
  Writer w;
  for (int64_t d : dims) w.int64(1, d);
  w.varint(2, static_cast<uint64_t>(data_type));
  if (!name.empty()) w.bytes(8, name);
  w.bytes(9, raw);
  return w.take();
}

template <class T>
std::string bytes_of(const std::vector<T>& v) {
  std::string s(v.size() * sizeof(T), '\0');
  if (!v.empty()) std::memcpy(s.data(), v.data(), s.size());
  return s;
}

inline std::string tensor_f32(const std::string& name, const std::vector<int64_t>& dims, const std::vector<float>& v) {
  return tensor_raw(name, 1, dims, bytes_of(v));
}

// TensorProto with float_data (field 4, packed).
inline std::string tensor_float_data(const std::string& name, const std::vector<int64_t>& dims,
                                     const std::vector<float>& v) {
  Writer w;
  for (int64_t d : dims) w.int64(1, d);
  w.varint(2, 1);
  w.packed_floats(4, v);
  if (!name.empty()) w.bytes(8, name);
  return w.take();
}

// ValueInfoProto with a tensor type. dims: >= 0 fixed, -1 with a name in `params` -> dim_param,
// -1 without one -> an empty Dimension.
inline std::string value_info(const std::string& name, int32_t elem_type, const std::vector<int64_t>& dims,
                              const std::vector<std::string>& params = {}, bool with_shape = true) {
  Writer shape;
  for (size_t i = 0; i < dims.size(); ++i) {
    Writer dim;
    if (dims[i] >= 0) dim.int64(1, dims[i]);
    else if (i < params.size() && !params[i].empty()) dim.bytes(2, params[i]);
    shape.message(1, dim);
  }
  Writer tensor_type;
  tensor_type.varint(1, static_cast<uint64_t>(elem_type));
  if (with_shape) tensor_type.message(2, shape);
  Writer type;
  type.message(1, tensor_type);
  Writer vi;
  vi.bytes(1, name);
  vi.message(2, type);
  return vi.take();
}

// AttributeProto helpers (name 1, f 2, i 3, s 4, t 5, g 6, floats 7, ints 8, strings 9, tensors 10, type 20).
inline std::string attr_int(const std::string& name, int64_t v) {
  Writer w;
  w.bytes(1, name);
  w.int64(3, v);
  w.varint(20, 2);
  return w.take();
}
inline std::string attr_float(const std::string& name, float v) {
  Writer w;
  w.bytes(1, name);
  w.float32(2, v);
  w.varint(20, 1);
  return w.take();
}
inline std::string attr_string(const std::string& name, const std::string& v) {
  Writer w;
  w.bytes(1, name);
  w.bytes(4, v);
  w.varint(20, 3);
  return w.take();
}
inline std::string attr_ints(const std::string& name, const std::vector<int64_t>& v) {
  Writer w;
  w.bytes(1, name);
  w.packed_varints(8, v);
  w.varint(20, 7);
  return w.take();
}
inline std::string attr_floats(const std::string& name, const std::vector<float>& v) {
  Writer w;
  w.bytes(1, name);
  w.packed_floats(7, v);
  w.varint(20, 6);
  return w.take();
}
inline std::string attr_tensor(const std::string& name, const std::string& tensor) {
  Writer w;
  w.bytes(1, name);
  w.bytes(5, tensor);
  w.varint(20, 4);
  return w.take();
}
inline std::string attr_graph(const std::string& name, const std::string& graph) {
  Writer w;
  w.bytes(1, name);
  w.bytes(6, graph);
  w.varint(20, 5);
  return w.take();
}

// NodeProto (input 1, output 2, name 3, op_type 4, attribute 5, domain 7).
inline std::string node(const std::string& op_type, const std::vector<std::string>& inputs,
                        const std::vector<std::string>& outputs, const std::string& name = "",
                        const std::vector<std::string>& attrs = {}, const std::string& domain = "") {
  Writer w;
  for (const std::string& i : inputs) w.bytes(1, i);
  for (const std::string& o : outputs) w.bytes(2, o);
  if (!name.empty()) w.bytes(3, name);
  if (!op_type.empty()) w.bytes(4, op_type);
  for (const std::string& a : attrs) w.bytes(5, a);
  if (!domain.empty()) w.bytes(7, domain);
  return w.take();
}

// GraphProto (node 1, name 2, initializer 5, input 11, output 12, value_info 13).
struct GraphParts {
  std::string name = "g";
  std::vector<std::string> nodes, initializers, inputs, outputs, value_infos;
  std::string extra;  // appended raw bytes (unknown fields, sparse_initializer, ...)
};

inline std::string graph(const GraphParts& p) {
  Writer w;
  for (const std::string& n : p.nodes) w.bytes(1, n);
  if (!p.name.empty()) w.bytes(2, p.name);
  for (const std::string& t : p.initializers) w.bytes(5, t);
  for (const std::string& v : p.inputs) w.bytes(11, v);
  for (const std::string& v : p.outputs) w.bytes(12, v);
  for (const std::string& v : p.value_infos) w.bytes(13, v);
  w.raw(p.extra);
  return w.take();
}

// ModelProto (ir_version 1, producer_name 2, producer_version 3, doc_string 6, graph 7, opset_import 8,
// metadata_props 14).
struct ModelParts {
  int64_t ir_version = 8;
  std::vector<std::pair<std::string, int64_t>> opsets = {{"", 17}};
  std::string producer_name = "edgerun-test";
  std::string producer_version = "1.0";
  std::string doc_string;
  std::vector<std::pair<std::string, std::string>> metadata;
  bool has_graph = true;
};

inline std::string model(const std::string& graph_bytes, const ModelParts& p = {}) {
  Writer w;
  w.int64(1, p.ir_version);
  w.bytes(2, p.producer_name);
  w.bytes(3, p.producer_version);
  if (!p.doc_string.empty()) w.bytes(6, p.doc_string);
  if (p.has_graph) w.bytes(7, graph_bytes);
  for (const auto& [domain, version] : p.opsets) {
    Writer op;
    if (!domain.empty()) op.bytes(1, domain);
    op.int64(2, version);
    w.message(8, op);
  }
  for (const auto& [k, v] : p.metadata) {
    Writer kv;
    kv.bytes(1, k);
    kv.bytes(2, v);
    w.message(14, kv);
  }
  return w.take();
}

}  // namespace edgerun::testing
