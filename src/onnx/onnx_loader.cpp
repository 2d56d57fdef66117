// ModelProto -> Model. The file is read in place: messages are walked with wire::Reader over the mmap,
// and raw_data initializers become views into it. Field numbers follow onnx.proto (ONNX IR spec).
#include "onnx/onnx_loader.h"

#include <algorithm>
#include <filesystem>
#include <limits>
#include <map>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "onnx/tensor_decode.h"
#include "onnx/wire.h"

namespace edgerun {
namespace {

using onnx::TensorProtoFields;
using wire::Field;
using wire::Reader;
using wire::WireType;

namespace model_field {
constexpr uint32_t kIrVersion = 1, kProducerName = 2, kProducerVersion = 3, kDomain = 4, kModelVersion = 5,
                   kDocString = 6, kGraph = 7, kOpsetImport = 8, kMetadataProps = 14;
}
namespace graph_field {
constexpr uint32_t kNode = 1, kName = 2, kInitializer = 5, kDocString = 10, kInput = 11, kOutput = 12,
                   kValueInfo = 13, kSparseInitializer = 15;
}
namespace node_field {
constexpr uint32_t kInput = 1, kOutput = 2, kName = 3, kOpType = 4, kAttribute = 5, kDocString = 6, kDomain = 7;
}
namespace attr_field {
constexpr uint32_t kName = 1, kF = 2, kI = 3, kS = 4, kT = 5, kG = 6, kFloats = 7, kInts = 8, kStrings = 9,
                   kTensors = 10, kGraphs = 11, kDocString = 13, kTp = 14, kTypeProtos = 15, kType = 20,
                   kRefAttrName = 21, kSparseTensor = 22, kSparseTensors = 23;
}
// AttributeProto.AttributeType values beyond AttrType's range.
constexpr int64_t kAttrSparseTensor = 11, kAttrSparseTensors = 12, kAttrTypeProto = 13, kAttrTypeProtos = 14;

Status read_string(const Field& f, std::string* out, std::string_view what) {
  ER_RETURN_IF_ERROR(wire::expect_type(f, WireType::kLen, what));
  *out = f.str();
  return Status();
}

Status read_int(const Field& f, int64_t* out, std::string_view what) {
  ER_RETURN_IF_ERROR(wire::expect_type(f, WireType::kVarint, what));
  *out = f.as_int64();
  return Status();
}

std::string normalize_domain(std::string domain) { return domain == "ai.onnx" ? std::string() : domain; }

// A StringStringEntryProto / OperatorSetIdProto: (string 1, string-or-int 2).
Status read_key_value(Reader r, std::string* key, std::string* value, std::string_view what) {
  Field f;
  while (!r.done()) {
    ER_RETURN_IF_ERROR(r.next(&f));
    if (f.number == 1) ER_RETURN_IF_ERROR(read_string(f, key, what));
    if (f.number == 2) ER_RETURN_IF_ERROR(read_string(f, value, what));
  }
  return Status();
}

// ValueInfoProto with its TypeProto.tensor_type; other kinds (sequence, map, optional) carry no dtype.
struct ValueInfoData {
  std::string name;
  bool has_tensor_type = false;
  int32_t elem_type = 0;
  bool has_shape = false;
  Shape shape;
  std::vector<std::string> dim_names;
};

Status read_dimension(Reader r, int64_t* dim, std::string* dim_name) {
  Field f;
  *dim = -1;
  while (!r.done()) {
    ER_RETURN_IF_ERROR(r.next(&f));
    if (f.number == 1) {
      ER_RETURN_IF_ERROR(read_int(f, dim, "dim_value"));
      if (*dim < 0) *dim = -1;  // some exporters write -1 for "dynamic"
    } else if (f.number == 2) {
      ER_RETURN_IF_ERROR(read_string(f, dim_name, "dim_param"));
    }
  }
  if (*dim >= 0) dim_name->clear();
  return Status();
}

Status read_tensor_type(Reader r, ValueInfoData* out) {
  Field f;
  out->has_tensor_type = true;
  while (!r.done()) {
    ER_RETURN_IF_ERROR(r.next(&f));
    if (f.number == 1) {
      int64_t t = 0;
      ER_RETURN_IF_ERROR(read_int(f, &t, "elem_type"));
      out->elem_type = t < std::numeric_limits<int32_t>::min() || t > std::numeric_limits<int32_t>::max()
                          ? -1
                          : static_cast<int32_t>(t);
    } else if (f.number == 2) {
      ER_ASSIGN_OR_RETURN(Reader shape, r.sub(f));
      out->has_shape = true;
      out->shape.clear();
      out->dim_names.clear();
      Field d;
      while (!shape.done()) {
        ER_RETURN_IF_ERROR(shape.next(&d));
        if (d.number != 1) continue;
        ER_ASSIGN_OR_RETURN(Reader dim, shape.sub(d));
        int64_t value = -1;
        std::string name;
        ER_RETURN_IF_ERROR(read_dimension(dim, &value, &name));
        out->shape.push_back(value);
        out->dim_names.push_back(std::move(name));
      }
    }
  }
  return Status();
}

Status read_value_info(Reader r, ValueInfoData* out) {
  Field f;
  while (!r.done()) {
    ER_RETURN_IF_ERROR(r.next(&f));
    if (f.number == 1) {
      ER_RETURN_IF_ERROR(read_string(f, &out->name, "ValueInfoProto.name"));
    } else if (f.number == 2) {
      ER_ASSIGN_OR_RETURN(Reader type, r.sub(f));
      Field t;
      while (!type.done()) {
        ER_RETURN_IF_ERROR(type.next(&t));
        if (t.number == 1) {  // tensor_type; sequence/map/optional/sparse types are skipped
          ER_ASSIGN_OR_RETURN(Reader tensor, type.sub(t));
          ER_RETURN_IF_ERROR(read_tensor_type(tensor, out));
        }
      }
    }
  }
  return Status();
}

// The raw fields of an AttributeProto, decoded by type afterwards (a GRAPH is only parsed when used).
struct AttrFields {
  std::string name;
  std::string ref_attr_name;
  int64_t type = 0;
  bool has_f = false, has_i = false, has_s = false, has_t = false, has_g = false, has_sparse = false, has_tp = false;
  float f = 0;
  int64_t i = 0;
  Field s, t, g, tp;
  std::vector<float> floats;
  std::vector<int64_t> ints;
  std::vector<Field> strings, tensors, graphs, sparse_tensors, type_protos;
};

const char* attr_type_name(int64_t type) {
  static const char* const kNames[] = {"UNDEFINED", "FLOAT", "INT", "STRING", "TENSOR", "GRAPH", "FLOATS", "INTS",
                                       "STRINGS", "TENSORS", "GRAPHS", "SPARSE_TENSOR", "SPARSE_TENSORS",
                                       "TYPE_PROTO", "TYPE_PROTOS"};
  return type >= 0 && type <= 14 ? kNames[type] : "unknown";
}

// One graph being built, with the scopes around it (a subgraph may use values of the graphs it is nested in).
struct GraphScope {
  Graph* graph = nullptr;
  const GraphScope* parent = nullptr;
  // Initializers edgerun cannot hold (string, float8...): an error only if something uses them.
  std::unordered_map<int, Status> deferred;
};

class OnnxLoader {
 public:
  OnnxLoader(std::shared_ptr<MappedFile> file, std::string base_dir)
      : file_(std::move(file)), base_dir_(std::move(base_dir)) {
    source_.keepalive = file_;
    source_.load_external = [this](const TensorProtoFields& f, DType dt, const Shape& dims, size_t nbytes) {
      return load_external(f, dt, dims, nbytes);
    };
  }

  Status load(Model* model);

 private:
  Status read_model(Reader r, Model* model);
  Status read_graph(Reader r, Graph* graph, const GraphScope* parent);
  Status read_node(Reader r, size_t index, GraphScope& scope, Node* node);
  Status read_attribute(Reader r, GraphScope& scope, Attribute* attr);
  Expected<Tensor> read_tensor(Reader r, std::string* name = nullptr);
  Expected<Tensor> load_external(const TensorProtoFields& f, DType dt, const Shape& dims, size_t nbytes);
  Expected<std::shared_ptr<MappedFile>> open_external(const std::string& location, const std::string& what);
  // Value id of `name` as seen from `scope`, -1 if nothing defines it. Error if it is a deferred initializer.
  Expected<int> resolve(GraphScope& scope, const std::string& name);

  std::shared_ptr<MappedFile> file_;
  std::string base_dir_;
  Model* model_ = nullptr;
  onnx::TensorSource source_;
  std::map<std::string, std::shared_ptr<MappedFile>> external_;  // normalized relative path -> file
};

Status OnnxLoader::load(Model* model) {
  model_ = model;
  model->file = file_;
  if (file_->size() == 0) return invalid_model("empty file");
  return read_model(Reader(file_->data(), file_->size()), model);
}

Status OnnxLoader::read_model(Reader r, Model* m) {
  namespace mf = model_field;
  Field f;
  Field graph;
  bool has_graph = false;
  std::string ignored;
  int64_t ignored_int = 0;
  while (!r.done()) {
    ER_RETURN_IF_ERROR(r.next(&f));
    switch (f.number) {
      case mf::kIrVersion: ER_RETURN_IF_ERROR(read_int(f, &m->ir_version, "ir_version")); break;
      case mf::kProducerName: ER_RETURN_IF_ERROR(read_string(f, &m->producer_name, "producer_name")); break;
      case mf::kProducerVersion: ER_RETURN_IF_ERROR(read_string(f, &m->producer_version, "producer_version")); break;
      case mf::kDomain: ER_RETURN_IF_ERROR(read_string(f, &ignored, "domain")); break;  // no place in the IR
      case mf::kModelVersion: ER_RETURN_IF_ERROR(read_int(f, &ignored_int, "model_version")); break;
      case mf::kDocString: ER_RETURN_IF_ERROR(read_string(f, &m->doc_string, "doc_string")); break;
      case mf::kGraph:
        ER_RETURN_IF_ERROR(wire::expect_type(f, WireType::kLen, "graph"));
        graph = f;
        has_graph = true;
        break;
      case mf::kOpsetImport: {
        ER_ASSIGN_OR_RETURN(Reader op, r.sub(f));
        std::string domain;
        int64_t version = 0;
        Field e;
        while (!op.done()) {
          ER_RETURN_IF_ERROR(op.next(&e));
          if (e.number == 1) ER_RETURN_IF_ERROR(read_string(e, &domain, "opset_import.domain"));
          if (e.number == 2) ER_RETURN_IF_ERROR(read_int(e, &version, "opset_import.version"));
        }
        m->opsets[normalize_domain(domain)] = version;
        break;
      }
      case mf::kMetadataProps: {
        ER_ASSIGN_OR_RETURN(Reader kv, r.sub(f));
        std::string key, value;
        ER_RETURN_IF_ERROR(read_key_value(kv, &key, &value, "metadata_props"));
        m->metadata[key] = value;
        break;
      }
      default: break;  // functions, training_info, newer fields: not needed to run the graph
    }
  }
  if (!has_graph) return invalid_model("model has no graph");
  // Before IR version 3 there was no opset_import; such models use the default domain's version 1.
  if (m->opsets.empty() && m->ir_version < 3) m->opsets[""] = 1;
  ER_ASSIGN_OR_RETURN(Reader g, r.sub(graph));
  return read_graph(g, &m->graph, nullptr);
}

Expected<Tensor> OnnxLoader::read_tensor(Reader r, std::string* name) {
  TensorProtoFields fields;
  ER_RETURN_IF_ERROR(onnx::read_tensor_fields(r, &fields));
  if (name) *name = fields.name;
  return onnx::make_tensor(fields, source_);
}

Expected<int> OnnxLoader::resolve(GraphScope& scope, const std::string& name) {
  int id = scope.graph->find_value(name);
  if (id >= 0) {
    auto it = scope.deferred.find(id);
    if (it != scope.deferred.end()) return it->second;
    return id;
  }
  for (const GraphScope* outer = scope.parent; outer; outer = outer->parent) {
    int outer_id = outer->graph->find_value(name);
    if (outer_id < 0) continue;
    auto it = outer->deferred.find(outer_id);
    if (it != outer->deferred.end()) return it->second;
    // An outer-scope value gets a local value of the same name: producer -1, not an input, no initializer.
    // Its dtype and shape are copied so the subgraph can be planned; its data comes from the outer graph.
    const Value& src = outer->graph->values[static_cast<size_t>(outer_id)];  // another graph: stays valid
    int local = scope.graph->add_value(name);
    Value& v = scope.graph->values[static_cast<size_t>(local)];
    v.dtype = src.initializer.defined() ? src.initializer.dtype() : src.dtype;
    v.has_shape = src.has_shape;
    v.shape = src.shape;
    v.dim_names = src.dim_names;
    return local;
  }
  return -1;
}

// Applies a ValueInfoProto's type to a value. `strict`: an element type edgerun cannot hold is an error
// (graph inputs and outputs); otherwise it is only a hint and is ignored.
Status apply_value_info(const ValueInfoData& vi, Value* v, bool strict) {
  if (vi.has_tensor_type && vi.elem_type != 0) {
    Expected<DType> dt = onnx::dtype_from_onnx(vi.elem_type, str_cat("value '", vi.name, "'"));
    if (!dt.ok()) {
      if (strict) return dt.status();
    } else if (v->dtype == DType::kUndefined) {
      v->dtype = *dt;
    }
  }
  if (vi.has_tensor_type && vi.has_shape && !v->has_shape) {
    v->has_shape = true;
    v->shape = vi.shape;
    v->dim_names = vi.dim_names;
  }
  return Status();
}

Status OnnxLoader::read_graph(Reader r, Graph* g, const GraphScope* parent) {
  namespace gf = graph_field;
  std::vector<Field> nodes, initializers, sparse, inputs, outputs, value_infos;
  Field f;
  std::string doc;
  // Fields may come in any order: collect them, then build in dependency order.
  while (!r.done()) {
    ER_RETURN_IF_ERROR(r.next(&f));
    std::vector<Field>* list = nullptr;
    switch (f.number) {
      case gf::kNode: list = &nodes; break;
      case gf::kInitializer: list = &initializers; break;
      case gf::kSparseInitializer: list = &sparse; break;
      case gf::kInput: list = &inputs; break;
      case gf::kOutput: list = &outputs; break;
      case gf::kValueInfo: list = &value_infos; break;
      case gf::kName: ER_RETURN_IF_ERROR(read_string(f, &g->name, "graph name")); break;
      case gf::kDocString: ER_RETURN_IF_ERROR(read_string(f, &doc, "graph doc_string")); break;
      default: break;
    }
    if (list) {
      ER_RETURN_IF_ERROR(wire::expect_type(f, WireType::kLen, "graph field"));
      list->push_back(f);
    }
  }
  const std::string label = g->name.empty() ? std::string("graph") : str_cat("graph '", g->name, "'");
  auto in_graph = [&](const Status& st) { return st.ok() ? st : st.with_context(label); };

  if (!sparse.empty()) {
    // SparseTensorProto.values (field 1) is a TensorProto whose name is the initializer's name.
    std::string name;
    Expected<Reader> sr = r.sub(sparse[0]);
    Field sf;
    while (sr.ok() && !sr->done() && sr->next(&sf).ok()) {
      if (sf.number != 1 || sf.type != WireType::kLen) continue;
      TensorProtoFields values;
      Expected<Reader> vr = sr->sub(sf);
      if (vr.ok() && onnx::read_tensor_fields(*vr, &values).ok()) name = values.name;
    }
    return unsupported(label, ": sparse_initializer '", name, "' is not supported (sparse tensors)");
  }

  GraphScope scope;
  scope.graph = g;
  scope.parent = parent;

  for (size_t i = 0; i < initializers.size(); ++i) {
    ER_ASSIGN_OR_RETURN(Reader tr, r.sub(initializers[i]));
    TensorProtoFields fields;
    ER_RETURN_IF_ERROR(onnx::read_tensor_fields(tr, &fields));
    if (fields.name.empty()) return invalid_model(label, ": initializer #", i, " has no name");
    if (g->find_value(fields.name) >= 0)
      return invalid_model(label, ": initializer '", fields.name, "' is defined twice");
    Expected<Tensor> t = onnx::make_tensor(fields, source_);
    int id = g->add_value(fields.name);
    Value& v = g->values[static_cast<size_t>(id)];
    if (!t.ok()) {
      if (t.status().code() != StatusCode::kUnsupported) return t.status();
      scope.deferred.emplace(id, t.status());
      continue;
    }
    // raw_data copied out of the mapping (unaligned): the copy is what gets read, so the file's pages under it
    // are not needed any more.
    const uint8_t* fb = file_->data();
    const uint8_t* tb = static_cast<const uint8_t*>(t->raw_data());
    if (fields.has_raw_data && fields.raw_size > 0 && fields.raw_data >= fb &&
        fields.raw_data + fields.raw_size <= fb + file_->size() && !(tb >= fb && tb < fb + file_->size()))
      file_->release_pages(static_cast<size_t>(fields.raw_data - fb), fields.raw_size);
    v.dtype = t->dtype();
    v.has_shape = true;
    v.shape = t->shape();
    v.dim_names.assign(v.shape.size(), std::string());
    v.initializer = std::move(*t);
  }

  for (size_t i = 0; i < inputs.size(); ++i) {
    ER_ASSIGN_OR_RETURN(Reader vr, r.sub(inputs[i]));
    ValueInfoData vi;
    ER_RETURN_IF_ERROR(in_graph(read_value_info(vr, &vi).with_context(str_cat("input #", i))));
    if (vi.name.empty()) return invalid_model(label, ": input #", i, " has no name");
    int id = g->find_value(vi.name);
    if (id >= 0) {
      // Before IR version 4, initializers were also listed as inputs: they stay constants.
      const Value& v = g->values[static_cast<size_t>(id)];
      if (v.initializer.defined() || scope.deferred.count(id)) continue;
      return invalid_model(label, ": input '", vi.name, "' is listed twice");
    }
    id = g->add_value(vi.name);
    ER_RETURN_IF_ERROR(apply_value_info(vi, &g->values[static_cast<size_t>(id)], true));
    g->inputs.push_back(id);
  }

  g->nodes.reserve(nodes.size());
  for (size_t i = 0; i < nodes.size(); ++i) {
    ER_ASSIGN_OR_RETURN(Reader nr, r.sub(nodes[i]));
    Node node;
    ER_RETURN_IF_ERROR(read_node(nr, i, scope, &node));
    g->nodes.push_back(std::move(node));
  }

  for (size_t i = 0; i < outputs.size(); ++i) {
    ER_ASSIGN_OR_RETURN(Reader vr, r.sub(outputs[i]));
    ValueInfoData vi;
    ER_RETURN_IF_ERROR(in_graph(read_value_info(vr, &vi).with_context(str_cat("output #", i))));
    if (vi.name.empty()) return invalid_model(label, ": output #", i, " has no name");
    Expected<int> id = resolve(scope, vi.name);
    if (!id.ok()) return id.status().with_context(str_cat(label, ": output '", vi.name, "'"));
    if (*id < 0)
      return invalid_model(label, ": output '", vi.name, "' is not produced by any node, input or initializer");
    ER_RETURN_IF_ERROR(apply_value_info(vi, &g->values[static_cast<size_t>(*id)], true));
    g->outputs.push_back(*id);
  }

  for (size_t i = 0; i < value_infos.size(); ++i) {
    ER_ASSIGN_OR_RETURN(Reader vr, r.sub(value_infos[i]));
    ValueInfoData vi;
    ER_RETURN_IF_ERROR(in_graph(read_value_info(vr, &vi).with_context(str_cat("value_info #", i))));
    int id = g->find_value(vi.name);
    if (id < 0) continue;  // describes a value no node uses: harmless
    ER_RETURN_IF_ERROR(apply_value_info(vi, &g->values[static_cast<size_t>(id)], false));
  }
  return Status();
}

Status OnnxLoader::read_node(Reader r, size_t index, GraphScope& scope, Node* node) {
  namespace nf = node_field;
  std::vector<std::string> input_names, output_names;
  std::vector<Field> attr_fields;
  Field f;
  std::string doc;
  Status st;
  while (!r.done()) {
    st = r.next(&f);
    if (!st.ok()) break;
    switch (f.number) {
      case nf::kInput: st = read_string(f, &input_names.emplace_back(), "NodeProto.input"); break;
      case nf::kOutput: st = read_string(f, &output_names.emplace_back(), "NodeProto.output"); break;
      case nf::kName: st = read_string(f, &node->name, "NodeProto.name"); break;
      case nf::kOpType: st = read_string(f, &node->op_type, "NodeProto.op_type"); break;
      case nf::kDomain: st = read_string(f, &node->domain, "NodeProto.domain"); break;
      case nf::kDocString: st = read_string(f, &doc, "NodeProto.doc_string"); break;
      case nf::kAttribute:
        st = wire::expect_type(f, WireType::kLen, "NodeProto.attribute");
        attr_fields.push_back(f);
        break;
      default: break;
    }
    if (!st.ok()) break;
  }
  if (!st.ok())
    return st.with_context(node->name.empty() ? str_cat("node #", index) : str_cat("node '", node->name, "'"));
  if (node->op_type.empty())
    return invalid_model(node->name.empty() ? str_cat("node #", index) : str_cat("node '", node->name, "'"),
                         ": op_type is empty");
  if (node->name.empty()) node->name = str_cat(node->op_type, "_", index);
  node->domain = normalize_domain(std::move(node->domain));
  const std::string who = node->describe();

  node->attrs.reserve(attr_fields.size());
  for (const Field& af : attr_fields) {
    ER_ASSIGN_OR_RETURN(Reader ar, r.sub(af));
    Attribute a;
    Status ast = read_attribute(ar, scope, &a);
    if (!ast.ok()) return ast.with_context(a.name.empty() ? who : str_cat(who, ": attribute '", a.name, "'"));
    if (node->has_attr(a.name)) return invalid_model(who, ": attribute '", a.name, "' appears twice");
    node->attrs.push_back(std::move(a));
  }

  Graph* g = scope.graph;
  for (const std::string& name : input_names) {
    if (name.empty()) {
      node->inputs.push_back(-1);
      continue;
    }
    Expected<int> id = resolve(scope, name);
    if (!id.ok()) return id.status().with_context(str_cat(who, ": input '", name, "'"));
    if (*id < 0)
      return invalid_model(who, ": input '", name,
                           "' is not a graph input, an initializer or the output of an earlier node");
    node->inputs.push_back(*id);
  }
  // The node is appended after this returns, at this index.
  const int node_index = static_cast<int>(g->nodes.size());
  for (const std::string& name : output_names) {
    if (name.empty()) {
      node->outputs.push_back(-1);
      continue;
    }
    int existing = g->find_value(name);
    if (existing >= 0) {
      const Value& v = g->values[static_cast<size_t>(existing)];
      std::string by;
      if (v.producer == node_index)
        by = "is listed twice among its outputs";
      else if (v.producer >= 0)
        by = str_cat("is already produced by ", g->nodes[static_cast<size_t>(v.producer)].describe());
      else if (v.initializer.defined() || scope.deferred.count(existing))
        by = "is also an initializer";
      else if (std::find(g->inputs.begin(), g->inputs.end(), existing) != g->inputs.end())
        by = "is also a graph input";
      else
        by = "is also a value of an enclosing graph";
      return invalid_model(who, ": output '", name, "' ", by);
    }
    int id = g->add_value(name);
    g->values[static_cast<size_t>(id)].producer = node_index;
    node->outputs.push_back(id);
  }
  return Status();
}

Status OnnxLoader::read_attribute(Reader r, GraphScope& scope, Attribute* attr) {
  namespace af = attr_field;
  AttrFields a;
  Field f;
  // Length-delimited values are kept as spans and decoded once the type is known.
  auto keep = [](const Field& field, std::string_view what, Field* dst, bool* has) {
    Status st = wire::expect_type(field, WireType::kLen, what);
    if (st.ok()) *dst = field, *has = true;
    return st;
  };
  auto keep_all = [](const Field& field, std::string_view what, std::vector<Field>* dst) {
    Status st = wire::expect_type(field, WireType::kLen, what);
    if (st.ok()) dst->push_back(field);
    return st;
  };
  while (!r.done()) {
    ER_RETURN_IF_ERROR(r.next(&f));
    switch (f.number) {
      case af::kName: ER_RETURN_IF_ERROR(read_string(f, &a.name, "AttributeProto.name")); break;
      case af::kRefAttrName: ER_RETURN_IF_ERROR(read_string(f, &a.ref_attr_name, "ref_attr_name")); break;
      case af::kType: ER_RETURN_IF_ERROR(read_int(f, &a.type, "AttributeProto.type")); break;
      case af::kF:
        ER_RETURN_IF_ERROR(wire::expect_type(f, WireType::kFixed32, "AttributeProto.f"));
        a.f = f.as_float();
        a.has_f = true;
        break;
      case af::kI: ER_RETURN_IF_ERROR(read_int(f, &a.i, "AttributeProto.i")); a.has_i = true; break;
      case af::kS: ER_RETURN_IF_ERROR(keep(f, "AttributeProto.s", &a.s, &a.has_s)); break;
      case af::kT: ER_RETURN_IF_ERROR(keep(f, "AttributeProto.t", &a.t, &a.has_t)); break;
      case af::kG: ER_RETURN_IF_ERROR(keep(f, "AttributeProto.g", &a.g, &a.has_g)); break;
      case af::kTp: ER_RETURN_IF_ERROR(keep(f, "AttributeProto.tp", &a.tp, &a.has_tp)); break;
      case af::kSparseTensor: a.has_sparse = true; break;
      case af::kFloats: ER_RETURN_IF_ERROR(wire::append_floats(f, &a.floats, "AttributeProto.floats")); break;
      case af::kInts: ER_RETURN_IF_ERROR(wire::append_int64s(f, &a.ints, "AttributeProto.ints")); break;
      case af::kStrings: ER_RETURN_IF_ERROR(keep_all(f, "AttributeProto.strings", &a.strings)); break;
      case af::kTensors: ER_RETURN_IF_ERROR(keep_all(f, "AttributeProto.tensors", &a.tensors)); break;
      case af::kGraphs: ER_RETURN_IF_ERROR(keep_all(f, "AttributeProto.graphs", &a.graphs)); break;
      case af::kSparseTensors: a.sparse_tensors.push_back(f); break;
      case af::kTypeProtos: ER_RETURN_IF_ERROR(keep_all(f, "AttributeProto.type_protos", &a.type_protos)); break;
      default: break;  // doc_string, newer fields
    }
  }
  attr->name = a.name;
  if (a.name.empty()) return invalid_model("an attribute has no name");
  if (!a.ref_attr_name.empty())
    return invalid_model("refers to function attribute '", a.ref_attr_name, "', but the node is not in a function");

  int64_t type = a.type;
  if (type == 0) {
    // IR version 1 had no type field: infer it from the value present.
    if (a.has_f) type = 1;
    else if (a.has_i) type = 2;
    else if (a.has_s) type = 3;
    else if (a.has_t) type = 4;
    else if (a.has_g) type = 5;
    else if (!a.floats.empty()) type = 6;
    else if (!a.ints.empty()) type = 7;
    else if (!a.strings.empty()) type = 8;
    else if (!a.tensors.empty()) type = 9;
    else if (!a.graphs.empty()) type = 10;
    else if (a.has_sparse) type = kAttrSparseTensor;
    else if (!a.sparse_tensors.empty()) type = kAttrSparseTensors;
    else if (a.has_tp) type = kAttrTypeProto;
    else if (!a.type_protos.empty()) type = kAttrTypeProtos;
    else return invalid_model("has no type and no value");
  }
  if (type < 1 || type > 14) return invalid_model("has unknown attribute type ", type);
  attr->type = static_cast<AttrType>(type);
  switch (type) {
    case 1: attr->f = a.f; break;
    case 2: attr->i = a.i; break;
    case 3: attr->s = a.s.str(); break;
    case 4: {
      if (!a.has_t) return invalid_model("has type TENSOR but no tensor");
      ER_ASSIGN_OR_RETURN(Reader tr, r.sub(a.t));
      ER_ASSIGN_OR_RETURN(attr->t, read_tensor(tr));
      break;
    }
    case 5: {
      if (!a.has_g) return invalid_model("has type GRAPH but no graph");
      ER_ASSIGN_OR_RETURN(Reader gr, r.sub(a.g));
      auto sub = std::make_shared<Graph>();
      ER_RETURN_IF_ERROR(read_graph(gr, sub.get(), &scope));
      attr->g = std::move(sub);
      break;
    }
    case 6: attr->floats = std::move(a.floats); break;
    case 7: attr->ints = std::move(a.ints); break;
    case 8:
      for (const Field& s : a.strings) attr->strings.push_back(s.str());
      break;
    case 9:
      for (size_t i = 0; i < a.tensors.size(); ++i) {
        ER_ASSIGN_OR_RETURN(Reader tr, r.sub(a.tensors[i]));
        Expected<Tensor> t = read_tensor(tr);
        if (!t.ok()) return t.status().with_context(str_cat("tensor #", i));
        attr->tensors.push_back(std::move(*t));
      }
      break;
    case 10: return unsupported("attributes of type GRAPHS are not supported");
    case kAttrSparseTensor:
    case kAttrSparseTensors:
      return unsupported("attributes of type ", attr_type_name(type), " are not supported (sparse tensors)");
    case kAttrTypeProto:
      // No AttrType value for it yet: kept as the serialized TypeProto in `s`, type number 13.
      attr->s = a.tp.str();
      break;
    case kAttrTypeProtos:
      for (const Field& t : a.type_protos) attr->strings.push_back(t.str());
      break;
    default: break;
  }
  return Status();
}

// Makes `location` a relative path inside the model's directory: no absolute paths, no ".." above it.
Expected<std::string> normalize_location(const std::string& location, const std::string& what) {
  if (location.empty()) return invalid_model(what, ": external data has no location");
  if (location.find('\0') != std::string::npos)
    return invalid_model(what, ": external data location contains a NUL byte");
  if (location[0] == '/')
    return invalid_model(what, ": external data location '", location, "' is absolute; it must be relative to the "
                         "model's directory");
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= location.size()) {
    size_t end = location.find('/', start);
    if (end == std::string::npos) end = location.size();
    std::string part = location.substr(start, end - start);
    start = end + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (parts.empty())
        return invalid_model(what, ": external data location '", location, "' points outside the model's directory");
      parts.pop_back();
      continue;
    }
    parts.push_back(std::move(part));
  }
  if (parts.empty()) return invalid_model(what, ": external data location '", location, "' names no file");
  std::string rel;
  for (const std::string& p : parts) rel += (rel.empty() ? "" : "/") + p;
  return rel;
}

Expected<uint64_t> parse_decimal(const std::string& text, const std::string& what, const char* key) {
  if (text.empty() || text.size() > 19) return invalid_model(what, ": external data ", key, " '", text, "' is invalid");
  uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return invalid_model(what, ": external data ", key, " '", text, "' is not a number");
    v = v * 10 + static_cast<uint64_t>(c - '0');  // at most 19 digits: no overflow
  }
  return v;
}

Expected<std::shared_ptr<MappedFile>> OnnxLoader::open_external(const std::string& location, const std::string& what) {
  ER_ASSIGN_OR_RETURN(std::string rel, normalize_location(location, what));
  auto it = external_.find(rel);
  if (it != external_.end()) return it->second;
  namespace fs = std::filesystem;
  fs::path full = fs::path(base_dir_) / rel;
  // A symlink inside the model's directory must not lead out of it either.
  std::error_code ec_base, ec_full;
  fs::path base = fs::weakly_canonical(fs::path(base_dir_), ec_base);
  fs::path target = fs::weakly_canonical(full, ec_full);
  if (!ec_base && !ec_full) {
    auto b = base.begin(), t = target.begin();
    for (; b != base.end() && t != target.end() && *b == *t; ++b, ++t) {}
    if (b != base.end() && !b->empty())
      return invalid_model(what, ": external data location '", location, "' resolves outside the model's directory");
  }
  Expected<std::shared_ptr<MappedFile>> file = MappedFile::open(full.string());
  if (!file.ok()) return file.status().with_context(str_cat(what, ": external data"));
  external_.emplace(rel, *file);
  model_->external_files.push_back(*file);
  return *file;
}

Expected<Tensor> OnnxLoader::load_external(const TensorProtoFields& f, DType dt, const Shape& dims, size_t nbytes) {
  const std::string what = f.describe();
  std::string location, offset_text, length_text;
  bool has_offset = false, has_length = false;
  for (const auto& [key, value] : f.external_data) {
    if (key == "location") location = value;
    else if (key == "offset") offset_text = value, has_offset = true;
    else if (key == "length") length_text = value, has_length = true;
  }
  if (location.empty()) return invalid_model(what, ": data_location is EXTERNAL but no location is given");
  if (base_dir_.empty())
    return invalid_model(what, ": external data '", location,
                         "' cannot be resolved for a model loaded from memory (no model directory)");
  uint64_t offset = 0, length = nbytes;
  if (has_offset) {
    ER_ASSIGN_OR_RETURN(offset, parse_decimal(offset_text, what, "offset"));
  }
  if (has_length) {
    ER_ASSIGN_OR_RETURN(length, parse_decimal(length_text, what, "length"));
  }
  ER_ASSIGN_OR_RETURN(std::shared_ptr<MappedFile> file, open_external(location, what));
  if (offset > file->size())
    return invalid_model(what, ": external data offset ", offset, " is past the end of '", location, "' (",
                         file->size(), " bytes)");
  if (length > file->size() - offset)
    return invalid_model(what, ": external data [", offset, ", ", offset, "+", length, ") runs past the end of '",
                         location, "' (", file->size(), " bytes)");
  if (length != nbytes)
    return invalid_model(what, ": external data length is ", length, " bytes, but ", dtype_name(dt), " of shape ",
                         shape_str(dims), " needs ", nbytes);
  return onnx::tensor_over_bytes(dt, dims, file->data() + offset, nbytes, file);
}

}  // namespace

Expected<std::unique_ptr<Model>> load_onnx_model(const std::string& path) {
  ER_ASSIGN_OR_RETURN(std::shared_ptr<MappedFile> f, MappedFile::open(path));
  std::string dir = std::filesystem::path(path).parent_path().string();
  ER_ASSIGN_OR_RETURN(std::unique_ptr<Model> model, load_onnx_model(f, dir.empty() ? std::string(".") : dir));
  model->path = path;
  return model;
}

Expected<std::unique_ptr<Model>> load_onnx_model(std::shared_ptr<MappedFile> file, const std::string& base_dir) {
  if (!file) return invalid_argument("load_onnx_model: no file");
  auto model = std::make_unique<Model>();
  std::string name = file->path();
  OnnxLoader loader(std::move(file), base_dir);
  Status st = loader.load(model.get());
  if (!st.ok()) return name.empty() ? st : st.with_context(name);
  return model;
}

}  // namespace edgerun
