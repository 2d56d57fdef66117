// Graph IR: what the ONNX loader produces and the planner consumes.
// Values are referred to by index into Graph::values; -1 marks an omitted optional input/output.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "edgerun/status.h"
#include "edgerun/tensor.h"

namespace edgerun {

class MappedFile;
struct Graph;

// Values equal ONNX AttributeProto.AttributeType.
enum class AttrType : int32_t {
  kUndefined = 0, kFloat = 1, kInt = 2, kString = 3, kTensor = 4, kGraph = 5,
  kFloats = 6, kInts = 7, kStrings = 8, kTensors = 9, kGraphs = 10,
  kSparseTensor = 11, kSparseTensors = 12, kTypeProto = 13, kTypeProtos = 14,
};

struct Attribute {
  std::string name;
  AttrType type = AttrType::kUndefined;
  float f = 0.0f;
  int64_t i = 0;
  std::string s;
  Tensor t;
  std::shared_ptr<Graph> g;
  std::vector<float> floats;
  std::vector<int64_t> ints;
  std::vector<std::string> strings;
  std::vector<Tensor> tensors;
};

struct Node {
  std::string name;      // may be empty in the file; the loader fills "<op_type>_<index>"
  std::string op_type;
  std::string domain;    // "" for the default ai.onnx domain
  std::vector<int> inputs;   // value ids, -1 = omitted optional
  std::vector<int> outputs;  // value ids, -1 = omitted optional
  std::vector<Attribute> attrs;

  const Attribute* attr(std::string_view attr_name) const;
  bool has_attr(std::string_view attr_name) const { return attr(attr_name) != nullptr; }
  int64_t attr_int(std::string_view attr_name, int64_t def) const;
  float attr_float(std::string_view attr_name, float def) const;
  std::string attr_string(std::string_view attr_name, const std::string& def) const;
  std::vector<int64_t> attr_ints(std::string_view attr_name, const std::vector<int64_t>& def = {}) const;
  std::vector<float> attr_floats(std::string_view attr_name, const std::vector<float>& def = {}) const;
  // "node 'conv_0' (Conv)" for error messages.
  std::string describe() const;
};

// A float32 constant the graph passes defined but did not compute: initializer `source` with every slice along
// dim 0 multiplied by scale[c] (Conv weights with a BatchNormalization or per-channel Mul folded in). The plan
// computes it just before preparing the first node that reads it and drops it (and the source, which it can
// restore) once that node has packed it, so loading never holds a second copy of all folded weights.
struct ScaledConstant {
  int source = -1;            // value id of a float32 initializer, rank >= 1, dim 0 == scale.size()
  std::vector<double> scale;  // per slice of dim 0

  // src (the source's data) * scale as a new tensor; undefined when out of memory.
  Tensor compute(const Tensor& src) const;
};

struct Value {
  std::string name;
  DType dtype = DType::kUndefined;  // from value_info / inputs / outputs when the file states it
  bool has_shape = false;
  Shape shape;                      // -1 for a dimension not known in the file
  std::vector<std::string> dim_names;  // symbolic names of dims ("batch"), "" where fixed or unnamed
  Tensor initializer;               // defined for initializers and Constant-folded values
  std::shared_ptr<const ScaledConstant> scaled;  // set (and initializer undefined) for a deferred folded constant
  int producer = -1;                // node index, -1 for graph inputs and initializers
};

struct Graph {
  std::string name;
  std::vector<Value> values;
  std::vector<Node> nodes;      // in file order (ONNX requires topological order; the loader checks)
  std::vector<int> inputs;      // real inputs only: inputs that also have an initializer are constants
  std::vector<int> outputs;

  int find_value(std::string_view value_name) const;  // -1 if absent
  int add_value(const std::string& value_name);       // existing id if the name is known
 private:
  std::unordered_map<std::string, int> index_;
};

struct Model {
  int64_t ir_version = 0;
  std::map<std::string, int64_t> opsets;  // domain ("" = ai.onnx) -> version
  std::string producer_name;
  std::string producer_version;
  std::string doc_string;
  std::map<std::string, std::string> metadata;  // metadata_props
  std::string path;                             // file the model came from ("" if from memory)
  Graph graph;
  std::shared_ptr<MappedFile> file;             // keeps zero-copy initializers alive
  std::vector<std::shared_ptr<MappedFile>> external_files;
  // Value ids whose initializer tensor was dropped to save memory after every reader packed it (Session at
  // optimization level >= 1), and how to bring them back: set by whoever releases. Plan::build calls
  // ensure_initializers() first, so any later plan (new input shapes) sees the model whole again.
  std::vector<int> released_initializers;
  std::function<Status(Model&)> restore_initializers;
  // Restores released initializers (no-op when none). const because plans take the model by const reference:
  // the restored tensors are the values the model had, so the model is logically unchanged.
  Status ensure_initializers() const;

  // Opset version imported for `domain`; "ai.onnx" is the same as "". 0 if not imported.
  int64_t opset(std::string_view domain) const;
};

}  // namespace edgerun
