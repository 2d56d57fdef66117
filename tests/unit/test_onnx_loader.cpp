#include "onnx/onnx_loader.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "core/mmap_file.h"
#include "onnx/wire.h"
#include "test_data.h"
#include "unit/onnx_test_builder.h"

namespace edgerun {
namespace {

using namespace edgerun::testing;  // NOLINT: the builder helpers
namespace fs = std::filesystem;

Expected<std::unique_ptr<Model>> load_bytes(const std::string& bytes, const std::string& base_dir = "") {
  return load_onnx_model(MappedFile::from_bytes(bytes.data(), bytes.size()), base_dir);
}

const Value& value(const Graph& g, const std::string& name) {
  int id = g.find_value(name);
  EXPECT_GE(id, 0) << name;
  static const Value kNone;
  return id < 0 ? kNone : g.values[static_cast<size_t>(id)];
}

// A small float graph exercising the common structure: dynamic dims, old-IR initializer-as-input,
// unnamed nodes, omitted optional inputs, value_info.
std::string basic_model() {
  GraphParts g;
  g.name = "main";
  g.initializers = {tensor_f32("W", {3}, {1.0f, 2.0f, 3.0f}), tensor_f32("M", {}, {6.0f})};
  g.inputs = {value_info("X", 1, {-1, 3}, {"batch", ""}), value_info("W", 1, {3})};
  g.nodes = {node("Add", {"X", "W"}, {"Y"}), node("Relu", {"Y"}, {"Z"}, "relu"),
             node("Clip", {"Z", "", "M"}, {"out"}, "", {}, "ai.onnx")};
  g.outputs = {value_info("out", 1, {-1, 3}, {"batch", ""})};
  g.value_infos = {value_info("Y", 1, {-1, 3}), value_info("not_in_graph", 1, {1})};
  ModelParts p;
  p.ir_version = 3;
  p.opsets = {{"", 13}, {"com.microsoft", 1}};
  p.doc_string = "a test model";
  p.metadata = {{"author", "edgerun"}, {"license", "MIT"}};
  return model(graph(g), p);
}

TEST(OnnxLoader, BasicStructure) {
  Expected<std::unique_ptr<Model>> m = load_bytes(basic_model());
  ASSERT_TRUE(m.ok()) << m.status().message();
  const Model& model = **m;
  EXPECT_EQ(model.ir_version, 3);
  EXPECT_EQ(model.opset(""), 13);
  EXPECT_EQ(model.opset("ai.onnx"), 13);
  EXPECT_EQ(model.opset("com.microsoft"), 1);
  EXPECT_EQ(model.producer_name, "edgerun-test");
  EXPECT_EQ(model.producer_version, "1.0");
  EXPECT_EQ(model.doc_string, "a test model");
  EXPECT_EQ(model.metadata.at("license"), "MIT");
  EXPECT_EQ(model.metadata.at("author"), "edgerun");
  const Graph& g = model.graph;
  EXPECT_EQ(g.name, "main");

  // W is listed as an input (IR 3 style) but has an initializer: not a real input.
  ASSERT_EQ(g.inputs.size(), 1u);
  const Value& x = g.values[static_cast<size_t>(g.inputs[0])];
  EXPECT_EQ(x.name, "X");
  EXPECT_EQ(x.dtype, DType::kFloat32);
  EXPECT_TRUE(x.has_shape);
  EXPECT_EQ(x.shape, Shape({-1, 3}));
  EXPECT_EQ(x.dim_names, (std::vector<std::string>{"batch", ""}));
  EXPECT_EQ(x.producer, -1);

  const Value& w = value(g, "W");
  ASSERT_TRUE(w.initializer.defined());
  EXPECT_EQ(w.initializer.shape(), Shape({3}));
  EXPECT_EQ(w.initializer.data<float>()[2], 3.0f);
  EXPECT_EQ(w.dtype, DType::kFloat32);
  EXPECT_EQ(value(g, "M").initializer.rank(), 0);

  ASSERT_EQ(g.nodes.size(), 3u);
  EXPECT_EQ(g.nodes[0].name, "Add_0");
  EXPECT_EQ(g.nodes[0].op_type, "Add");
  EXPECT_EQ(g.nodes[1].name, "relu");
  EXPECT_EQ(g.nodes[2].name, "Clip_2");
  EXPECT_EQ(g.nodes[2].domain, "");  // "ai.onnx" is the default domain
  EXPECT_EQ(g.nodes[0].inputs, (std::vector<int>{g.find_value("X"), g.find_value("W")}));
  EXPECT_EQ(g.nodes[2].inputs, (std::vector<int>{g.find_value("Z"), -1, g.find_value("M")}));
  EXPECT_EQ(value(g, "Y").producer, 0);
  EXPECT_EQ(value(g, "Z").producer, 1);
  EXPECT_EQ(value(g, "out").producer, 2);
  EXPECT_EQ(g.find_value("not_in_graph"), -1);
  EXPECT_EQ(g.find_value(""), -1);

  // value_info and graph outputs give types to intermediate values.
  EXPECT_TRUE(value(g, "Y").has_shape);
  EXPECT_EQ(value(g, "Y").shape, Shape({-1, 3}));
  EXPECT_EQ(value(g, "Y").dtype, DType::kFloat32);
  EXPECT_FALSE(value(g, "Z").has_shape);
  ASSERT_EQ(g.outputs.size(), 1u);
  EXPECT_EQ(g.outputs[0], g.find_value("out"));
  EXPECT_EQ(value(g, "out").dim_names[0], "batch");
  EXPECT_TRUE(model.path.empty());
  EXPECT_TRUE(model.file != nullptr);
}

TEST(OnnxLoader, AttributesOfEveryType) {
  Writer untyped;  // IR-1 style: no type field, inferred from the value present
  untyped.bytes(1, "legacy");
  untyped.int64(3, 9);
  Writer unpacked;  // repeated ints written one field per value
  unpacked.bytes(1, "unpacked");
  unpacked.int64(8, 4);
  unpacked.int64(8, -5);
  unpacked.varint(20, 7);
  Writer strings;
  strings.bytes(1, "names");
  strings.bytes(9, "a");
  strings.bytes(9, "");
  strings.bytes(9, "ccc");
  strings.varint(20, 8);
  Writer tensors;
  tensors.bytes(1, "ts");
  tensors.bytes(10, tensor_f32("", {1}, {1.0f}));
  tensors.bytes(10, tensor_float_data("", {2}, {2.0f, 3.0f}));
  tensors.varint(20, 9);
  GraphParts body;
  body.name = "body";
  body.inputs = {value_info("b_in", 1, {1})};
  body.nodes = {node("Identity", {"b_in"}, {"b_out"})};
  body.outputs = {value_info("b_out", 1, {1})};

  GraphParts g;
  g.inputs = {value_info("X", 1, {2})};
  g.nodes = {node("Custom", {"X"}, {"Y"}, "c",
                  {attr_float("alpha", 0.25f), attr_int("axis", -2), attr_string("mode", "nearest"),
                   attr_tensor("value", tensor_f32("v", {2}, {4.0f, 5.0f})), attr_floats("scales", {1.5f, 2.5f}),
                   attr_ints("pads", {0, 1, -1, 1LL << 40}), strings.data(), tensors.data(),
                   attr_graph("body", graph(body)), untyped.data(), unpacked.data()},
                  "custom.domain")};
  g.outputs = {value_info("Y", 1, {2})};
  Expected<std::unique_ptr<Model>> m = load_bytes(model(graph(g)));
  ASSERT_TRUE(m.ok()) << m.status().message();
  const Node& n = (*m)->graph.nodes[0];
  EXPECT_EQ(n.domain, "custom.domain");
  EXPECT_EQ(n.describe(), "node 'c' (custom.domain.Custom)");
  ASSERT_EQ(n.attrs.size(), 11u);
  EXPECT_EQ(n.attr("alpha")->type, AttrType::kFloat);
  EXPECT_EQ(n.attr_float("alpha", 0), 0.25f);
  EXPECT_EQ(n.attr("axis")->type, AttrType::kInt);
  EXPECT_EQ(n.attr_int("axis", 0), -2);
  EXPECT_EQ(n.attr_string("mode", ""), "nearest");
  const Attribute* v = n.attr("value");
  ASSERT_EQ(v->type, AttrType::kTensor);
  EXPECT_EQ(v->t.shape(), Shape({2}));
  EXPECT_EQ(v->t.data<float>()[1], 5.0f);
  EXPECT_EQ(n.attr_floats("scales"), (std::vector<float>{1.5f, 2.5f}));
  EXPECT_EQ(n.attr_ints("pads"), (std::vector<int64_t>{0, 1, -1, 1LL << 40}));
  EXPECT_EQ(n.attr("names")->type, AttrType::kStrings);
  EXPECT_EQ(n.attr("names")->strings, (std::vector<std::string>{"a", "", "ccc"}));
  const Attribute* ts = n.attr("ts");
  ASSERT_EQ(ts->tensors.size(), 2u);
  EXPECT_EQ(ts->tensors[0].data<float>()[0], 1.0f);
  EXPECT_EQ(ts->tensors[1].data<float>()[1], 3.0f);
  const Attribute* b = n.attr("body");
  ASSERT_EQ(b->type, AttrType::kGraph);
  ASSERT_TRUE(b->g);
  EXPECT_EQ(b->g->name, "body");
  ASSERT_EQ(b->g->nodes.size(), 1u);
  EXPECT_EQ(b->g->nodes[0].name, "Identity_0");
  EXPECT_EQ(b->g->inputs.size(), 1u);
  EXPECT_EQ(n.attr("legacy")->type, AttrType::kInt);
  EXPECT_EQ(n.attr_int("legacy", 0), 9);
  EXPECT_EQ(n.attr_ints("unpacked"), (std::vector<int64_t>{4, -5}));
}

// If with branches that read outer-scope values: the subgraph gets a local value of the same name with
// producer -1 that is neither an input nor an initializer.
std::string if_model(const std::string& then_input, bool use_later_value = false) {
  GraphParts then_g;
  then_g.name = "then";
  then_g.nodes = {node("Identity", {then_input}, {"t_out"})};
  then_g.outputs = {value_info("t_out", 1, {3})};
  GraphParts else_g;
  else_g.name = "else";
  else_g.nodes = {node("Neg", {"W"}, {"e_out"})};
  else_g.outputs = {value_info("e_out", 1, {3})};
  GraphParts g;
  g.initializers = {tensor_f32("W", {3}, {1, 2, 3})};
  g.inputs = {value_info("X", 1, {3}), value_info("cond", 9, {})};
  g.nodes = {node("If", {"cond"}, {"res"}, "if", {attr_graph("then_branch", graph(then_g)),
                                                   attr_graph("else_branch", graph(else_g))})};
  if (use_later_value) g.nodes.push_back(node("Relu", {"X"}, {"later"}));
  g.outputs = {value_info("res", 1, {3})};
  return model(graph(g));
}

TEST(OnnxLoader, SubgraphsSeeOuterScope) {
  Expected<std::unique_ptr<Model>> m = load_bytes(if_model("X"));
  ASSERT_TRUE(m.ok()) << m.status().message();
  const Node& n = (*m)->graph.nodes[0];
  const Graph& then_g = *n.attr("then_branch")->g;
  int x = then_g.find_value("X");
  ASSERT_GE(x, 0);
  EXPECT_EQ(then_g.values[static_cast<size_t>(x)].producer, -1);
  EXPECT_EQ(then_g.values[static_cast<size_t>(x)].dtype, DType::kFloat32);
  EXPECT_TRUE(then_g.inputs.empty());
  EXPECT_EQ(then_g.nodes[0].inputs[0], x);
  const Graph& else_g = *n.attr("else_branch")->g;
  int w = else_g.find_value("W");
  ASSERT_GE(w, 0);
  EXPECT_FALSE(else_g.values[static_cast<size_t>(w)].initializer.defined());
  EXPECT_EQ(else_g.values[static_cast<size_t>(w)].shape, Shape({3}));

  Expected<std::unique_ptr<Model>> bad = load_bytes(if_model("ghost"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("node 'if' (If)"), std::string::npos) << bad.status().message();
  EXPECT_NE(bad.status().message().find("then_branch"), std::string::npos) << bad.status().message();
  EXPECT_NE(bad.status().message().find("input 'ghost'"), std::string::npos) << bad.status().message();
  // A value produced after the If node is not visible inside it.
  Expected<std::unique_ptr<Model>> later = load_bytes(if_model("later", true));
  ASSERT_FALSE(later.ok());
  EXPECT_NE(later.status().message().find("input 'later'"), std::string::npos) << later.status().message();
}

// Subgraphs nested in subgraphs: fine a few levels deep, a clean error (no stack overflow) when absurdly deep.
std::string nested_model(int levels) {
  GraphParts inner;
  inner.name = "leaf";
  inner.nodes = {node("Identity", {"X"}, {"leaf_out"})};
  inner.outputs = {value_info("leaf_out", 1, {1})};
  std::string g = graph(inner);
  for (int i = 0; i < levels; ++i) {
    GraphParts p;
    p.name = "level" + std::to_string(i);
    std::string out = "out" + std::to_string(i);
    p.nodes = {node("Loop", {}, {out}, "", {attr_graph("body", g)})};
    p.outputs = {value_info(out, 1, {1})};
    g = graph(p);
  }
  GraphParts top;
  top.inputs = {value_info("X", 1, {1})};
  top.nodes = {node("If", {"X"}, {"Y"}, "top", {attr_graph("then_branch", g)})};
  top.outputs = {value_info("Y", 1, {1})};
  return model(graph(top));
}

TEST(OnnxLoader, NestingDepthIsLimited) {
  Expected<std::unique_ptr<Model>> ok = load_bytes(nested_model(5));
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  const Graph* g = (*ok)->graph.nodes[0].attr("then_branch")->g.get();
  for (int i = 0; i < 5; ++i) g = g->nodes[0].attrs[0].g.get();
  EXPECT_EQ(g->name, "leaf");
  EXPECT_GE(g->find_value("X"), 0);  // an outer-scope value, five graphs up
  Expected<std::unique_ptr<Model>> deep = load_bytes(nested_model(200));
  ASSERT_FALSE(deep.ok());
  EXPECT_NE(deep.status().message().find("nested deeper"), std::string::npos) << deep.status().message();
}

// Non-tensor types (sequence, optional) carry no dtype; TYPE_PROTO attributes are kept as serialized bytes.
TEST(OnnxLoader, NonTensorTypesAndTypeProtoAttributes) {
  Writer elem;  // TypeProto{tensor_type{elem_type: FLOAT}}
  Writer tt;
  tt.varint(1, 1);
  elem.message(1, tt);
  Writer seq_type;  // TypeProto{sequence_type{elem_type: ...}}
  Writer seq;
  seq.message(1, elem);
  seq_type.message(4, seq);
  Writer seq_vi;
  seq_vi.bytes(1, "S");
  seq_vi.message(2, seq_type);
  Writer tp_attr;
  tp_attr.bytes(1, "type");
  tp_attr.message(14, seq_type);
  tp_attr.varint(20, 13);
  GraphParts g;
  g.inputs = {seq_vi.data()};
  g.nodes = {node("Optional", {"S"}, {"O"}, "opt", {tp_attr.data()})};
  g.outputs = {value_info("O", 0, {}, {}, false)};
  Expected<std::unique_ptr<Model>> m = load_bytes(model(graph(g)));
  ASSERT_TRUE(m.ok()) << m.status().message();
  const Value& sv = value((*m)->graph, "S");
  EXPECT_EQ(sv.dtype, DType::kUndefined);
  EXPECT_FALSE(sv.has_shape);
  const Attribute* a = (*m)->graph.nodes[0].attr("type");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(static_cast<int>(a->type), 13);
  EXPECT_EQ(a->s, seq_type.data());
}

// Builds a model around a list of nodes with a float input X [3] and an initializer W [3].
std::string model_with(std::vector<std::string> nodes, std::vector<std::string> outputs = {"Y"},
                       std::vector<std::string> initializers = {}, std::string extra = "") {
  GraphParts g;
  g.initializers = initializers.empty() ? std::vector<std::string>{tensor_f32("W", {3}, {1, 2, 3})} : initializers;
  g.inputs = {value_info("X", 1, {3})};
  g.nodes = std::move(nodes);
  for (const std::string& o : outputs) g.outputs.push_back(value_info(o, 1, {3}));
  g.extra = std::move(extra);
  return model(graph(g));
}

TEST(OnnxLoader, ErrorsNameTheNodeOrTensor) {
  Writer bad_type;
  bad_type.bytes(1, "alpha");
  bad_type.varint(20, 42);
  Writer no_tensor;
  no_tensor.bytes(1, "value");
  no_tensor.varint(20, 4);
  Writer sparse_values;
  sparse_values.bytes(8, "sp");
  Writer sparse;
  sparse.bytes(1, tensor_f32("sp", {1}, {1}));
  Writer sparse_field;
  sparse_field.bytes(15, sparse.data());
  GraphParts float8_input;
  float8_input.inputs = {value_info("X8", 17, {3})};
  float8_input.nodes = {node("Identity", {"X8"}, {"Y"})};
  float8_input.outputs = {value_info("Y", 1, {3})};
  GraphParts unnamed_input;
  unnamed_input.inputs = {value_info("", 1, {3})};
  ModelParts no_graph;
  no_graph.has_graph = false;
  Writer ref_attr;
  ref_attr.bytes(1, "alpha");
  ref_attr.bytes(21, "outer_alpha");
  ref_attr.varint(20, 1);

  struct Case { std::string name; std::string bytes; std::vector<std::string> expect; StatusCode code; };
  std::vector<Case> cases = {
      {"no graph", model("", no_graph), {"model has no graph"}, StatusCode::kInvalidModel},
      {"empty op_type", model_with({node("", {"X"}, {"Y"}, "n0")}), {"node 'n0'", "op_type is empty"},
       StatusCode::kInvalidModel},
      {"empty op_type unnamed", model_with({node("", {"X"}, {"Y"})}), {"node #0", "op_type is empty"},
       StatusCode::kInvalidModel},
      {"undefined input", model_with({node("Relu", {"ghost"}, {"Y"}, "n1")}),
       {"node 'n1' (Relu)", "input 'ghost'", "not a graph input"}, StatusCode::kInvalidModel},
      {"not topological", model_with({node("Relu", {"T"}, {"Y"}, "first"), node("Relu", {"X"}, {"T"}, "second")}),
       {"node 'first' (Relu)", "input 'T'"}, StatusCode::kInvalidModel},
      {"output twice", model_with({node("Relu", {"X"}, {"Y"}, "a"), node("Neg", {"X"}, {"Y"}, "b")}),
       {"node 'b' (Neg)", "output 'Y'", "already produced by node 'a' (Relu)"}, StatusCode::kInvalidModel},
      {"output is input", model_with({node("Relu", {"W"}, {"X"}, "a")}, {"X"}),
       {"node 'a' (Relu)", "output 'X'", "graph input"}, StatusCode::kInvalidModel},
      {"output is initializer", model_with({node("Relu", {"X"}, {"W"}, "a")}, {"W"}),
       {"node 'a' (Relu)", "output 'W'", "initializer"}, StatusCode::kInvalidModel},
      {"output listed twice", model_with({node("Split", {"X"}, {"Y", "Y"}, "s")}),
       {"node 's' (Split)", "output 'Y'", "twice"}, StatusCode::kInvalidModel},
      {"raw size", model_with({node("Add", {"X", "W"}, {"Y"})}, {"Y"}, {tensor_raw("W", 1, {3}, "abc")}),
       {"tensor 'W'", "raw_data has 3 bytes", "needs 12"}, StatusCode::kInvalidModel},
      {"negative dims", model_with({node("Add", {"X", "W"}, {"Y"})}, {"Y"}, {tensor_raw("W", 1, {-3}, "")}),
       {"tensor 'W'", "negative"}, StatusCode::kInvalidModel},
      {"dims overflow",
       model_with({node("Add", {"X", "W"}, {"Y"})}, {"Y"}, {tensor_raw("W", 1, {1LL << 33, 1LL << 33}, "")}),
       {"tensor 'W'", "overflows"}, StatusCode::kInvalidModel},
      {"unknown dtype", model_with({node("Add", {"X", "W"}, {"Y"})}, {"Y"}, {tensor_raw("W", 77, {3}, "abc")}),
       {"tensor 'W'", "unknown data type 77"}, StatusCode::kInvalidModel},
      {"used float8 initializer",
       model_with({node("Add", {"X", "W"}, {"Y"})}, {"Y"}, {tensor_raw("W", 17, {3}, "abc")}),
       {"node 'Add_0' (Add)", "input 'W'", "tensor 'W'", "data type 17 (float8e4m3fn)"}, StatusCode::kUnsupported},
      {"attribute type", model_with({node("Relu", {"X"}, {"Y"}, "r", {bad_type.data()})}),
       {"node 'r' (Relu)", "attribute 'alpha'", "unknown attribute type 42"}, StatusCode::kInvalidModel},
      {"attribute without tensor", model_with({node("Constant", {}, {"Y"}, "k", {no_tensor.data()})}),
       {"node 'k' (Constant)", "attribute 'value'", "no tensor"}, StatusCode::kInvalidModel},
      {"attribute tensor",
       model_with({node("Constant", {}, {"Y"}, "k", {attr_tensor("value", tensor_raw("", 1, {2}, "x"))})}),
       {"node 'k' (Constant)", "attribute 'value'", "raw_data has 1 bytes"}, StatusCode::kInvalidModel},
      {"attribute twice", model_with({node("Relu", {"X"}, {"Y"}, "r", {attr_int("a", 1), attr_int("a", 2)})}),
       {"node 'r' (Relu)", "attribute 'a' appears twice"}, StatusCode::kInvalidModel},
      {"attribute ref outside function", model_with({node("Relu", {"X"}, {"Y"}, "r", {ref_attr.data()})}),
       {"node 'r' (Relu)", "attribute 'alpha'", "outer_alpha"}, StatusCode::kInvalidModel},
      {"sparse initializer", model_with({node("Relu", {"X"}, {"Y"})}, {"Y"}, {}, sparse_field.data()),
       {"sparse_initializer 'sp'"}, StatusCode::kUnsupported},
      {"output not produced", model_with({node("Relu", {"X"}, {"Y"})}, {"Y", "nope"}),
       {"output 'nope'", "not produced"}, StatusCode::kInvalidModel},
      {"initializer twice",
       model_with({node("Relu", {"X"}, {"Y"})}, {"Y"}, {tensor_f32("W", {1}, {1}), tensor_f32("W", {1}, {2})}),
       {"initializer 'W' is defined twice"}, StatusCode::kInvalidModel},
      {"initializer without name", model_with({node("Relu", {"X"}, {"Y"})}, {"Y"}, {tensor_f32("", {1}, {1})}),
       {"initializer #0 has no name"}, StatusCode::kInvalidModel},
      {"float8 input", model(graph(float8_input)), {"value 'X8'", "data type 17"}, StatusCode::kUnsupported},
      {"unnamed input", model(graph(unnamed_input)), {"input #0 has no name"}, StatusCode::kInvalidModel},
  };
  for (const Case& c : cases) {
    Expected<std::unique_ptr<Model>> m = load_bytes(c.bytes);
    ASSERT_FALSE(m.ok()) << c.name;
    EXPECT_EQ(m.status().code(), c.code) << c.name << ": " << m.status().message();
    for (const std::string& e : c.expect)
      EXPECT_NE(m.status().message().find(e), std::string::npos) << c.name << ": " << m.status().message();
  }
  Expected<std::unique_ptr<Model>> empty = load_bytes("");
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("empty file"), std::string::npos);
  Expected<std::unique_ptr<Model>> missing = load_onnx_model("/nonexistent/model.onnx");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("/nonexistent/model.onnx"), std::string::npos);
}

// Unused initializers of a dtype edgerun cannot hold do not stop a model from loading.
TEST(OnnxLoader, UnusedUnsupportedInitializersAreTolerated) {
  Writer str;
  str.int64(1, 1);
  str.varint(2, 8);
  str.bytes(6, "hello");
  str.bytes(8, "S");
  std::string bytes = model_with({node("Relu", {"X"}, {"Y"})}, {"Y"},
                                 {tensor_f32("W", {3}, {1, 2, 3}), str.data(), tensor_raw("F8", 17, {2}, "ab")});
  Expected<std::unique_ptr<Model>> m = load_bytes(bytes);
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_FALSE(value((*m)->graph, "S").initializer.defined());
  std::string used = model_with({node("Identity", {"S"}, {"Y"}, "use")}, {"Y"}, {str.data()});
  Expected<std::unique_ptr<Model>> u = load_bytes(used);
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(u.status().message().find("node 'use' (Identity)"), std::string::npos) << u.status().message();
  EXPECT_NE(u.status().message().find("string tensors"), std::string::npos) << u.status().message();
}

TEST(OnnxLoader, UnknownFieldsAreSkipped) {
  Writer unknown;  // one unknown field of each wire type
  unknown.varint(90, 1);
  unknown.fixed64(91, 2);
  unknown.bytes(92, "future");
  unknown.tag(93, wire::WireType::kStartGroup);
  unknown.varint(1, 7);
  unknown.tag(93, wire::WireType::kEndGroup);
  unknown.fixed32(94, 3);
  const std::string u = unknown.data();

  std::string attr = attr_int("axis", 1) + u;
  std::string n = node("Relu", {"X"}, {"Y"}, "r", {attr}) + u;
  std::string init = tensor_f32("W", {3}, {1, 2, 3}) + u;
  std::string vi = value_info("X", 1, {3}) + u;
  GraphParts g;
  g.initializers = {init};
  g.inputs = {vi};
  g.nodes = {n};
  g.outputs = {value_info("Y", 1, {3})};
  g.extra = u;
  std::string m = model(graph(g)) + u;
  Expected<std::unique_ptr<Model>> loaded = load_bytes(m);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ((*loaded)->graph.nodes[0].attr_int("axis", 0), 1);
  EXPECT_EQ(value((*loaded)->graph, "W").initializer.data<float>()[2], 3.0f);
  EXPECT_EQ(value((*loaded)->graph, "X").shape, Shape({3}));
}

// raw_data initializers are views into the file when aligned to their element size, copies otherwise;
// typed fields are always decoded into owning tensors.
TEST(OnnxLoader, ZeroCopyWhenAligned) {
  const std::vector<float> w = {1.5f, 2.5f, 3.5f, 4.5f};
  bool saw_view = false, saw_copy = false;
  for (int pad = 0; pad < 8; ++pad) {
    GraphParts g;
    g.initializers = {tensor_f32("W", {4}, w), tensor_float_data("T", {2}, {7.0f, 8.0f})};
    g.inputs = {value_info("X", 1, {4})};
    g.nodes = {node("Add", {"X", "W"}, {"Y"}), node("Add", {"Y", "T"}, {"Z"})};
    g.outputs = {value_info("Z", 1, {4})};
    ModelParts p;
    p.doc_string = std::string(static_cast<size_t>(pad) + 1, 'd');  // shifts everything after it by one byte
    std::string bytes = model(graph(g), p);
    auto file = MappedFile::from_bytes(bytes.data(), bytes.size());
    Expected<std::unique_ptr<Model>> m = load_onnx_model(file, "");
    ASSERT_TRUE(m.ok()) << m.status().message();
    const Tensor& t = value((*m)->graph, "W").initializer;
    ASSERT_TRUE(t.defined());
    EXPECT_EQ(std::memcmp(t.raw_data(), w.data(), 16), 0);
    auto p_data = static_cast<const uint8_t*>(t.raw_data());
    bool in_file = p_data >= file->data() && p_data + 16 <= file->data() + file->size();
    bool aligned_in_file = false;
    // Where raw_data sits in the file: the 16 bytes of w.
    for (size_t off = 0; off + 16 <= file->size(); ++off)
      if (std::memcmp(file->data() + off, w.data(), 16) == 0)
        aligned_in_file = reinterpret_cast<uintptr_t>(file->data() + off) % 4 == 0;
    EXPECT_EQ(in_file, aligned_in_file) << "pad " << pad;
    if (in_file) {
      EXPECT_EQ(reinterpret_cast<uintptr_t>(p_data) % 4, 0u);
    }
    (in_file ? saw_view : saw_copy) = true;
    const Tensor& typed = value((*m)->graph, "T").initializer;
    auto q = static_cast<const uint8_t*>(typed.raw_data());
    EXPECT_FALSE(q >= file->data() && q < file->data() + file->size());
    EXPECT_EQ(typed.data<float>()[1], 8.0f);
  }
  EXPECT_TRUE(saw_view);
  EXPECT_TRUE(saw_copy);
}

// The model outlives the caller's MappedFile handle: views keep the mapping alive.
TEST(OnnxLoader, ViewsKeepTheFileAlive) {
  std::string bytes = model_with({node("Add", {"X", "W"}, {"Y"})});
  Tensor w;
  {
    Expected<std::unique_ptr<Model>> m = load_bytes(bytes);
    ASSERT_TRUE(m.ok());
    w = value((*m)->graph, "W").initializer;
  }
  EXPECT_EQ(w.data<float>()[0], 1.0f);
  EXPECT_EQ(w.data<float>()[2], 3.0f);
}

struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("edgerun_loader_" + std::to_string(getpid()) + "_" +
                                        std::to_string(reinterpret_cast<uintptr_t>(this)));
    fs::create_directories(path / "model");
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  void write(const fs::path& rel, const std::string& bytes) const {
    std::ofstream f(path / rel, std::ios::binary);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
};

std::string external_tensor(const std::string& name, std::vector<int64_t> dims,
                            std::vector<std::pair<std::string, std::string>> kv) {
  Writer w;
  for (int64_t d : dims) w.int64(1, d);
  w.varint(2, 1);
  w.bytes(8, name);
  for (const auto& [k, v] : kv) {
    Writer e;
    e.bytes(1, k);
    e.bytes(2, v);
    w.message(13, e);
  }
  w.varint(14, 1);
  return w.take();
}

std::string external_model(std::vector<std::string> initializers) {
  GraphParts g;
  g.initializers = std::move(initializers);
  g.inputs = {value_info("X", 1, {4})};
  g.nodes = {node("Add", {"X", "A"}, {"Y"})};
  g.outputs = {value_info("Y", 1, {4})};
  return model(graph(g));
}

TEST(OnnxLoader, ExternalData) {
  TempDir dir;
  // weights.bin: 16 bytes of header, A = 4 floats at 16, B = 2 floats at 32.
  std::vector<float> a = {1, 2, 3, 4}, b = {-1, -2};
  std::string side = std::string(16, 'h') + bytes_of(a) + bytes_of(b);
  dir.write("model/weights.bin", side);
  fs::create_directories(dir.path / "model/sub");
  std::string bytes = external_model(
      {external_tensor("A", {4}, {{"location", "weights.bin"}, {"offset", "16"}, {"length", "16"}}),
       external_tensor("B", {2}, {{"location", "sub/../weights.bin"}, {"offset", "32"}})});
  dir.write("model/model.onnx", bytes);
  std::string model_path = (dir.path / "model/model.onnx").string();
  Expected<std::unique_ptr<Model>> m = load_onnx_model(model_path);
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ((*m)->path, model_path);
  ASSERT_EQ((*m)->external_files.size(), 1u);  // one mapping per file, shared by A and B
  const MappedFile& ext = *(*m)->external_files[0];
  const Tensor& ta = value((*m)->graph, "A").initializer;
  const Tensor& tb = value((*m)->graph, "B").initializer;
  EXPECT_EQ(ta.data<float>()[3], 4.0f);
  EXPECT_EQ(tb.data<float>()[1], -2.0f);
  EXPECT_EQ(ta.raw_data(), ext.data() + 16);  // zero-copy view of the side file
  EXPECT_EQ(tb.raw_data(), ext.data() + 32);

  // Each bad reference is an error naming the tensor.
  fs::path outside = dir.path / "outside.bin";
  dir.write("outside.bin", side);
  fs::create_symlink(outside, dir.path / "model/link.bin");
  struct Case { std::vector<std::pair<std::string, std::string>> kv; std::string expect; };
  std::vector<Case> cases = {
      {{{"location", (dir.path / "model/weights.bin").string()}}, "is absolute"},
      {{{"location", "../outside.bin"}}, "outside the model's directory"},
      {{{"location", "sub/../../outside.bin"}}, "outside the model's directory"},
      {{{"location", "link.bin"}, {"offset", "16"}}, "resolves outside"},
      {{{"location", "weights.bin"}, {"offset", "1000"}}, "past the end"},
      {{{"location", "weights.bin"}, {"offset", "40"}}, "runs past the end"},
      {{{"location", "weights.bin"}, {"offset", "16"}, {"length", "12"}}, "length is 12 bytes"},
      {{{"location", "weights.bin"}, {"offset", "-4"}}, "not a number"},
      {{{"location", "weights.bin"}, {"offset", "99999999999999999999999"}}, "invalid"},
      {{{"location", "missing.bin"}}, "missing.bin"},
      {{{"offset", "0"}}, "no location"},
      {{{"location", ""}}, "no location"},
      {{{"location", "."}}, "names no file"},
  };
  for (const Case& c : cases) {
    std::string bad = external_model({external_tensor("A", {4}, c.kv)});
    dir.write("model/bad.onnx", bad);
    Expected<std::unique_ptr<Model>> r = load_onnx_model((dir.path / "model/bad.onnx").string());
    ASSERT_FALSE(r.ok()) << c.expect;
    EXPECT_NE(r.status().message().find("tensor 'A'"), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().message().find(c.expect), std::string::npos) << r.status().message();
  }
  // From memory, with no directory to resolve against.
  Expected<std::unique_ptr<Model>> mem = load_bytes(bytes, "");
  ASSERT_FALSE(mem.ok());
  EXPECT_NE(mem.status().message().find("tensor 'A'"), std::string::npos) << mem.status().message();
  // ...and with one.
  Expected<std::unique_ptr<Model>> mem_dir = load_bytes(bytes, (dir.path / "model").string());
  ASSERT_TRUE(mem_dir.ok()) << mem_dir.status().message();
  EXPECT_EQ(value((*mem_dir)->graph, "B").initializer.data<float>()[0], -1.0f);
}

// ---- Real models -------------------------------------------------------------------------------------------

std::map<std::string, int> op_counts(const Graph& g) {
  std::map<std::string, int> ops;
  for (const Node& n : g.nodes) ++ops[n.domain.empty() ? n.op_type : n.domain + "." + n.op_type];
  return ops;
}

// Initializers that are views into the model file (zero-copy) vs all initializers.
std::pair<int, int> zero_copy_count(const Model& m) {
  int views = 0, total = 0;
  for (const Value& v : m.graph.values) {
    if (!v.initializer.defined()) continue;
    ++total;
    auto p = static_cast<const uint8_t*>(v.initializer.raw_data());
    if (p >= m.file->data() && p < m.file->data() + m.file->size()) ++views;
  }
  return {views, total};
}

TEST(OnnxLoaderRealModels, Mnist8) {
  std::string path = model_path("classification/mnist-8/model.onnx");
  EDGERUN_REQUIRE_DATA(path);
  Expected<std::unique_ptr<Model>> m = load_onnx_model(path);
  ASSERT_TRUE(m.ok()) << m.status().message();
  const Model& model = **m;
  EXPECT_EQ(model.ir_version, 3);
  EXPECT_EQ(model.opset(""), 8);
  std::set<std::string> ops;
  for (const auto& [op, n] : op_counts(model.graph)) ops.insert(op);
  EXPECT_EQ(ops, (std::set<std::string>{"Conv", "MaxPool", "Relu", "Reshape", "MatMul", "Add"}));
  ASSERT_EQ(model.graph.inputs.size(), 1u);
  const Value& in = model.graph.values[static_cast<size_t>(model.graph.inputs[0])];
  EXPECT_EQ(in.name, "Input3");
  EXPECT_EQ(in.dtype, DType::kFloat32);
  EXPECT_EQ(in.shape, Shape({1, 1, 28, 28}));
  ASSERT_EQ(model.graph.outputs.size(), 1u);
  const Value& out = model.graph.values[static_cast<size_t>(model.graph.outputs[0])];
  EXPECT_EQ(out.name, "Plus214_Output_0");
  EXPECT_EQ(out.shape, Shape({1, 10}));
  auto [views, total] = zero_copy_count(model);
  std::cout << "mnist-8: " << model.graph.nodes.size() << " nodes, " << total << " initializers, " << views
            << " zero-copy\n";
  EXPECT_GT(total, 0);
}

TEST(OnnxLoaderRealModels, MobilenetV2Int8) {
  std::string path = model_path("classification/mobilenetv2-12-int8/model.onnx");
  EDGERUN_REQUIRE_DATA(path);
  Expected<std::unique_ptr<Model>> m = load_onnx_model(path);
  ASSERT_TRUE(m.ok()) << m.status().message();
  const Model& model = **m;
  EXPECT_EQ(model.ir_version, 7);
  EXPECT_EQ(model.opset("com.microsoft"), 1);
  EXPECT_EQ(model.opset(""), 12);
  std::map<std::string, int> ops = op_counts(model.graph);
  EXPECT_EQ(ops["QLinearConv"], 52);
  EXPECT_GE(ops["com.microsoft.QLinearAdd"], 1);
  EXPECT_GE(ops["com.microsoft.QLinearGlobalAveragePool"], 1);
  EXPECT_GE(ops["QLinearMatMul"], 1);
  ASSERT_EQ(model.graph.inputs.size(), 1u);
  const Value& in = model.graph.values[static_cast<size_t>(model.graph.inputs[0])];
  EXPECT_EQ(in.name, "input");
  ASSERT_EQ(in.shape.size(), 4u);
  EXPECT_EQ(in.shape[1], 3);
  EXPECT_EQ(in.shape[2], 224);
  const Value& out = model.graph.values[static_cast<size_t>(model.graph.outputs[0])];
  EXPECT_EQ(out.name, "output");
  EXPECT_EQ(out.shape.back(), 1000);
  auto [views, total] = zero_copy_count(model);
  std::cout << "mobilenetv2-12-int8: " << model.graph.nodes.size() << " nodes, " << total << " initializers, "
            << views << " zero-copy; input shape " << shape_str(in.shape) << " dim0 '" << in.dim_names[0] << "'\n";
  EXPECT_GT(views, 0);
}

TEST(OnnxLoaderRealModels, MobilenetV2Fp32) {
  std::string path = model_path("classification/mobilenetv2-fp32-dequantized/model.onnx");
  EDGERUN_REQUIRE_DATA(path);
  Expected<std::unique_ptr<Model>> m = load_onnx_model(path);
  ASSERT_TRUE(m.ok()) << m.status().message();
  const Model& model = **m;
  EXPECT_EQ(model.opset(""), 12);
  std::map<std::string, int> ops = op_counts(model.graph);
  EXPECT_GT(ops["Conv"], 40);
  auto [views, total] = zero_copy_count(model);
  std::cout << "mobilenetv2-fp32: " << model.graph.nodes.size() << " nodes, " << total << " initializers, " << views
            << " zero-copy\n";
  // Float weights are raw_data at arbitrary file offsets: the 4-byte aligned ones (about a quarter by chance,
  // more by size here) are views, the rest copies.
  size_t view_bytes = 0, all_bytes = 0;
  for (const Value& v : model.graph.values) {
    if (!v.initializer.defined()) continue;
    all_bytes += v.initializer.nbytes();
    auto p = static_cast<const uint8_t*>(v.initializer.raw_data());
    if (p >= model.file->data() && p < model.file->data() + model.file->size()) view_bytes += v.initializer.nbytes();
  }
  std::cout << "  " << view_bytes << " of " << all_bytes << " initializer bytes viewed in place\n";
  EXPECT_GT(view_bytes, 0u);
}

TEST(OnnxLoaderRealModels, Yolov8nInt8) {
  std::string path = model_path("detection/yolov8n-int8/model.onnx");
  EDGERUN_REQUIRE_DATA(path);
  Expected<std::unique_ptr<Model>> m = load_onnx_model(path);
  ASSERT_TRUE(m.ok()) << m.status().message();
  const Model& model = **m;
  EXPECT_EQ(model.ir_version, 9);
  EXPECT_EQ(model.opset(""), 20);
  std::map<std::string, int> ops = op_counts(model.graph);
  EXPECT_EQ(ops["ConvInteger"], 64);
  EXPECT_EQ(ops["DynamicQuantizeLinear"], 59);
  const Value& in = model.graph.values[static_cast<size_t>(model.graph.inputs[0])];
  EXPECT_EQ(in.name, "images");
  EXPECT_EQ(in.shape, Shape({1, 3, 640, 640}));
  const Value& out = model.graph.values[static_cast<size_t>(model.graph.outputs[0])];
  EXPECT_EQ(out.name, "output0");
  EXPECT_EQ(out.shape, Shape({1, 84, 8400}));
  EXPECT_TRUE(model.metadata.count("names")) << "class names are in the metadata";
}

TEST(OnnxLoaderRealModels, YoloxNano) {
  std::string path = model_path("detection/yolox-nano/model.onnx");
  EDGERUN_REQUIRE_DATA(path);
  Expected<std::unique_ptr<Model>> m = load_onnx_model(path);
  ASSERT_TRUE(m.ok()) << m.status().message();
  const Model& model = **m;
  EXPECT_EQ(model.ir_version, 6);
  EXPECT_EQ(model.opset(""), 11);
  EXPECT_EQ(op_counts(model.graph)["Conv"], 113);
  const Value& in = model.graph.values[static_cast<size_t>(model.graph.inputs[0])];
  EXPECT_EQ(in.shape, Shape({1, 3, 416, 416}));
  const Value& out = model.graph.values[static_cast<size_t>(model.graph.outputs[0])];
  EXPECT_EQ(out.shape, Shape({1, 3549, 85}));
}

// Whether a load failure is one the brief accepts: a dtype edgerun does not hold, or sparse tensors.
bool acceptable_failure(const Status& st) {
  if (st.code() != StatusCode::kUnsupported) return false;
  const std::string& m = st.message();
  return m.find("data type") != std::string::npos || m.find("string tensors") != std::string::npos ||
         m.find("sparse") != std::string::npos;
}

// Groups messages by shape: the file name prefix, quoted names and numbers removed.
std::string reason_of(const Status& st, const std::string& path) {
  static const std::regex quoted("'[^']*'");
  static const std::regex number("[0-9]+");
  std::string m = st.message();
  if (m.rfind(path + ": ", 0) == 0) m = m.substr(path.size() + 2);
  m = std::regex_replace(m, quoted, "'_'");
  return status_code_name(st.code()) + std::string(": ") + std::regex_replace(m, number, "N");
}

struct LoadSummary {
  int loaded = 0, failed = 0, unexpected = 0;
};

// Loads every model, prints failures grouped by reason, and flags those the brief does not accept.
LoadSummary load_all(const std::string& label, std::vector<fs::path> models) {
  LoadSummary s;
  std::map<std::string, std::vector<std::string>> by_reason;
  std::sort(models.begin(), models.end());
  for (const fs::path& path : models) {
    std::string name = path.filename() == "model.onnx" ? path.parent_path().filename().string()
                                                       : path.filename().string();
    Expected<std::unique_ptr<Model>> m = load_onnx_model(path.string());
    if (m.ok()) {
      ++s.loaded;
      continue;
    }
    ++s.failed;
    EXPECT_FALSE(m.status().message().empty());
    if (!acceptable_failure(m.status())) {
      ++s.unexpected;
      ADD_FAILURE() << name << ": " << m.status().to_string();
    }
    by_reason[reason_of(m.status(), path.string())].push_back(name);
  }
  std::cout << label << ": " << s.loaded << " loaded, " << s.failed << " failed (" << s.unexpected
            << " unexpected)\n";
  for (const auto& [reason, names] : by_reason) {
    std::cout << "  [" << names.size() << "] " << reason << "\n     ";
    for (size_t i = 0; i < names.size() && i < 8; ++i) std::cout << " " << names[i];
    if (names.size() > 8) std::cout << " ...";
    std::cout << "\n";
  }
  return s;
}

std::vector<fs::path> models_in(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.is_directory() && fs::exists(e.path() / "model.onnx")) out.push_back(e.path() / "model.onnx");
    if (e.is_regular_file() && e.path().extension() == ".onnx") out.push_back(e.path());
  }
  return out;
}

TEST(OnnxLoaderBackendTests, LoadsEveryNodeTestModel) {
  std::string dir = onnx_tests_dir() + "/node";
  EDGERUN_REQUIRE_DATA(dir);
  LoadSummary s = load_all("node", models_in(dir));
  EXPECT_EQ(s.loaded + s.failed, 1765);
  EXPECT_EQ(s.unexpected, 0);
  EXPECT_GE(s.loaded, 1600);
}

TEST(OnnxLoaderBackendTests, LoadsOtherBackendModels) {
  for (const char* sub : {"simple", "pytorch-converted", "pytorch-operator", "light"}) {
    std::string dir = onnx_tests_dir() + "/" + sub;
    if (!fs::exists(dir)) continue;
    LoadSummary s = load_all(sub, models_in(dir));
    EXPECT_GT(s.loaded, 0) << sub;
    EXPECT_EQ(s.unexpected, 0) << sub;
  }
}

}  // namespace
}  // namespace edgerun
