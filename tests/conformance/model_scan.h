// A shallow, independent look into ONNX files for the conformance runner: which ops and opsets a model
// imports, the declared types of its graph inputs/outputs and every tensor type it mentions, and the
// header (type, dims) of a serialized TensorProto.
//
// Why not just use the loader: the runner must classify a test *before* trusting the loader with it
// (a float8 test is "unsupported-dtype", not a loader failure; a test with an unregistered op is
// "unsupported-op" even if the loader also rejects it), and must stay independent of the code it checks.
// Only the protobuf wire format is read here; nothing is decoded beyond what classification needs.
#pragma once

#include "core/dtype_names.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "edgerun/status.h"

namespace edgerun::conformance {

// ONNX TypeProto value kinds (the field numbers of TypeProto's oneof).
enum class ValueKind : int { kUnknown = 0, kTensor = 1, kSequence = 4, kMap = 5, kSparseTensor = 8, kOptional = 9 };

inline const char* value_kind_name(ValueKind k) {
  switch (k) {
    case ValueKind::kTensor: return "tensor";
    case ValueKind::kSequence: return "sequence";
    case ValueKind::kMap: return "map";
    case ValueKind::kSparseTensor: return "sparse tensor";
    case ValueKind::kOptional: return "optional";
    default: return "unknown";
  }
}

// Names of every ONNX TensorProto.DataType, including the ones edgerun does not hold.
inline std::string onnx_type_name(int32_t t) {
  const char* name = ::edgerun::onnx_type_name(t);
  return *name ? std::string(name) : "data_type " + std::to_string(t);
}

struct ScannedIo {
  std::string name;
  ValueKind kind = ValueKind::kUnknown;
  int32_t elem_type = 0;        // tensor element type (for tensors; for sequence/optional the innermost one)
  std::vector<int64_t> dims;    // -1 for a symbolic or missing dimension
  bool has_shape = false;
};

struct ScannedNode {
  std::string domain;   // "" for ai.onnx
  std::string op_type;
  int depth = 0;        // 0 = main graph, 1+ = inside a subgraph attribute (If/Loop/Scan bodies)
};

struct ModelScan {
  int64_t ir_version = 0;
  std::map<std::string, int64_t> opsets;  // domain ("" = ai.onnx) -> version
  std::vector<ScannedNode> nodes;         // main graph first (file order), then subgraph nodes
  std::vector<ScannedIo> inputs;          // real inputs (initializer-backed inputs removed)
  std::vector<ScannedIo> outputs;
  std::set<int32_t> tensor_types;         // every element/data type mentioned anywhere in the model

  int64_t opset(std::string_view domain) const {
    std::string d(domain == "ai.onnx" ? std::string_view() : domain);
    auto it = opsets.find(d);
    return it == opsets.end() ? 0 : it->second;
  }
};

struct TensorHeader {
  std::string name;
  int32_t data_type = 0;
  std::vector<int64_t> dims;
};

namespace scan_detail {

// Protobuf wire-format cursor over [p, end).
class Wire {
 public:
  Wire(const uint8_t* p, size_t n) : p_(p), end_(p + n) {}
  bool done() const { return p_ >= end_ || bad_; }
  bool bad() const { return bad_; }

  uint64_t varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ >= end_) break;
      uint8_t b = *p_++;
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    bad_ = true;
    return 0;
  }

  // Reads the next field key; false at the end or on malformed input.
  bool next(uint32_t* field, uint32_t* wire_type) {
    if (done()) return false;
    uint64_t key = varint();
    if (bad_) return false;
    *field = static_cast<uint32_t>(key >> 3);
    *wire_type = static_cast<uint32_t>(key & 7);
    return true;
  }

  // Length-delimited payload.
  Wire sub() {
    uint64_t n = varint();
    if (bad_ || n > static_cast<uint64_t>(end_ - p_)) {
      bad_ = true;
      return Wire(p_, 0);
    }
    Wire w(p_, static_cast<size_t>(n));
    p_ += n;
    return w;
  }
  std::string str() {
    Wire w = sub();
    return std::string(reinterpret_cast<const char*>(w.p_), static_cast<size_t>(w.end_ - w.p_));
  }

  void skip(uint32_t wire_type) {
    switch (wire_type) {
      case 0: varint(); break;
      case 1: advance(8); break;
      case 2: sub(); break;
      case 5: advance(4); break;
      default: bad_ = true;
    }
  }

  // Repeated int64 field that may be packed (wire type 2) or not (wire type 0).
  void int64s(uint32_t wire_type, std::vector<int64_t>* out) {
    if (wire_type == 0) {
      out->push_back(static_cast<int64_t>(varint()));
    } else if (wire_type == 2) {
      Wire w = sub();
      while (!w.done()) out->push_back(static_cast<int64_t>(w.varint()));
      if (w.bad()) bad_ = true;
    } else {
      skip(wire_type);
    }
  }

 private:
  void advance(size_t n) {
    if (n > static_cast<size_t>(end_ - p_)) {
      bad_ = true;
      return;
    }
    p_ += n;
  }
  const uint8_t* p_;
  const uint8_t* end_;
  bool bad_ = false;
};

inline void scan_tensor_type_only(Wire w, ModelScan* m) {  // TensorProto: data_type = 2
  uint32_t f, wt;
  while (w.next(&f, &wt)) {
    if (f == 2 && wt == 0) m->tensor_types.insert(static_cast<int32_t>(w.varint()));
    else w.skip(wt);
  }
}

// TypeProto -> kind and innermost element type. Tensor{elem_type=1, shape=2}; Sequence{elem_type=1};
// Map{key_type=1, value_type=2}; Optional{elem_type=1}; SparseTensor{elem_type=1, shape=2}.
inline void scan_type(Wire w, ScannedIo* io, ModelScan* m, bool outer) {
  uint32_t f, wt;
  while (w.next(&f, &wt)) {
    if (wt != 2 || (f != 1 && f != 4 && f != 5 && f != 8 && f != 9)) {
      w.skip(wt);
      continue;
    }
    if (outer) io->kind = static_cast<ValueKind>(f);
    Wire t = w.sub();
    uint32_t tf, twt;
    while (t.next(&tf, &twt)) {
      if ((f == 1 || f == 8) && tf == 1 && twt == 0) {
        io->elem_type = static_cast<int32_t>(t.varint());
        m->tensor_types.insert(io->elem_type);
      } else if ((f == 1 || f == 8) && tf == 2 && twt == 2 && outer) {  // TensorShapeProto{dim=1}
        io->has_shape = true;
        Wire shape = t.sub();
        uint32_t sf, swt;
        while (shape.next(&sf, &swt)) {
          if (sf != 1 || swt != 2) {
            shape.skip(swt);
            continue;
          }
          Wire dim = shape.sub();  // Dimension{dim_value=1, dim_param=2}
          int64_t value = -1;
          uint32_t df, dwt;
          while (dim.next(&df, &dwt)) {
            if (df == 1 && dwt == 0) value = static_cast<int64_t>(dim.varint());
            else dim.skip(dwt);
          }
          io->dims.push_back(value);
        }
      } else if ((f == 4 || f == 9) && tf == 1 && twt == 2) {
        scan_type(t.sub(), io, m, false);
      } else if (f == 5 && tf == 1 && twt == 0) {
        m->tensor_types.insert(static_cast<int32_t>(t.varint()));
      } else if (f == 5 && tf == 2 && twt == 2) {
        scan_type(t.sub(), io, m, false);
      } else {
        t.skip(twt);
      }
    }
  }
}

inline ScannedIo scan_value_info(Wire w, ModelScan* m) {  // ValueInfoProto{name=1, type=2}
  ScannedIo io;
  uint32_t f, wt;
  while (w.next(&f, &wt)) {
    if (f == 1 && wt == 2) io.name = w.str();
    else if (f == 2 && wt == 2) scan_type(w.sub(), &io, m, true);
    else w.skip(wt);
  }
  return io;
}

inline bool scan_graph(Wire w, ModelScan* m, int depth);

// AttributeProto{t=5, g=6, tensors=10, graphs=11, sparse_tensor=22, sparse_tensors=23}
inline bool scan_attribute(Wire w, ModelScan* m, int depth) {
  uint32_t f, wt;
  while (w.next(&f, &wt)) {
    if ((f == 5 || f == 10) && wt == 2) scan_tensor_type_only(w.sub(), m);
    else if ((f == 6 || f == 11) && wt == 2) {
      if (!scan_graph(w.sub(), m, depth + 1)) return false;
    } else w.skip(wt);
  }
  return !w.bad();
}

// NodeProto{op_type=4, attribute=5, domain=7}
inline bool scan_node(Wire w, ModelScan* m, int depth) {
  ScannedNode n;
  n.depth = depth;
  size_t at = m->nodes.size();
  m->nodes.push_back(n);
  uint32_t f, wt;
  while (w.next(&f, &wt)) {
    if (f == 4 && wt == 2) m->nodes[at].op_type = w.str();
    else if (f == 7 && wt == 2) m->nodes[at].domain = w.str();
    else if (f == 5 && wt == 2) {
      if (!scan_attribute(w.sub(), m, depth)) return false;
    } else w.skip(wt);
  }
  if (m->nodes[at].domain == "ai.onnx") m->nodes[at].domain.clear();
  return !w.bad();
}

// GraphProto{node=1, initializer=5, input=11, output=12, value_info=13, sparse_initializer=15}
inline bool scan_graph(Wire w, ModelScan* m, int depth) {
  std::vector<ScannedIo> inputs, outputs;
  std::set<std::string> initializers;
  uint32_t f, wt;
  while (w.next(&f, &wt)) {
    if (f == 1 && wt == 2) {
      if (!scan_node(w.sub(), m, depth)) return false;
    } else if ((f == 5 || f == 15) && wt == 2) {
      Wire t = w.sub();
      // TensorProto{data_type=2, name=8}; SparseTensorProto{values=1 (a TensorProto)}
      Wire probe = t;
      uint32_t tf, twt;
      while (t.next(&tf, &twt)) {
        if (f == 5 && tf == 8 && twt == 2) initializers.insert(t.str());
        else t.skip(twt);
      }
      if (f == 5) {
        scan_tensor_type_only(probe, m);
      } else {
        while (probe.next(&tf, &twt)) {
          if (tf == 1 && twt == 2) scan_tensor_type_only(probe.sub(), m);
          else probe.skip(twt);
        }
      }
    } else if (f == 11 && wt == 2) {
      inputs.push_back(scan_value_info(w.sub(), m));
    } else if (f == 12 && wt == 2) {
      outputs.push_back(scan_value_info(w.sub(), m));
    } else if (f == 13 && wt == 2) {
      scan_value_info(w.sub(), m);
    } else {
      w.skip(wt);
    }
  }
  if (w.bad()) return false;
  if (depth == 0) {
    for (ScannedIo& io : inputs)
      if (!initializers.count(io.name)) m->inputs.push_back(std::move(io));
    m->outputs = std::move(outputs);
  }
  return true;
}

}  // namespace scan_detail

// ModelProto{ir_version=1, graph=7, opset_import=8 (OperatorSetIdProto{domain=1, version=2}), functions=25}
inline Expected<ModelScan> scan_model(const uint8_t* data, size_t size) {
  using scan_detail::Wire;
  ModelScan m;
  Wire w(data, size);
  bool has_graph = false;
  uint32_t f, wt;
  while (w.next(&f, &wt)) {
    if (f == 1 && wt == 0) {
      m.ir_version = static_cast<int64_t>(w.varint());
    } else if (f == 7 && wt == 2) {
      has_graph = true;
      if (!scan_detail::scan_graph(w.sub(), &m, 0)) return invalid_model("malformed GraphProto");
    } else if (f == 8 && wt == 2) {
      Wire o = w.sub();
      std::string domain;
      int64_t version = 0;
      uint32_t of, owt;
      while (o.next(&of, &owt)) {
        if (of == 1 && owt == 2) domain = o.str();
        else if (of == 2 && owt == 0) version = static_cast<int64_t>(o.varint());
        else o.skip(owt);
      }
      if (domain == "ai.onnx") domain.clear();
      m.opsets[domain] = version;
    } else {
      w.skip(wt);
    }
  }
  if (w.bad()) return invalid_model("malformed ModelProto");
  if (!has_graph) return invalid_model("ModelProto has no graph");
  // Put main-graph nodes first (subgraph nodes were appended while their parent node was open).
  std::stable_sort(m.nodes.begin(), m.nodes.end(),
                   [](const ScannedNode& a, const ScannedNode& b) { return (a.depth > 0) < (b.depth > 0); });
  return m;
}

// TensorProto{dims=1, data_type=2, name=8}
inline Expected<TensorHeader> scan_tensor_header(const uint8_t* data, size_t size) {
  scan_detail::Wire w(data, size);
  TensorHeader h;
  uint32_t f, wt;
  while (w.next(&f, &wt)) {
    if (f == 1) w.int64s(wt, &h.dims);
    else if (f == 2 && wt == 0) h.data_type = static_cast<int32_t>(w.varint());
    else if (f == 8 && wt == 2) h.name = w.str();
    else w.skip(wt);
  }
  if (w.bad()) return invalid_model("malformed TensorProto");
  return h;
}

}  // namespace edgerun::conformance
