// Graph passes (src/graph/passes/) and the planner's buffer reuse: structure after each pass, and outputs equal
// to the unoptimized model (the end-to-end checks skip while the fused ops are not registered).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

#include "core/mmap_file.h"
#include "edgerun/session.h"
#include "graph/passes/graph_rewrite.h"
#include "graph/passes/passes.h"
#include "onnx/onnx_loader.h"
#include "ops/fused.h"
#include "ops/op_registry.h"
#include "runtime/plan.h"
#include "unit/onnx_test_builder.h"

namespace edgerun {
namespace {

namespace t = edgerun::testing;

std::vector<float> random_floats(size_t n, uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

std::unique_ptr<Model> load(const t::GraphParts& parts, int64_t opset = 13) {
  t::ModelParts mp;
  mp.opsets = {{"", opset}};
  std::string bytes = t::model(t::graph(parts), mp);
  auto m = load_onnx_model(MappedFile::from_bytes(bytes.data(), bytes.size()), "");
  EXPECT_TRUE(m.ok()) << m.status().to_string();
  return m.ok() ? std::move(m).value() : nullptr;
}

std::vector<std::string> op_types(const Model& m) {
  std::vector<std::string> ops;
  for (const Node& n : m.graph.nodes) ops.push_back(n.domain.empty() ? n.op_type : n.domain + "." + n.op_type);
  return ops;
}

const Node* find_op(const Model& m, const std::string& op) {
  for (const Node& n : m.graph.nodes)
    if (n.op_type == op) return &n;
  return nullptr;
}

bool registered(const char* op) { return OpRegistry::get().find(kEdgerunDomain, op, 1) != nullptr; }

std::vector<Tensor> run(const Model& m, int level, const std::string& backend, const std::vector<Tensor>& inputs) {
  SessionOptions o;
  o.optimization_level = level;
  o.backend = backend;
  o.threads = 1;
  auto s = Session::create(std::make_unique<Model>(m), o);
  EXPECT_TRUE(s.ok()) << s.status().to_string();
  if (!s.ok()) return {};
  std::vector<Tensor> out;
  Status st = (*s)->run(inputs, &out);
  EXPECT_TRUE(st.ok()) << st.to_string();
  return out;
}

void expect_close(const std::vector<Tensor>& a, const std::vector<Tensor>& b, double rel = 1e-5) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t k = 0; k < a.size(); ++k) {
    ASSERT_EQ(a[k].shape(), b[k].shape());
    double max_ref = 0, max_err = 0;
    for (int64_t i = 0; i < a[k].numel(); ++i) {
      max_ref = std::max(max_ref, std::abs(static_cast<double>(a[k].data<float>()[i])));
      max_err = std::max(max_err, std::abs(static_cast<double>(a[k].data<float>()[i]) - b[k].data<float>()[i]));
    }
    EXPECT_LE(max_err, rel * std::max(max_ref, 1e-30)) << "output " << k;
  }
}

// Reference + as written vs optimized cpu: the same numbers.
void expect_optimized_matches(const Model& m, const std::vector<Tensor>& inputs) {
  expect_close(run(m, 0, "reference", inputs), run(m, 1, "cpu", inputs));
}

std::string f32_input(const std::string& name, const std::vector<int64_t>& dims) { return t::value_info(name, 1, dims); }

// Conv 3x3 pad 1, 4 -> 4 channels, weights W<tag>, bias B<tag>.
void add_conv(t::GraphParts& p, const std::string& x, const std::string& y, const std::string& tag, uint32_t seed) {
  p.initializers.push_back(t::tensor_f32("W" + tag, {4, 4, 3, 3}, random_floats(144, seed)));
  p.initializers.push_back(t::tensor_f32("B" + tag, {4}, random_floats(4, seed + 1)));
  p.nodes.push_back(t::node("Conv", {x, "W" + tag, "B" + tag}, {y}, "conv" + tag,
                            {t::attr_ints("pads", {1, 1, 1, 1}), t::attr_ints("kernel_shape", {3, 3})}));
}

void add_bn(t::GraphParts& p, const std::string& x, const std::string& y, const std::string& tag, uint32_t seed) {
  p.initializers.push_back(t::tensor_f32("s" + tag, {4}, random_floats(4, seed, 0.5f, 1.5f)));
  p.initializers.push_back(t::tensor_f32("b" + tag, {4}, random_floats(4, seed + 1)));
  p.initializers.push_back(t::tensor_f32("m" + tag, {4}, random_floats(4, seed + 2)));
  p.initializers.push_back(t::tensor_f32("v" + tag, {4}, random_floats(4, seed + 3, 0.1f, 2.0f)));
  p.nodes.push_back(t::node("BatchNormalization", {x, "s" + tag, "b" + tag, "m" + tag, "v" + tag}, {y}, "bn" + tag,
                            {t::attr_float("epsilon", 1e-3f)}));
}

Tensor image(uint32_t seed) { return Tensor::from_vector(DType::kFloat32, {1, 4, 5, 6}, random_floats(120, seed)); }

TEST(Passes, IdentityAndDropoutRemovedGraphOutputsKeepNames) {
  t::GraphParts p;
  p.inputs = {f32_input("X", {2, 3})};
  p.nodes = {t::node("Relu", {"X"}, {"a"}), t::node("Identity", {"a"}, {"b"}), t::node("Dropout", {"b"}, {"c"}),
             t::node("Sigmoid", {"c"}, {"d"}), t::node("Identity", {"d"}, {"Y"}),
             t::node("Dropout", {"a"}, {"e", "mask"}), t::node("Identity", {"X"}, {"Z"})};
  p.outputs = {f32_input("Y", {2, 3}), f32_input("Z", {2, 3}), t::value_info("mask", 9, {2, 3})};
  auto m = load(p);
  ASSERT_TRUE(m);
  Model before = *m;
  EXPECT_EQ(passes::remove_identity_nodes(*m), 3);
  // The Dropout whose mask is a graph output stays; Identity(X) -> Z stays (Z must keep its name, X is an input).
  EXPECT_EQ(op_types(*m), (std::vector<std::string>{"Relu", "Sigmoid", "Dropout", "Identity"}));
  const Node* sig = find_op(*m, "Sigmoid");
  ASSERT_TRUE(sig);
  EXPECT_EQ(m->graph.values[static_cast<size_t>(sig->outputs[0])].name, "Y");
  EXPECT_EQ(m->graph.values[static_cast<size_t>(sig->inputs[0])].name, "a");
  EXPECT_EQ(m->graph.values[static_cast<size_t>(sig->outputs[0])].producer, 1);
  Tensor x = Tensor::from_vector(DType::kFloat32, {2, 3}, random_floats(6, 1));
  std::vector<Tensor> ref = run(before, 0, "reference", {x});
  std::vector<Tensor> got = run(*m, 0, "reference", {x});
  ASSERT_EQ(ref.size(), 3u);
  ref.pop_back();  // mask (bool)
  got.pop_back();
  expect_close(ref, got, 0.0);
}

TEST(Passes, TrainingDropoutIsKept) {
  t::GraphParts p;
  p.inputs = {f32_input("X", {2, 3})};
  p.initializers = {t::tensor_raw("train", 9, {}, std::string(1, '\1')), t::tensor_f32("ratio", {}, {0.5f})};
  p.nodes = {t::node("Dropout", {"X", "ratio", "train"}, {"a"}), t::node("Relu", {"a"}, {"Y"})};
  p.outputs = {f32_input("Y", {2, 3})};
  auto m = load(p);
  ASSERT_TRUE(m);
  EXPECT_EQ(passes::remove_identity_nodes(*m), 0);
}

TEST(Passes, BatchNormFoldsIntoConv) {
  t::GraphParts p;
  p.inputs = {f32_input("X", {1, 4, 5, 6})};
  add_conv(p, "X", "c", "0", 10);
  add_bn(p, "c", "Y", "0", 20);
  p.outputs = {f32_input("Y", {1, 4, 5, 6})};
  auto m = load(p);
  ASSERT_TRUE(m);
  Model before = *m;
  EXPECT_EQ(passes::fold_batchnorm_into_conv(*m), 1);
  ASSERT_EQ(op_types(*m), (std::vector<std::string>{"Conv"}));
  const Node& conv = m->graph.nodes[0];
  EXPECT_EQ(m->graph.values[static_cast<size_t>(conv.outputs[0])].name, "Y");
  EXPECT_NE(m->graph.values[static_cast<size_t>(conv.inputs[1])].name, "W0");  // new W', original untouched
  EXPECT_TRUE(m->graph.values[static_cast<size_t>(conv.inputs[2])].initializer.defined());
  Tensor x = image(3);
  expect_close(run(before, 0, "reference", {x}), run(*m, 0, "reference", {x}));
}

// Conv weights from a Constant node, BatchNormalization, then a per-channel Mul: both folds land on one deferred
// constant (computed by the plan, not by the passes) over the original data, and the results do not change.
TEST(Passes, FoldsComposeIntoOneDeferredScaledWeight) {
  t::GraphParts p;
  p.inputs = {f32_input("X", {1, 4, 5, 6})};
  p.nodes.push_back(t::node("Constant", {}, {"Wc"}, "wconst",
                            {t::attr_tensor("value", t::tensor_f32("", {4, 4, 3, 3}, random_floats(144, 60)))}));
  p.initializers.push_back(t::tensor_f32("Bc", {4}, random_floats(4, 61)));
  p.nodes.push_back(t::node("Conv", {"X", "Wc", "Bc"}, {"c"}, "convc",
                            {t::attr_ints("pads", {1, 1, 1, 1}), t::attr_ints("kernel_shape", {3, 3})}));
  add_bn(p, "c", "n", "0", 62);
  p.initializers.push_back(t::tensor_f32("s", {4, 1, 1}, {0.5f, -2.0f, 1.5f, 3.0f}));
  p.nodes.push_back(t::node("Mul", {"n", "s"}, {"Y"}));
  p.outputs = {f32_input("Y", {1, 4, 5, 6})};
  auto m = load(p);
  ASSERT_TRUE(m);
  Model before = *m;
  EXPECT_EQ(passes::fold_batchnorm_into_conv(*m), 1);
  EXPECT_EQ(passes::fold_scale_bias_into_conv(*m), 1);
  ASSERT_EQ(op_types(*m), (std::vector<std::string>{"Constant", "Conv"}));
  const Node& conv = m->graph.nodes[1];
  const Value& w = m->graph.values[static_cast<size_t>(conv.inputs[1])];
  ASSERT_TRUE(w.scaled);
  EXPECT_FALSE(w.initializer.defined());
  EXPECT_EQ(w.shape, (Shape{4, 4, 3, 3}));
  const Value& src = m->graph.values[static_cast<size_t>(w.scaled->source)];
  ASSERT_TRUE(src.initializer.defined());
  const Tensor* wc = passes::constant_tensor(before.graph, before.graph.find_value("Wc"));
  ASSERT_TRUE(wc);
  EXPECT_EQ(src.initializer.raw_data(), wc->raw_data());  // the Constant's data, not a copy
  ASSERT_EQ(w.scaled->scale.size(), 4u);
  EXPECT_LT(w.scaled->scale[1], 0.0);  // BN scales are positive here, the Mul's -2 is not
  Tensor x = image(7);
  expect_close(run(before, 0, "reference", {x}), run(*m, 0, "reference", {x}));
  expect_optimized_matches(before, {x});
}

TEST(Passes, BatchNormNotFoldedWhenConvOutputIsShared) {
  t::GraphParts p;
  p.inputs = {f32_input("X", {1, 4, 5, 6})};
  add_conv(p, "X", "c", "0", 10);
  add_bn(p, "c", "Y", "0", 20);
  p.nodes.push_back(t::node("Relu", {"c"}, {"Z"}));
  p.outputs = {f32_input("Y", {1, 4, 5, 6}), f32_input("Z", {1, 4, 5, 6})};
  auto m = load(p);
  ASSERT_TRUE(m);
  EXPECT_EQ(passes::fold_batchnorm_into_conv(*m), 0);
  EXPECT_EQ(m->graph.nodes.size(), 3u);
}

// Conv0 -> BN -> Add(., Conv1 out) -> Relu: one FusedConv with Z = conv1's output.
TEST(Passes, ConvBatchNormResidualReluFuse) {
  t::GraphParts p;
  p.inputs = {f32_input("X", {1, 4, 5, 6})};
  add_conv(p, "X", "r", "1", 30);
  add_conv(p, "X", "c", "0", 10);
  add_bn(p, "c", "n", "0", 20);
  p.nodes.push_back(t::node("Add", {"n", "r"}, {"s"}));
  p.nodes.push_back(t::node("Relu", {"s"}, {"Y"}));
  p.outputs = {f32_input("Y", {1, 4, 5, 6})};
  auto m = load(p);
  ASSERT_TRUE(m);
  Model before = *m;
  EXPECT_EQ(passes::fold_batchnorm_into_conv(*m), 1);
  EXPECT_EQ(passes::fuse_conv_epilogues(*m), 1);
  ASSERT_EQ(op_types(*m), (std::vector<std::string>{"Conv", "com.edgerun.FusedConv"}));
  const Node& f = m->graph.nodes[1];
  // conv1 comes first in the file, so it takes the Add; the BN-folded conv0's output is its residual.
  EXPECT_EQ(f.name, "conv1");
  ASSERT_EQ(f.inputs.size(), 4u);
  EXPECT_EQ(m->graph.values[static_cast<size_t>(f.inputs[3])].name, "n");
  EXPECT_EQ(m->graph.values[static_cast<size_t>(f.outputs[0])].name, "Y");
  EXPECT_EQ(f.attr_string("activation", ""), "Relu");
  EXPECT_EQ(m->opset(kEdgerunDomain), 1);
  if (!registered("FusedConv")) GTEST_SKIP() << "com.edgerun.FusedConv not registered yet";
  expect_optimized_matches(before, {image(4)});
}

TEST(Passes, ConvSiluAndClipFuse) {
  t::GraphParts p;
  p.inputs = {f32_input("X", {1, 4, 5, 6})};
  add_conv(p, "X", "c", "0", 10);
  p.nodes.push_back(t::node("Sigmoid", {"c"}, {"sg"}));
  p.nodes.push_back(t::node("Mul", {"sg", "c"}, {"a"}));
  add_conv(p, "a", "c1", "1", 40);
  p.initializers.push_back(t::tensor_f32("lo", {}, {0.0f}));
  p.initializers.push_back(t::tensor_f32("hi", {}, {0.5f}));
  p.nodes.push_back(t::node("Clip", {"c1", "lo", "hi"}, {"Y"}));
  p.outputs = {f32_input("Y", {1, 4, 5, 6})};
  auto m = load(p);
  ASSERT_TRUE(m);
  Model before = *m;
  EXPECT_EQ(passes::fuse_conv_epilogues(*m), 2);
  ASSERT_EQ(op_types(*m), (std::vector<std::string>{"com.edgerun.FusedConv", "com.edgerun.FusedConv"}));
  EXPECT_EQ(m->graph.nodes[0].attr_string("activation", ""), "SiLU");
  EXPECT_EQ(m->graph.nodes[0].inputs.size(), 3u);
  EXPECT_EQ(m->graph.nodes[1].attr_string("activation", ""), "Clip");
  EXPECT_EQ(m->graph.nodes[1].attr_floats("activation_params"), (std::vector<float>{0.0f, 0.5f}));
  if (!registered("FusedConv")) GTEST_SKIP() << "com.edgerun.FusedConv not registered yet";
  expect_optimized_matches(before, {image(5)});
}

TEST(Passes, ConvNotFusedWhenUnsafe) {
  t::GraphParts p;
  p.inputs = {f32_input("X", {1, 4, 5, 6}), f32_input("lo", {})};
  // Add of a broadcasting constant is no residual; Clip with a run-time bound is no constant activation;
  // a conv output that is also a graph output stays.
  add_conv(p, "X", "c0", "0", 10);
  p.initializers.push_back(t::tensor_f32("k", {4, 1, 1}, {1, 2, 3, 4}));
  p.nodes.push_back(t::node("Add", {"c0", "k"}, {"a0"}));
  add_conv(p, "a0", "c1", "1", 20);
  p.nodes.push_back(t::node("Clip", {"c1", "lo"}, {"a1"}));
  add_conv(p, "a1", "Y", "2", 30);
  p.nodes.push_back(t::node("Relu", {"Y"}, {"Z"}));
  p.outputs = {f32_input("Y", {1, 4, 5, 6}), f32_input("Z", {1, 4, 5, 6})};
  auto m = load(p);
  ASSERT_TRUE(m);
  EXPECT_EQ(passes::fuse_conv_epilogues(*m), 0);
  EXPECT_EQ(m->graph.nodes.size(), 6u);
}

// A "Focus" space-to-depth: four phases x[:, :, a::2, b::2] (`order` gives (a, b) per Concat slot), each made by
// two Slices (axis 2, then axis 3, as YOLOX exports it) or one Slice over both axes, concatenated on channels.
void add_focus(t::GraphParts& p, const std::string& x, const std::string& y,
               const std::vector<std::pair<int, int>>& order, bool one_slice, int64_t step = 2) {
  auto i64 = [&](const std::string& name, std::vector<int64_t> v) {
    p.initializers.push_back(t::tensor_raw(name, 7, {static_cast<int64_t>(v.size())}, t::bytes_of(v)));
  };
  i64("st", {step, step});
  i64("st1", {step});
  i64("ax23", {2, 3});
  i64("ax2", {2});
  i64("ax3", {3});
  i64("end", {INT64_MAX});
  i64("end2", {INT64_MAX, INT64_MAX});
  for (int v = 0; v < 2; ++v) i64("s" + std::to_string(v), {v});
  for (int a = 0; a < 2; ++a)
    for (int b = 0; b < 2; ++b) i64("s" + std::to_string(a) + std::to_string(b), {a, b});
  std::vector<std::string> phases;
  for (size_t k = 0; k < order.size(); ++k) {
    const std::string a = std::to_string(order[k].first), b = std::to_string(order[k].second);
    const std::string out = y + "_p" + std::to_string(k);
    if (one_slice) {
      p.nodes.push_back(t::node("Slice", {x, "s" + a + b, "end2", "ax23", "st"}, {out}));
    } else {
      p.nodes.push_back(t::node("Slice", {x, "s" + a, "end", "ax2", "st1"}, {out + "_r"}));
      p.nodes.push_back(t::node("Slice", {out + "_r", "s" + b, "end", "ax3", "st1"}, {out}));
    }
    phases.push_back(out);
  }
  p.nodes.push_back(t::node("Concat", phases, {y}, "", {t::attr_int("axis", 1)}));
}

// Conv with Cin = 4 * c, random weights W<tag> / bias B<tag>.
void add_conv_k(t::GraphParts& p, const std::string& x, const std::string& y, const std::string& tag, int64_t cin,
                int64_t cout, int64_t k, int64_t stride, const std::vector<int64_t>& pads, uint32_t seed) {
  const int64_t nw = cout * cin * k * k;
  p.initializers.push_back(t::tensor_f32("W" + tag, {cout, cin, k, k}, random_floats(static_cast<size_t>(nw), seed)));
  p.initializers.push_back(t::tensor_f32("B" + tag, {cout}, random_floats(static_cast<size_t>(cout), seed + 1)));
  p.nodes.push_back(t::node("Conv", {x, "W" + tag, "B" + tag}, {y}, "conv" + tag,
                            {t::attr_ints("pads", pads), t::attr_ints("kernel_shape", {k, k}),
                             t::attr_ints("strides", {stride, stride})}));
}

const std::vector<std::pair<int, int>> kYoloxOrder = {{0, 0}, {1, 0}, {0, 1}, {1, 1}};

TEST(Passes, SpaceToDepthFoldsIntoConv) {
  struct Case {
    bool one_slice;
    std::vector<std::pair<int, int>> order;
    int64_t k, stride;
    std::vector<int64_t> pads;
    std::vector<int64_t> dims;  // X
  };
  const std::vector<Case> cases = {
      {false, kYoloxOrder, 3, 1, {1, 1, 1, 1}, {1, 3, 12, 10}},             // YOLOX's stem
      {false, kYoloxOrder, 3, 1, {1, 1, 1, 1}, {-1, 3, 6, 4}},              // dynamic batch (run with 2)
      {true, {{1, 1}, {0, 0}, {1, 0}, {0, 1}}, 3, 2, {1, 0, 0, 1}, {2, 2, 10, 14}},  // strided, uneven pads, batch 2
      {true, kYoloxOrder, 1, 1, {0, 0, 0, 0}, {1, 5, 6, 8}},                // 1x1 -> 2x2 stride 2
      {false, {{0, 1}, {1, 1}, {1, 0}, {0, 0}}, 3, 1, {0, 0, 0, 0}, {1, 1, 8, 8}},  // no padding
  };
  for (size_t ci = 0; ci < cases.size(); ++ci) {
    const Case& c = cases[ci];
    SCOPED_TRACE("case " + std::to_string(ci));
    t::GraphParts p;
    p.inputs = {f32_input("X", c.dims)};
    add_focus(p, "X", "F", c.order, c.one_slice);
    add_conv_k(p, "F", "c", "0", 4 * c.dims[1], 6, c.k, c.stride, c.pads, 7 + static_cast<uint32_t>(ci));
    p.nodes.push_back(t::node("Sigmoid", {"c"}, {"sg"}));
    p.nodes.push_back(t::node("Mul", {"sg", "c"}, {"Y"}));
    p.outputs = {t::value_info("Y", 1, {}, {}, false)};
    auto m = load(p);
    ASSERT_TRUE(m);
    Model before = *m;
    EXPECT_EQ(passes::fold_space_to_depth_into_conv(*m), 1);
    ASSERT_EQ(op_types(*m), (std::vector<std::string>{"Conv", "Sigmoid", "Mul"}));
    const Node& conv = m->graph.nodes[0];
    EXPECT_EQ(m->graph.values[static_cast<size_t>(conv.inputs[0])].name, "X");
    EXPECT_EQ(conv.attr_ints("kernel_shape"), (std::vector<int64_t>{2 * c.k, 2 * c.k}));
    EXPECT_EQ(conv.attr_ints("strides"), (std::vector<int64_t>{2 * c.stride, 2 * c.stride}));
    std::vector<int64_t> pads2;
    for (int64_t v : c.pads) pads2.push_back(2 * v);
    EXPECT_EQ(conv.attr_ints("pads"), pads2);
    std::vector<int64_t> dims = c.dims;
    if (dims[0] < 0) dims[0] = 2;
    const int64_t n = dims[0] * dims[1] * dims[2] * dims[3];
    Tensor x = Tensor::from_vector(DType::kFloat32, dims, random_floats(static_cast<size_t>(n), 3));
    // The folded model (reference kernels, as rewritten) against the model as written: the same products.
    expect_close(run(before, 0, "reference", {x}), run(*m, 0, "reference", {x}));
    expect_optimized_matches(before, {x});
  }
}

TEST(Passes, SpaceToDepthNotFoldedWhenUnsafe) {
  auto build = [&](const std::vector<int64_t>& dims, const std::vector<std::pair<int, int>>& order, int64_t step,
                   bool concat_shared, bool intermediate = false) {
    t::GraphParts p;
    p.inputs = {f32_input("X", dims)};
    if (intermediate) {  // a shape stated in value_info only
      p.nodes.push_back(t::node("Relu", {"X"}, {"R"}));
      p.value_infos.push_back(f32_input("R", dims));
    }
    add_focus(p, intermediate ? "R" : "X", "F", order, false, step);
    add_conv_k(p, "F", "Y", "0", 4 * 3, 4, 3, 1, {1, 1, 1, 1}, 5);
    p.outputs = {t::value_info("Y", 1, {}, {}, false)};
    if (concat_shared) {
      p.nodes.push_back(t::node("Relu", {"F"}, {"Z"}));
      p.outputs.push_back(t::value_info("Z", 1, {}, {}, false));
    }
    return load(p);
  };
  // Odd height (the phases differ in size, the Concat fails); a dynamic height; a phase taken twice; step 3;
  // the space-to-depth also read by another node; the slices' source not a graph input.
  std::vector<std::unique_ptr<Model>> models;
  models.push_back(build({1, 3, 8, 8}, kYoloxOrder, 2, false, true));
  models.push_back(build({1, 3, 9, 8}, kYoloxOrder, 2, false));
  models.push_back(build({1, 3, -1, 8}, kYoloxOrder, 2, false));
  models.push_back(build({1, 3, 8, 8}, {{0, 0}, {1, 0}, {0, 1}, {0, 0}}, 2, false));
  models.push_back(build({1, 3, 12, 12}, kYoloxOrder, 3, false));
  models.push_back(build({1, 3, 8, 8}, kYoloxOrder, 2, true));
  for (size_t k = 0; k < models.size(); ++k) {
    ASSERT_TRUE(models[k]);
    const size_t nodes = models[k]->graph.nodes.size();
    EXPECT_EQ(passes::fold_space_to_depth_into_conv(*models[k]), 0) << "model " << k;
    EXPECT_EQ(models[k]->graph.nodes.size(), nodes) << "model " << k;
  }
}

// MatMul + bias + GELU in two arrangements; Gemm + Relu.
TEST(Passes, MatMulBiasGeluAndGemmReluFuse) {
  t::GraphParts p;
  p.inputs = {f32_input("X", {2, 3, 8})};
  p.initializers = {t::tensor_f32("B", {8, 8}, random_floats(64, 7)), t::tensor_f32("bias", {8}, random_floats(8, 8)),
                    t::tensor_f32("sqrt2", {}, {1.4142135f}), t::tensor_f32("one", {}, {1.0f}),
                    t::tensor_f32("half", {}, {0.5f}), t::tensor_f32("G", {8, 5}, random_floats(40, 9))};
  // (x * (1 + erf(x / sqrt2))) * 0.5
  p.nodes = {t::node("MatMul", {"X", "B"}, {"m"}, "mm0"), t::node("Add", {"bias", "m"}, {"x"}),
             t::node("Div", {"x", "sqrt2"}, {"d"}), t::node("Erf", {"d"}, {"e"}), t::node("Add", {"e", "one"}, {"a"}),
             t::node("Mul", {"x", "a"}, {"p"}), t::node("Mul", {"p", "half"}, {"g"})};
  // (x * 0.5) * (1 + erf(x / sqrt2)), no bias
  p.nodes.push_back(t::node("MatMul", {"g", "B"}, {"x2"}, "mm1"));
  p.nodes.push_back(t::node("Div", {"x2", "sqrt2"}, {"d2"}));
  p.nodes.push_back(t::node("Erf", {"d2"}, {"e2"}));
  p.nodes.push_back(t::node("Add", {"one", "e2"}, {"a2"}));
  p.nodes.push_back(t::node("Mul", {"half", "x2"}, {"h2"}));
  p.nodes.push_back(t::node("Mul", {"h2", "a2"}, {"g2"}));
  p.nodes.push_back(t::node("Reshape", {"g2", "shape"}, {"r"}));
  p.initializers.push_back(t::tensor_raw("shape", 7, {2}, t::bytes_of(std::vector<int64_t>{6, 8})));
  p.nodes.push_back(t::node("Gemm", {"r", "G"}, {"gm"}, "gemm0"));
  p.nodes.push_back(t::node("Relu", {"gm"}, {"Y"}));
  p.outputs = {f32_input("Y", {6, 5})};
  auto m = load(p);
  ASSERT_TRUE(m);
  Model before = *m;
  EXPECT_EQ(passes::fuse_matmul_epilogues(*m), 3);
  ASSERT_EQ(op_types(*m), (std::vector<std::string>{"com.edgerun.FusedMatMul", "com.edgerun.FusedMatMul", "Reshape",
                                                     "com.edgerun.FusedGemm"}));
  const Node& f0 = m->graph.nodes[0];
  EXPECT_EQ(f0.name, "mm0");
  ASSERT_EQ(f0.inputs.size(), 3u);
  EXPECT_EQ(m->graph.values[static_cast<size_t>(f0.inputs[2])].name, "bias");
  EXPECT_EQ(f0.attr_string("activation", ""), "Gelu");
  EXPECT_EQ(m->graph.nodes[1].inputs.size(), 2u);
  EXPECT_EQ(m->graph.nodes[1].attr_string("activation", ""), "Gelu");
  EXPECT_EQ(m->graph.nodes[3].attr_string("activation", ""), "Relu");
  EXPECT_EQ(m->graph.values[static_cast<size_t>(m->graph.nodes[3].outputs[0])].name, "Y");
  if (!registered("FusedMatMul") || !registered("FusedGemm")) GTEST_SKIP() << "fused GEMM ops not registered yet";
  expect_optimized_matches(before, {Tensor::from_vector(DType::kFloat32, {2, 3, 8}, random_floats(48, 11))});
}

TEST(Passes, GeluWithSharedIntermediateNotFused) {
  t::GraphParts p;
  p.inputs = {f32_input("X", {3, 8})};
  p.initializers = {t::tensor_f32("B", {8, 8}, random_floats(64, 7)), t::tensor_f32("sqrt2", {}, {1.4142135f}),
                    t::tensor_f32("one", {}, {1.0f}), t::tensor_f32("half", {}, {0.5f})};
  p.nodes = {t::node("MatMul", {"X", "B"}, {"x"}), t::node("Div", {"x", "sqrt2"}, {"d"}), t::node("Erf", {"d"}, {"e"}),
             t::node("Add", {"e", "one"}, {"a"}), t::node("Mul", {"x", "a"}, {"p"}),
             t::node("Mul", {"p", "half"}, {"Y"})};
  p.outputs = {f32_input("Y", {3, 8}), f32_input("e", {3, 8})};
  auto m = load(p);
  ASSERT_TRUE(m);
  EXPECT_EQ(passes::fuse_matmul_epilogues(*m), 0);
}

// Conv -> Mul/Add/Sub/Div by per-channel ([C,1,1], [1,C,1,1]) or scalar constants, either operand order: one Conv.
TEST(Passes, ScaleBiasFoldsIntoConv) {
  t::GraphParts p;
  p.inputs = {f32_input("X", {1, 4, 5, 6})};
  add_conv(p, "X", "c", "0", 10);
  p.initializers.push_back(t::tensor_f32("s", {4, 1, 1}, {0.5f, -2.0f, 1.5f, 3.0f}));
  p.initializers.push_back(t::tensor_f32("b", {1, 4, 1, 1}, {0.25f, -1.0f, 2.0f, 0.0f}));
  p.initializers.push_back(t::tensor_f32("k", {1}, {0.75f}));
  p.nodes.push_back(t::node("Mul", {"s", "c"}, {"m"}));
  p.nodes.push_back(t::node("Add", {"m", "b"}, {"a"}));
  p.nodes.push_back(t::node("Sub", {"k", "a"}, {"d"}));  // k - a: negates the scale
  p.nodes.push_back(t::node("Constant", {}, {"two"}, "", {t::attr_float("value_float", 2.0f)}));
  p.nodes.push_back(t::node("Div", {"d", "two"}, {"Y"}));
  // A conv without bias: Add of a scalar becomes its bias.
  p.initializers.push_back(t::tensor_f32("Wn", {4, 4, 1, 1}, random_floats(16, 50)));
  p.nodes.push_back(t::node("Conv", {"Y", "Wn"}, {"cn"}, "convn"));
  p.nodes.push_back(t::node("Add", {"k", "cn"}, {"Z"}));
  p.outputs = {f32_input("Y", {1, 4, 5, 6}), f32_input("Z", {1, 4, 5, 6})};
  auto m = load(p);
  ASSERT_TRUE(m);
  Model before = *m;
  EXPECT_EQ(passes::fold_scale_bias_into_conv(*m), 5);
  ASSERT_EQ(op_types(*m), (std::vector<std::string>{"Conv", "Constant", "Conv"}));
  const Node& conv = m->graph.nodes[0];
  EXPECT_EQ(m->graph.values[static_cast<size_t>(conv.outputs[0])].name, "Y");
  EXPECT_NE(m->graph.values[static_cast<size_t>(conv.inputs[1])].name, "W0");
  const Node& convn = m->graph.nodes[2];
  ASSERT_EQ(convn.inputs.size(), 3u);
  EXPECT_EQ(m->graph.values[static_cast<size_t>(convn.inputs[0])].name, "Y");
  EXPECT_EQ(m->graph.values[static_cast<size_t>(convn.outputs[0])].name, "Z");
  const Tensor& bn = m->graph.values[static_cast<size_t>(convn.inputs[2])].initializer;
  ASSERT_TRUE(bn.defined());
  EXPECT_EQ(bn.data<float>()[3], 0.75f);
  Tensor x = image(6);
  expect_close(run(before, 0, "reference", {x}), run(*m, 0, "reference", {x}));
  expect_optimized_matches(before, {x});
}

TEST(Passes, ScaleBiasNotFoldedWhenUnsafe) {
  t::GraphParts p;
  p.inputs = {f32_input("X", {1, 4, 5, 6}), f32_input("r", {4, 1, 1})};
  p.initializers.push_back(t::tensor_f32("last", {4}, {1, 2, 3, 4}));            // lines up with W, not C
  p.initializers.push_back(t::tensor_f32("rank5", {1, 1, 4, 1, 1}, {1, 2, 3, 4}));  // broadcasts the output up
  p.initializers.push_back(t::tensor_f32("k", {}, {2.0f}));
  add_conv(p, "X", "c0", "0", 10);
  p.nodes.push_back(t::node("Mul", {"c0", "last"}, {"a0"}));
  add_conv(p, "a0", "c1", "1", 20);
  p.nodes.push_back(t::node("Mul", {"c1", "rank5"}, {"a1"}));
  p.nodes.push_back(t::node("Squeeze", {"a1", "axis0"}, {"s1"}));
  p.initializers.push_back(t::tensor_raw("axis0", 7, {1}, t::bytes_of(std::vector<int64_t>{0})));
  add_conv(p, "s1", "c2", "2", 30);
  p.nodes.push_back(t::node("Mul", {"c2", "r"}, {"a2"}));  // run-time scale
  add_conv(p, "a2", "c3", "3", 40);
  p.nodes.push_back(t::node("Div", {"k", "c3"}, {"a3"}));  // k / y is not affine
  add_conv(p, "a3", "c4", "4", 50);
  p.nodes.push_back(t::node("Mul", {"c4", "k"}, {"a4"}));  // conv output read twice
  p.nodes.push_back(t::node("Add", {"a4", "c4"}, {"Y"}));
  p.outputs = {f32_input("Y", {1, 4, 5, 6})};
  auto m = load(p);
  ASSERT_TRUE(m);
  const size_t n = m->graph.nodes.size();
  EXPECT_EQ(passes::fold_scale_bias_into_conv(*m), 0);
  EXPECT_EQ(m->graph.nodes.size(), n);
}

// Adds x * Clip(x + 3, 0, 6) / 6 in paddle2onnx's arrangement (Clip bounds as inputs, opset >= 11, or attributes).
void add_paddle_hardswish(t::GraphParts& p, const std::string& x, const std::string& y, const std::string& tag,
                          int64_t opset) {
  p.nodes.push_back(t::node("Add", {x, "three"}, {"hs_a" + tag}));
  if (opset >= 11)
    p.nodes.push_back(t::node("Clip", {"hs_a" + tag, "zero", "six"}, {"hs_c" + tag}));
  else
    p.nodes.push_back(t::node("Clip", {"hs_a" + tag}, {"hs_c" + tag}, "",
                              {t::attr_float("min", 0.0f), t::attr_float("max", 6.0f)}));
  p.nodes.push_back(t::node("Mul", {x, "hs_c" + tag}, {"hs_m" + tag}));
  p.nodes.push_back(t::node("Div", {"hs_m" + tag, "six"}, {y}));
}

void add_hard_constants(t::GraphParts& p) {
  p.initializers.push_back(t::tensor_f32("three", {}, {3.0f}));
  p.initializers.push_back(t::tensor_f32("zero", {}, {0.0f}));
  p.initializers.push_back(t::tensor_f32("six", {}, {6.0f}));
  p.initializers.push_back(t::tensor_f32("sixth", {1}, {1.0f / 6.0f}));
}

Tensor wide_image(uint32_t seed) {
  return Tensor::from_vector(DType::kFloat32, {1, 4, 5, 6}, random_floats(120, seed, -8.0f, 8.0f));
}

TEST(Passes, HardSwishAndHardSigmoidFormsMatched) {
  t::GraphParts p;
  p.inputs = {f32_input("X", {1, 4, 5, 6})};
  add_hard_constants(p);
  add_paddle_hardswish(p, "X", "h0", "0", 13);  // (x * clip) / 6
  // (clip * x) * (1/6), Add(3, x)
  p.nodes.push_back(t::node("Add", {"three", "h0"}, {"a1"}));
  p.nodes.push_back(t::node("Clip", {"a1", "zero", "six"}, {"c1"}));
  p.nodes.push_back(t::node("Mul", {"c1", "h0"}, {"m1"}));
  p.nodes.push_back(t::node("Mul", {"sixth", "m1"}, {"h1"}));
  // x * (clip / 6)
  p.nodes.push_back(t::node("Add", {"h1", "three"}, {"a2"}));
  p.nodes.push_back(t::node("Clip", {"a2", "zero", "six"}, {"c2"}));
  p.nodes.push_back(t::node("Div", {"c2", "six"}, {"d2"}));
  p.nodes.push_back(t::node("Mul", {"d2", "h1"}, {"h2"}));
  // clip / 6 alone: HardSigmoid (used to scale another value)
  p.nodes.push_back(t::node("Add", {"h2", "three"}, {"a3"}));
  p.nodes.push_back(t::node("Clip", {"a3", "zero", "six"}, {"c3"}));
  p.nodes.push_back(t::node("Mul", {"c3", "sixth"}, {"g3"}));
  p.nodes.push_back(t::node("Mul", {"g3", "X"}, {"h3"}));
  // x * HardSigmoid(x, 1/6, 0.5)
  p.nodes.push_back(t::node("HardSigmoid", {"h3"}, {"g4"}, "",
                            {t::attr_float("alpha", 1.0f / 6.0f), t::attr_float("beta", 0.5f)}));
  p.nodes.push_back(t::node("Mul", {"h3", "g4"}, {"Y"}));
  p.outputs = {f32_input("Y", {1, 4, 5, 6})};
  auto m = load(p);
  ASSERT_TRUE(m);
  Model before = *m;
  EXPECT_EQ(passes::match_hard_activations(*m), 5);
  ASSERT_EQ(op_types(*m), (std::vector<std::string>{"HardSwish", "HardSwish", "HardSwish", "HardSigmoid", "Mul",
                                                     "HardSwish"}));
  const Graph& g = m->graph;
  EXPECT_EQ(g.values[static_cast<size_t>(g.nodes[0].inputs[0])].name, "X");
  EXPECT_EQ(g.values[static_cast<size_t>(g.nodes[0].outputs[0])].name, "h0");
  EXPECT_EQ(g.values[static_cast<size_t>(g.nodes[3].inputs[0])].name, "h2");
  EXPECT_NEAR(g.nodes[3].attr_float("alpha", 0.0f), 1.0f / 6.0f, 1e-7f);
  EXPECT_EQ(g.nodes[3].attr_float("beta", 0.0f), 0.5f);
  EXPECT_EQ(g.values[static_cast<size_t>(g.nodes[5].outputs[0])].name, "Y");
  Tensor x = wide_image(7);
  expect_close(run(before, 0, "reference", {x}), run(*m, 0, "reference", {x}));
  expect_optimized_matches(before, {x});
}

TEST(Passes, HardSwishNotMatchedWhenDifferent) {
  t::GraphParts p;
  p.inputs = {f32_input("X", {1, 4, 5, 6}), f32_input("W", {1, 4, 5, 6})};
  add_hard_constants(p);
  p.initializers.push_back(t::tensor_f32("five", {}, {5.0f}));
  p.initializers.push_back(t::tensor_f32("two", {}, {2.0f}));
  // Clip(x + 3, 0, 5) / 6; Clip(x + 2, 0, 6) / 6; w * Clip(x + 3, 0, 6) / 5 (w is not x, / 5 is no / 6);
  // x * Clip(x + 3, 0, 6) / 6 whose clip is a graph output; 6 / Clip(x + 3, 0, 6).
  p.nodes = {t::node("Add", {"X", "three"}, {"a0"}), t::node("Clip", {"a0", "zero", "five"}, {"c0"}),
             t::node("Div", {"c0", "six"}, {"y0"}),
             t::node("Add", {"y0", "two"}, {"a1"}), t::node("Clip", {"a1", "zero", "six"}, {"c1"}),
             t::node("Div", {"c1", "six"}, {"y1"}),
             t::node("Add", {"y1", "three"}, {"a2"}), t::node("Clip", {"a2", "zero", "six"}, {"c2"}),
             t::node("Mul", {"W", "c2"}, {"m2"}), t::node("Div", {"m2", "five"}, {"y2"}),
             t::node("Add", {"y2", "three"}, {"a3"}), t::node("Clip", {"a3", "zero", "six"}, {"C3"}),
             t::node("Mul", {"y2", "C3"}, {"m3"}), t::node("Div", {"m3", "six"}, {"y3"}),
             t::node("Add", {"y3", "three"}, {"a4"}), t::node("Clip", {"a4", "zero", "six"}, {"c4"}),
             t::node("Div", {"six", "c4"}, {"Y"})};
  p.outputs = {f32_input("Y", {1, 4, 5, 6}), f32_input("C3", {1, 4, 5, 6})};
  auto m = load(p);
  ASSERT_TRUE(m);
  const size_t n = m->graph.nodes.size();
  EXPECT_EQ(passes::match_hard_activations(*m), 0);
  EXPECT_EQ(m->graph.nodes.size(), n);
}

// A PP-LCNetV3 block as paddle2onnx writes it (opset 9: Clip bounds as attributes): Conv -> Mul(scale) ->
// Add(bias) -> hardswish -> Mul -> Add -> Conv -> Mul -> Add -> hardswish. The whole pipeline leaves two
// FusedConv(HardSwish) and the learnable affine between them.
TEST(Passes, PaddleConvAffineHardSwishFuse) {
  for (int64_t opset : {9, 13}) {
    t::GraphParts p;
    p.inputs = {f32_input("X", {1, 4, 5, 6})};
    add_hard_constants(p);
    p.initializers.push_back(t::tensor_f32("s0", {1}, {1.5f}));
    p.initializers.push_back(t::tensor_f32("b0", {1}, {0.3f}));
    p.initializers.push_back(t::tensor_f32("s1", {1}, {0.8f}));
    p.initializers.push_back(t::tensor_f32("b1", {1}, {-0.2f}));
    add_conv(p, "X", "c0", "0", 10);
    p.nodes.push_back(t::node("Mul", {"s0", "c0"}, {"m0"}));
    p.nodes.push_back(t::node("Add", {"m0", "b0"}, {"a0"}));
    add_paddle_hardswish(p, "a0", "h0", "0", opset);
    p.nodes.push_back(t::node("Mul", {"s1", "h0"}, {"m1"}));
    p.nodes.push_back(t::node("Add", {"m1", "b1"}, {"a1"}));
    add_conv(p, "a1", "c1", "1", 20);
    p.nodes.push_back(t::node("Mul", {"s0", "c1"}, {"m2"}));
    p.nodes.push_back(t::node("Add", {"m2", "b0"}, {"a2"}));
    add_paddle_hardswish(p, "a2", "Y", "1", opset);
    p.outputs = {f32_input("Y", {1, 4, 5, 6})};
    auto m = load(p, opset);
    ASSERT_TRUE(m);
    Model before = *m;
    ASSERT_TRUE(optimize_model(*m, 1).ok());
    if (!registered("FusedConv")) GTEST_SKIP() << "com.edgerun.FusedConv not registered yet";
    ASSERT_EQ(op_types(*m), (std::vector<std::string>{"com.edgerun.FusedConv", "Mul", "Add", "com.edgerun.FusedConv"}))
        << "opset " << opset;
    EXPECT_EQ(m->graph.nodes[0].attr_string("activation", ""), "HardSwish");
    EXPECT_EQ(m->graph.nodes[3].attr_string("activation", ""), "HardSwish");
    EXPECT_EQ(m->graph.values[static_cast<size_t>(m->graph.nodes[3].outputs[0])].name, "Y");
    expect_optimized_matches(before, {wide_image(8)});
  }
}

// Planner: dead nodes skipped, Reshape aliased, element-wise ops in place; same outputs, smaller arena.
TEST(PlanMemory, AliasInPlaceDeadSteps) {
  t::GraphParts p;
  p.inputs = {f32_input("X", {4, 64})};
  p.initializers = {t::tensor_raw("shape", 7, {2}, t::bytes_of(std::vector<int64_t>{16, 16}))};
  p.nodes = {t::node("Exp", {"X"}, {"a"}),           t::node("Neg", {"a"}, {"b"}),
             t::node("Reshape", {"b", "shape"}, {"c"}), t::node("Sigmoid", {"c"}, {"d"}),
             t::node("Mul", {"d", "d"}, {"e"}),      t::node("Tanh", {"a"}, {"unused"}),
             t::node("Add", {"e", "e"}, {"Y"})};
  p.outputs = {f32_input("Y", {16, 16})};
  auto m = load(p);
  ASSERT_TRUE(m);
  Tensor x = Tensor::from_vector(DType::kFloat32, {4, 64}, random_floats(256, 12));
  auto plain = Plan::build(*m, {x}, nullptr, nullptr, true, false);
  auto reuse = Plan::build(*m, {x}, nullptr, nullptr, true, true);
  ASSERT_TRUE(plain.ok() && reuse.ok());
  EXPECT_EQ((*plain)->num_steps(), 7u);
  EXPECT_EQ((*reuse)->num_dead_nodes(), 1u);
  EXPECT_EQ((*reuse)->num_aliased(), 1u);
  EXPECT_EQ((*reuse)->num_steps(), 5u);
  EXPECT_GE((*reuse)->num_in_place(), 3u);  // Neg, Sigmoid, Mul, Add all can
  EXPECT_EQ((*reuse)->arena_bytes(), 1024u);
  EXPECT_LT((*reuse)->arena_bytes(), (*plain)->arena_bytes());
  std::vector<Tensor> a, b;
  ASSERT_TRUE((*plain)->run({x}, &a).ok());
  ASSERT_TRUE((*reuse)->run({x}, &b).ok());
  expect_close(a, b, 0.0);
}

// A value read after the in-place candidate step keeps its own buffer: Relu may not overwrite `a`, the Add may.
TEST(PlanMemory, NoInPlaceWhileInputIsStillRead) {
  t::GraphParts p;
  p.inputs = {f32_input("X", {8})};
  p.nodes = {t::node("Exp", {"X"}, {"a"}), t::node("Relu", {"a"}, {"b"}), t::node("Add", {"a", "b"}, {"Y"})};
  p.outputs = {f32_input("Y", {8})};
  auto m = load(p);
  ASSERT_TRUE(m);
  Tensor x = Tensor::from_vector(DType::kFloat32, {8}, random_floats(8, 13));
  auto plan = Plan::build(*m, {x}, nullptr, nullptr, true, true);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ((*plan)->num_in_place(), 1u);
  std::vector<Tensor> out;
  ASSERT_TRUE((*plan)->run({x}, &out).ok());
  for (int i = 0; i < 8; ++i) {
    float a = std::exp(x.data<float>()[i]);
    EXPECT_FLOAT_EQ(out[0].data<float>()[i], a + std::max(a, 0.0f));
  }
}

// A conv whose residual add is fused (FusedConv's Z) writes its output over the residual's buffer when it is the
// residual's last reader (the GEMM paths add it element by element in the store phase); not when the residual is
// read later, and not when the residual is also the conv's input (Conv(x) + x: later row panels still read x).
TEST(PlanMemory, ConvWritesOverItsResidual) {
  if (!registered("FusedConv")) GTEST_SKIP() << "com.edgerun.FusedConv not registered";
  struct Case {
    const char* name;
    std::vector<std::string> nodes;
    size_t in_place;
  };
  // 24 -> 24 channels on 6x6: two row panels of the GEMM, so an output written over its own input would be read back.
  const std::vector<Case> cases = {
      {"last reader", {t::node("Exp", {"X"}, {"r"}), t::node("Conv", {"X", "W", "B"}, {"c"}),
                       t::node("Add", {"c", "r"}, {"s"}), t::node("Relu", {"s"}, {"Y"})},
       1},
      {"residual read later", {t::node("Exp", {"X"}, {"r"}), t::node("Conv", {"X", "W", "B"}, {"c"}),
                               t::node("Add", {"c", "r"}, {"s"}), t::node("Mul", {"s", "r"}, {"Y"})},
       1},  // only the Mul
      {"residual is the input", {t::node("Exp", {"X"}, {"r"}), t::node("Conv", {"r", "W", "B"}, {"c"}),
                                 t::node("Add", {"c", "r"}, {"Y"})},
       0},
  };
  for (const Case& c : cases) {
    t::GraphParts p;
    p.inputs = {f32_input("X", {1, 24, 6, 6})};
    p.initializers = {t::tensor_f32("W", {24, 24, 1, 1}, random_floats(576, 31)),
                      t::tensor_f32("B", {24}, random_floats(24, 32))};
    p.nodes = c.nodes;
    p.outputs = {f32_input("Y", {1, 24, 6, 6})};
    auto m = load(p);
    ASSERT_TRUE(m) << c.name;
    Model before = *m;
    ASSERT_TRUE(optimize_model(*m, 1).ok()) << c.name;
    ASSERT_NE(find_op(*m, "FusedConv"), nullptr) << c.name;
    ASSERT_EQ(find_op(*m, "FusedConv")->inputs.size(), 4u) << c.name << ": residual not fused";
    Tensor x = Tensor::from_vector(DType::kFloat32, {1, 24, 6, 6}, random_floats(864, 33));
    auto plan = Plan::build(*m, {x}, nullptr, nullptr, false, true);
    ASSERT_TRUE(plan.ok()) << c.name;
    EXPECT_EQ((*plan)->num_in_place(), c.in_place) << c.name;
    std::vector<Tensor> got;
    ASSERT_TRUE((*plan)->run({x}, &got).ok()) << c.name;
    ASSERT_TRUE((*plan)->run({x}, &got).ok()) << c.name;  // the arena again
    expect_close(run(before, 0, "reference", {x}), got);
  }
}

// The same for the 3x3 conv paths that add the residual in the GEMM's store phase or in the transpose back: implicit
// GEMM, im2col columns, im2col pixel rows; K = 32 * 9 = 288 spans two K blocks (partial sums written to the output).
TEST(PlanMemory, ConvPathsWriteOverTheirResidual) {
  if (!registered("FusedConv")) GTEST_SKIP() << "com.edgerun.FusedConv not registered";
  struct Case {
    const char* variant;
    int64_t in_hw, out_hw, cout;
  };
  const Case cases[] = {{"conv-implicit-gemm", 64, 32, 24},
                        {"conv-im2col-gemm", 20, 10, 40},
                        {"conv-im2col-gemm-pixel-rows", 14, 7, 32}};
  for (const Case& c : cases) {
    t::GraphParts p;
    p.inputs = {f32_input("X", {1, 32, c.in_hw, c.in_hw}), f32_input("X2", {1, c.cout, c.out_hw, c.out_hw})};
    p.initializers = {t::tensor_f32("W", {c.cout, 32, 3, 3}, random_floats(static_cast<size_t>(c.cout * 288), 41)),
                      t::tensor_f32("B", {c.cout}, random_floats(static_cast<size_t>(c.cout), 42))};
    p.nodes = {t::node("Exp", {"X2"}, {"r"}),
               t::node("Conv", {"X", "W", "B"}, {"c"}, "conv",
                       {t::attr_ints("pads", {1, 1, 1, 1}), t::attr_ints("strides", {2, 2}),
                        t::attr_ints("kernel_shape", {3, 3})}),
               t::node("Add", {"c", "r"}, {"Y"})};
    p.outputs = {f32_input("Y", {1, c.cout, c.out_hw, c.out_hw})};
    auto m = load(p);
    ASSERT_TRUE(m) << c.variant;
    Model before = *m;
    ASSERT_TRUE(optimize_model(*m, 1).ok()) << c.variant;
    const int64_t in_n = 32 * c.in_hw * c.in_hw, out_n = c.cout * c.out_hw * c.out_hw;
    const std::vector<Tensor> inputs = {
        Tensor::from_vector(DType::kFloat32, {1, 32, c.in_hw, c.in_hw}, random_floats(static_cast<size_t>(in_n), 43)),
        Tensor::from_vector(DType::kFloat32, {1, c.cout, c.out_hw, c.out_hw},
                            random_floats(static_cast<size_t>(out_n), 44))};
    auto plan = Plan::build(*m, inputs, nullptr, nullptr, false, true);
    ASSERT_TRUE(plan.ok()) << c.variant;
    (*plan)->enable_profiling(true);
    std::vector<Tensor> got;
    ASSERT_TRUE((*plan)->run(inputs, &got).ok()) << c.variant;
    // Micro-kernels without `any` / `indirect` entries (EDGERUN_ISA=avx2 or scalar, arm64) run these shapes through
    // im2col, which writes over the residual too.
    bool found = false;
    for (const Plan::StepProfile& sp : (*plan)->profile())
      if (sp.kernel && std::string(sp.kernel->variant()) == c.variant) found = true;
    if (!found) std::printf("[ note ] %s not chosen with this CPU's kernels; checked through the path chosen\n", c.variant);
    EXPECT_EQ((*plan)->num_in_place(), 1u) << c.variant;
    expect_close(run(before, 0, "reference", inputs), got);
  }
}

// Concat in place: producers write straight into their slice of the output (outer size 1) and the Concat step is
// skipped; not when an input is still read after the Concat, is listed twice, or the outer size is above 1.
TEST(PlanMemory, ConcatInputsProducedInPlace) {
  struct Case {
    const char* name;
    std::vector<std::string> nodes;
    std::vector<int64_t> y_shape;
    size_t concats_in_place;
  };
  const std::vector<Case> cases = {
      {"channels", {t::node("Exp", {"X"}, {"a"}), t::node("Neg", {"X"}, {"b"}), t::node("Sigmoid", {"X"}, {"c"}),
                    t::node("Concat", {"a", "b", "c"}, {"d"}, "", {t::attr_int("axis", 1)}), t::node("Relu", {"d"}, {"Y"})},
       {1, 6, 8}, 1},
      {"negative axis", {t::node("Exp", {"X"}, {"a"}), t::node("Neg", {"X"}, {"b"}),
                         t::node("Concat", {"a", "b"}, {"Y"}, "", {t::attr_int("axis", -2)})},
       {1, 4, 8}, 1},
      // Relu runs in place over d: had `a` been produced into d, the last Concat would read it overwritten.
      {"input read later", {t::node("Exp", {"X"}, {"a"}), t::node("Neg", {"X"}, {"b"}),
                            t::node("Concat", {"a", "b"}, {"d"}, "", {t::attr_int("axis", 1)}),
                            t::node("Relu", {"d"}, {"e"}),
                            t::node("Concat", {"e", "a"}, {"Y"}, "", {t::attr_int("axis", 1)})},
       {1, 6, 8}, 0},
      {"input twice", {t::node("Exp", {"X"}, {"a"}), t::node("Concat", {"a", "a"}, {"Y"}, "", {t::attr_int("axis", 1)})},
       {1, 4, 8}, 0},
      {"outer above one", {t::node("Exp", {"X"}, {"a"}), t::node("Neg", {"X"}, {"b"}),
                           t::node("Concat", {"a", "b"}, {"Y"}, "", {t::attr_int("axis", 2)})},
       {1, 2, 16}, 0},
  };
  for (const Case& c : cases) {
    t::GraphParts p;
    p.inputs = {f32_input("X", {1, 2, 8})};
    p.nodes = c.nodes;
    p.outputs = {f32_input("Y", c.y_shape)};
    auto m = load(p);
    ASSERT_TRUE(m) << c.name;
    Tensor x = Tensor::from_vector(DType::kFloat32, {1, 2, 8}, random_floats(16, 21));
    auto plain = Plan::build(*m, {x}, nullptr, nullptr, true, false);
    auto reuse = Plan::build(*m, {x}, nullptr, nullptr, true, true);
    ASSERT_TRUE(plain.ok() && reuse.ok()) << c.name;
    EXPECT_EQ((*plain)->num_concat_in_place(), 0u) << c.name;
    EXPECT_EQ((*reuse)->num_concat_in_place(), c.concats_in_place) << c.name;
    std::vector<Tensor> a, b;
    ASSERT_TRUE((*plain)->run({x}, &a).ok()) << c.name;
    ASSERT_TRUE((*reuse)->run({x}, &b).ok()) << c.name;
    ASSERT_TRUE((*reuse)->run({x}, &b).ok()) << c.name;  // a second run reuses the arena
    expect_close(a, b, 0.0);
  }
}

// Released weight pages are re-read from the file when needed: results stay right.
TEST(PlanMemory, ReleasingWeightPagesKeepsResults) {
  std::filesystem::path path = std::filesystem::temp_directory_path() / "edgerun_test_release_pages.onnx";
  // The loader views W in the mmap only when its bytes are 4-aligned: vary the node name's length until they are.
  std::unique_ptr<Model> m;
  const std::string w_name = "W";
  for (const char* name : {"c", "cv", "cnv", "conv"}) {
    if (m) break;
    t::GraphParts p;
    p.inputs = {f32_input("X", {1, 64, 8, 8})};
    p.initializers = {t::tensor_f32(w_name, {64, 64, 3, 3}, random_floats(64 * 64 * 9, 14))};
    p.nodes = {t::node("Conv", {"X", w_name}, {"Y"}, name, {t::attr_ints("pads", {1, 1, 1, 1})})};
    p.outputs = {f32_input("Y", {1, 64, 8, 8})};
    std::string bytes = t::model(t::graph(p), t::ModelParts{});
    { std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size())); }
    auto loaded = load_onnx_model(path.string());
    ASSERT_TRUE(loaded.ok()) << loaded.status().to_string();
    const Tensor& w = (*loaded)->graph.values[static_cast<size_t>((*loaded)->graph.find_value(w_name))].initializer;
    const uint8_t* wp = static_cast<const uint8_t*>(w.raw_data());
    const MappedFile& f = *(*loaded)->file;
    if (wp >= f.data() && wp < f.data() + f.size()) m = std::move(loaded).value();
  }
  ASSERT_TRUE(m) << "no name length put W's bytes in place";
  Tensor x = Tensor::from_vector(DType::kFloat32, {1, 64, 8, 8}, random_floats(4096, 15));
  auto ref = Plan::build(*m, {x}, nullptr, nullptr, true, false);
  auto plan = Plan::build(*m, {x}, nullptr, nullptr, false, true);
  ASSERT_TRUE(ref.ok() && plan.ok());
  size_t released = (*plan)->release_packed_weight_pages();
  std::printf("packed %zu bytes, released %zu bytes\n", (*plan)->packed_weight_bytes(), released);
  if ((*plan)->packed_weight_bytes() > 0) EXPECT_GT(released, 64u * 64 * 9 * 4 - 8192);
  EXPECT_EQ((*ref)->release_packed_weight_pages(), 0u);  // reference kernels pack nothing
  std::vector<Tensor> a, b;
  ASSERT_TRUE((*ref)->run({x}, &a).ok());
  ASSERT_TRUE((*plan)->run({x}, &b).ok());
  expect_close(a, b, 1e-5);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace edgerun

namespace edgerun {
namespace {

// At optimization level 1 a session drops each initializer once every reader has packed it (and the file pages
// under it); a re-plan for new input shapes must restore them first and still match the graph as written.
TEST(Passes, ReleasedInitializersAreRestoredForANewShape) {
  std::filesystem::path path = std::filesystem::temp_directory_path() / "edgerun_test_release_replan.onnx";
  t::GraphParts p;
  p.inputs = {t::value_info("X", 1, {-1, 4, 5, 6}, {"N"})};
  add_conv(p, "X", "c1", "1", 21);
  add_bn(p, "c1", "n1", "1", 31);
  p.nodes.push_back(t::node("Relu", {"n1"}, {"r1"}, "relu1"));
  add_conv(p, "r1", "Y", "2", 41);
  p.outputs = {t::value_info("Y", 1, {-1, 4, 5, 6}, {"N"})};
  std::string bytes = t::model(t::graph(p), t::ModelParts{});
  { std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size())); }

  SessionOptions ro;
  ro.optimization_level = 0;
  ro.backend = "reference";
  ro.threads = 1;
  auto ref = Session::load(path.string(), ro);
  SessionOptions oo;
  oo.optimization_level = 1;
  oo.threads = 1;
  oo.backend = "cpu";  // the own kernels pack and release; "auto" is XNNPACK on arm64, which keeps initializers
  auto opt = Session::load(path.string(), oo);
  ASSERT_TRUE(ref.ok() && opt.ok());
  for (int64_t batch : {1, 2, 1, 3}) {
    std::vector<float> v = random_floats(static_cast<size_t>(batch) * 120, 50 + static_cast<uint32_t>(batch));
    Tensor x = Tensor::from_vector(DType::kFloat32, {batch, 4, 5, 6}, v);
    std::vector<Tensor> a, b;
    ASSERT_TRUE((*ref)->run({x}, &a).ok());
    Status st = (*opt)->run({x}, &b);
    ASSERT_TRUE(st.ok()) << st.to_string();
    expect_close(a, b, 1e-5);
    // The packed conv weights were dropped from the model after planning, W1 too (the source of conv1's folded
    // weights, which the plan computes and packs).
    const auto& released = (*opt)->model().released_initializers;
    EXPECT_FALSE(released.empty()) << "batch " << batch;
    const int w1 = (*opt)->model().graph.find_value("W1");
    EXPECT_NE(std::find(released.begin(), released.end(), w1), released.end()) << "batch " << batch;
  }
  // prepare() re-plans too; a plan built directly on the session's model sees every initializer again.
  ASSERT_TRUE((*opt)->prepare({{2, 4, 5, 6}}).ok());
  Tensor x = Tensor::from_vector(DType::kFloat32, {2, 4, 5, 6}, random_floats(240, 77));
  auto plain = Plan::build((*opt)->model(), {x}, nullptr, nullptr, true, false);
  ASSERT_TRUE(plain.ok()) << plain.status().to_string();
  EXPECT_TRUE((*opt)->model().released_initializers.empty());
  std::vector<Tensor> a, b;
  ASSERT_TRUE((*plain)->run({x}, &a).ok());
  ASSERT_TRUE((*opt)->run({x}, &b).ok());
  expect_close(a, b, 1e-5);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace edgerun
