// Transformer fast paths against the reference kernels: float32 Softmax / LogSoftmax over the last axis,
// Add/Sub/Mul/Div broadcasting variants, Pow with constant exponents, ReduceMean/ReduceSum over trailing axes,
// com.edgerun.LayerNorm, and the fuse_layer_norm pass (structure and numbers on a small built model).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/thread_pool.h"
#include "edgerun/session.h"
#include "graph/ir.h"
#include "graph/passes/fuse_layer_norm.h"
#include "graph/passes/passes.h"
#include "models/model_test_util.h"
#include "onnx/onnx_loader.h"
#include "ops/op_test_util.h"
#include "runtime/plan.h"

namespace edgerun {
namespace {

using testing::random_tensor;

// One input of a single-node test model: a tensor, optionally an initializer.
struct In {
  Tensor t;
  bool constant = false;
};

Attribute int_attr(const std::string& n, int64_t v) {
  Attribute a;
  a.name = n;
  a.type = AttrType::kInt;
  a.i = v;
  return a;
}
Attribute ints_attr(const std::string& n, std::vector<int64_t> v) {
  Attribute a;
  a.name = n;
  a.type = AttrType::kInts;
  a.ints = std::move(v);
  return a;
}
Attribute float_attr(const std::string& n, float v) {
  Attribute a;
  a.name = n;
  a.type = AttrType::kFloat;
  a.f = v;
  return a;
}

Model one_node_model(const std::string& domain, const std::string& op, int64_t opset, const std::vector<In>& ins,
                     std::vector<Attribute> attrs, std::vector<Tensor>* graph_inputs) {
  Model m;
  m.opsets[""] = domain.empty() ? opset : 17;
  if (!domain.empty()) m.opsets[domain] = opset;
  Graph& g = m.graph;
  Node n;
  n.name = "node";
  n.op_type = op;
  n.domain = domain;
  n.attrs = std::move(attrs);
  for (size_t i = 0; i < ins.size(); ++i) {
    if (!ins[i].t.defined()) {
      n.inputs.push_back(-1);
      continue;
    }
    const int v = g.add_value("in" + std::to_string(i));
    g.values[static_cast<size_t>(v)].dtype = ins[i].t.dtype();
    if (ins[i].constant) {
      g.values[static_cast<size_t>(v)].initializer = ins[i].t;
    } else {
      g.inputs.push_back(v);
      graph_inputs->push_back(ins[i].t);
    }
    n.inputs.push_back(v);
  }
  const int out = g.add_value("out");
  g.values[static_cast<size_t>(out)].producer = 0;
  n.outputs.push_back(out);
  g.outputs.push_back(out);
  g.nodes.push_back(n);
  return m;
}

// Runs the model's plan with the optimized kernels on 3 threads, or the reference kernels on one.
Expected<std::vector<Tensor>> run_model(const Model& m, const std::vector<Tensor>& inputs, bool reference,
                                        std::vector<std::string>* variants = nullptr) {
  static ThreadPool pool(3);
  PlanOptions opts;
  opts.backend = reference ? "reference" : "cpu";
  ER_ASSIGN_OR_RETURN(auto plan, Plan::build(m, inputs, nullptr, reference ? nullptr : &pool, opts));
  std::vector<Tensor> outs;
  ER_RETURN_IF_ERROR(plan->run(inputs, &outs));
  (void)variants;
  return outs;
}

void expect_close(const Tensor& got, const Tensor& want, float rel, float abs_tol) {
  ASSERT_EQ(got.shape(), want.shape());
  ASSERT_EQ(got.dtype(), DType::kFloat32);
  for (int64_t i = 0; i < got.numel(); ++i) {
    const float g = got.data<float>()[i], w = want.data<float>()[i];
    if (std::isnan(w)) {
      ASSERT_TRUE(std::isnan(g)) << "at " << i;
      continue;
    }
    if (g == w) continue;  // also equal infinities
    ASSERT_NEAR(g, w, abs_tol + rel * std::fabs(w)) << "at flat index " << i;
  }
}

// Single node: optimized vs reference.
void check_node(const std::string& domain, const std::string& op, int64_t opset, const std::vector<In>& ins,
                std::vector<Attribute> attrs, float rel = 2e-6f, float abs_tol = 1e-6f) {
  std::vector<Tensor> gi;
  Model m = one_node_model(domain, op, opset, ins, std::move(attrs), &gi);
  auto fast = run_model(m, gi, false);
  ASSERT_TRUE(fast.ok()) << fast.status().message();
  auto ref = run_model(m, gi, true);
  ASSERT_TRUE(ref.ok()) << ref.status().message();
  expect_close((*fast)[0], (*ref)[0], rel, abs_tol);
}

// ---- Softmax ----

TEST(TransformerFast, SoftmaxLastAxisMatchesReference) {
  const std::vector<Shape> shapes = {{1}, {7}, {3, 1}, {2, 127}, {3, 5, 197}, {1, 3, 197, 197}, {4, 33, 8}};
  uint32_t seed = 1;
  for (const Shape& s : shapes) {
    SCOPED_TRACE(shape_str(s));
    const Tensor x = random_tensor(s, seed++, -8.0f, 8.0f);
    check_node("", "Softmax", 13, {{x}}, {});
    check_node("", "LogSoftmax", 13, {{x}}, {}, 2e-6f, 2e-5f);
    check_node("", "Softmax", 11, {{x}}, {int_attr("axis", static_cast<int64_t>(s.size()) - 1)});
  }
}

TEST(TransformerFast, SoftmaxNonLastAxisAndSpecialValues) {
  const Tensor x = random_tensor({2, 9, 5}, 3, -4.0f, 4.0f);
  check_node("", "Softmax", 13, {{x}}, {int_attr("axis", 1)});
  check_node("", "Softmax", 11, {{x}}, {int_attr("axis", 1)});  // coerced 2-D, rows of 45: fast path
  Tensor y = random_tensor({4, 10}, 4);
  float* p = y.data<float>();
  p[3] = INFINITY;                                 // row 0: +inf maximum
  p[12] = NAN;                                     // row 1: NaN
  for (int i = 20; i < 30; ++i) p[i] = -INFINITY;  // row 2: all -inf
  p[35] = 1e30f;                                   // row 3: huge but finite
  check_node("", "Softmax", 13, {{y}}, {});
}

TEST(TransformerFast, SoftmaxRowsSumToOne) {
  const Tensor x = random_tensor({5, 300}, 9, -30.0f, 30.0f);
  std::vector<Tensor> gi;
  Model m = one_node_model("", "Softmax", 13, {{x}}, {}, &gi);
  auto out = run_model(m, gi, false);
  ASSERT_TRUE(out.ok()) << out.status().message();
  for (int r = 0; r < 5; ++r) {
    double s = 0;
    for (int j = 0; j < 300; ++j) s += (*out)[0].data<float>()[r * 300 + j];
    EXPECT_NEAR(s, 1.0, 1e-5);
  }
}

// ---- binary ----

struct BinCase {
  Shape a, b;
};

TEST(TransformerFast, ArithmeticBroadcastVariantsMatchReference) {
  const std::vector<BinCase> cases = {
      {{7}, {7}},                      // equal
      {{3, 197, 192}, {3, 197, 192}},  // equal, large (parallel blocks)
      {{2, 5, 7}, {}},                 // scalar
      {{1}, {2, 5, 7}},                // scalar on the left
      {{197, 192}, {1, 1}},            // scalar of rank 2
      {{3, 127}, {127}},               // row vector
      {{192}, {4, 197, 192}},          // row vector on the left, larger rank
      {{2, 197, 192}, {1, 1, 192}},    // row vector with leading ones
      {{4, 197, 1}, {4, 197, 192}},    // per-row scalar on the left
      {{3, 33, 7}, {3, 33, 1}},        // per-row scalar
      {{5, 1}, {1, 6}},                // outer product: generic path
      {{2, 3, 4}, {3, 1}},             // middle broadcast: generic path
      {{0, 4}, {4}},                   // empty
  };
  uint32_t seed = 10;
  for (const char* op : {"Add", "Sub", "Mul", "Div"}) {
    for (const BinCase& c : cases) {
      SCOPED_TRACE(std::string(op) + " [" + shape_str(c.a) + "] [" + shape_str(c.b) + "]");
      const Tensor a = random_tensor(c.a, seed++, 0.5f, 2.0f);
      const Tensor b = random_tensor(c.b, seed++, 0.5f, 2.0f);
      check_node("", op, 14, {{a}, {b}}, {}, 0.0f, 0.0f);  // same float ops, same order: exact
      check_node("", op, 14, {{a}, {b, true}}, {}, 0.0f, 0.0f);
    }
  }
}

TEST(TransformerFast, ArithmeticFastPathGivesSameShapeAsGeneric) {
  const Tensor a = random_tensor({192}, 1);
  const Tensor b = random_tensor({2, 1, 192}, 2);
  std::vector<Tensor> gi;
  Model m = one_node_model("", "Sub", 14, {{a}, {b}}, {}, &gi);
  auto out = run_model(m, gi, false);
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ((*out)[0].shape(), (Shape{2, 1, 192}));
  for (int64_t i = 0; i < 384; ++i)
    ASSERT_EQ((*out)[0].data<float>()[i], a.data<float>()[i % 192] - b.data<float>()[i]);
}

TEST(TransformerFast, PowConstantExponents) {
  Tensor x = random_tensor({3, 197, 65}, 5, -3.0f, 3.0f);
  Tensor xp = random_tensor({3, 197, 65}, 6, 0.0f, 5.0f);
  xp.data<float>()[0] = -0.0f;
  xp.data<float>()[1] = INFINITY;
  for (float e : {1.0f, 2.0f, 0.5f, 3.0f, -1.0f}) {
    SCOPED_TRACE(e);
    const Tensor& base = e == 0.5f ? xp : x;
    check_node("", "Pow", 15, {{base}, {testing::float_tensor({}, {e}), true}}, {}, 1e-6f, 0.0f);
    check_node("", "Pow", 15, {{base}, {testing::float_tensor({1, 1, 1}, {e}), true}}, {}, 1e-6f, 0.0f);
    // Exponent not constant: generic path.
    check_node("", "Pow", 15, {{base}, {testing::float_tensor({1}, {e})}}, {}, 1e-6f, 0.0f);
  }
  // Mixed dtype constant exponent.
  const Tensor e64 = Tensor::from_vector<double>(DType::kFloat64, {}, {2.0});
  check_node("", "Pow", 15, {{x}, {e64, true}}, {}, 0.0f, 0.0f);
  // -0 ^ 0.5 = +0, as pow gives.
  std::vector<Tensor> gi;
  Model m = one_node_model("", "Pow", 15, {{xp}, {testing::float_tensor({}, {0.5f}), true}}, {}, &gi);
  auto out = run_model(m, gi, false);
  ASSERT_TRUE(out.ok());
  EXPECT_FALSE(std::signbit((*out)[0].data<float>()[0]));
}

// ---- reduce ----

TEST(TransformerFast, ReduceMeanSumTrailingAxesMatchReference) {
  struct RCase {
    Shape s;
    std::vector<int64_t> axes;
    int64_t keepdims;
  };
  const std::vector<RCase> cases = {
      {{3, 197, 192}, {-1}, 1}, {{7}, {0}, 0},          {{5, 1, 13}, {2}, 1}, {{2, 3, 127}, {1, 2}, 0},
      {{4, 6, 1}, {1}, 1},      {{2, 3, 4}, {0}, 1},    {{2, 3, 4}, {1}, 0},  {{1, 1, 1000}, {-1}, 1},
      {{0, 5}, {1}, 1},         {{2, 3, 4}, {0, 2}, 1},
  };
  uint32_t seed = 40;
  for (const RCase& c : cases) {
    SCOPED_TRACE("[" + shape_str(c.s) + "] axes " + std::to_string(c.axes[0]));
    const Tensor x = random_tensor(c.s, seed++, -2.0f, 3.0f);
    const std::vector<Attribute> at = {ints_attr("axes", c.axes), int_attr("keepdims", c.keepdims)};
    check_node("", "ReduceMean", 13, {{x}}, at, 1e-5f, 2e-6f);
    check_node("", "ReduceSum", 11, {{x}}, at, 1e-5f, 2e-5f);
    const Tensor axes = Tensor::from_vector<int64_t>(DType::kInt64, {static_cast<int64_t>(c.axes.size())}, c.axes);
    check_node("", "ReduceSum", 13, {{x}, {axes, true}}, {int_attr("keepdims", c.keepdims)}, 1e-5f, 2e-5f);
    check_node("", "ReduceMean", 18, {{x}, {axes, true}}, {int_attr("keepdims", c.keepdims)}, 1e-5f, 2e-6f);
  }
}

// ---- com.edgerun.LayerNorm ----

TEST(TransformerFast, FusedLayerNormMatchesReference) {
  const std::vector<Shape> shapes = {{1, 1}, {3, 7}, {2, 197, 192}, {5, 127}, {4, 1000}};
  uint32_t seed = 70;
  for (const Shape& s : shapes) {
    SCOPED_TRACE(shape_str(s));
    const int64_t n = s.back();
    const Tensor x = random_tensor(s, seed++, -3.0f, 5.0f);
    const Tensor g = random_tensor({n}, seed++);
    const Tensor b = random_tensor({n}, seed++);
    const std::vector<Attribute> at = {float_attr("epsilon", 1e-6f)};
    check_node("com.edgerun", "LayerNorm", 1, {{x}, {g, true}, {b, true}}, at, 1e-4f, 2e-5f);
    check_node("com.edgerun", "LayerNorm", 1, {{x}, {g}, {b}}, at, 1e-4f, 2e-5f);
    check_node("com.edgerun", "LayerNorm", 1, {{x}}, at, 1e-4f, 2e-5f);
    check_node("com.edgerun", "LayerNorm", 1, {{x}, {Tensor()}, {testing::float_tensor({1}, {0.25f}), true}}, at, 1e-4f,
               2e-5f);
    check_node("com.edgerun", "LayerNorm", 1, {{x}, {testing::float_tensor({1}, {2.0f}), true}}, at, 1e-4f, 2e-5f);
  }
}

TEST(TransformerFast, FusedLayerNormRejectsBadScale) {
  std::vector<Tensor> gi;
  Model m = one_node_model("com.edgerun", "LayerNorm", 1, {{random_tensor({2, 8}, 1)}, {random_tensor({3}, 2), true}},
                           {}, &gi);
  auto r = run_model(m, gi, false);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("scale"), std::string::npos) << r.status().message();
}

// ---- fuse_layer_norm ----

// x -> LayerNorm decomposition (opset 13, last axis) -> Add(residual x) -> output. Also returns the model's
// gamma / beta so the numbers can be checked by hand.
struct LnModel {
  Model m;
  Tensor gamma, beta;
};

LnModel decomposed_layer_norm(int64_t n, bool with_affine, bool pin_sub, int64_t axis_attr = -1) {
  LnModel r;
  Model& m = r.m;
  m.opsets[""] = 13;
  Graph& g = m.graph;
  auto val = [&](const std::string& name) { return g.add_value(name); };
  auto init = [&](const std::string& name, Tensor t) {
    const int v = val(name);
    g.values[static_cast<size_t>(v)].dtype = t.dtype();
    g.values[static_cast<size_t>(v)].initializer = std::move(t);
    return v;
  };
  auto node = [&](const std::string& op, std::vector<int> ins, const std::string& out, std::vector<Attribute> at = {}) {
    Node nd;
    nd.name = "ln/" + op + "_" + out;
    nd.op_type = op;
    nd.inputs = std::move(ins);
    const int o = val(out);
    nd.outputs = {o};
    nd.attrs = std::move(at);
    g.values[static_cast<size_t>(o)].producer = static_cast<int>(g.nodes.size());
    g.nodes.push_back(std::move(nd));
    return o;
  };
  const int x = val("x");
  g.values[static_cast<size_t>(x)].dtype = DType::kFloat32;
  g.values[static_cast<size_t>(x)].has_shape = true;
  g.values[static_cast<size_t>(x)].shape = {2, 5, n};
  g.inputs.push_back(x);
  const int two = init("two", testing::float_tensor({}, {2.0f}));
  const int eps = init("eps", testing::float_tensor({}, {1e-5f}));
  r.gamma = random_tensor({n}, 11);
  r.beta = random_tensor({n}, 12);
  const int gm = init("gamma", r.gamma);
  const int bt = init("beta", r.beta);
  const std::vector<Attribute> red = {ints_attr("axes", {axis_attr})};
  const int mean = node("ReduceMean", {x}, "mean", red);
  const int d = node("Sub", {x, mean}, "d");
  const int sq = node("Pow", {d, two}, "sq");
  const int var = node("ReduceMean", {sq}, "var", red);
  const int ve = node("Add", {var, eps}, "ve");
  const int sd = node("Sqrt", {ve}, "sd");
  int y = node("Div", {d, sd}, "norm");
  if (with_affine) {
    y = node("Mul", {gm, y}, "scaled");
    y = node("Add", {y, bt}, "shifted");
  }
  const int out = node("Add", {y, x}, "out");
  g.outputs.push_back(out);
  if (pin_sub) g.outputs.push_back(d);
  return r;
}

int count_op(const Model& m, const std::string& op) {
  int c = 0;
  for (const Node& n : m.graph.nodes) c += n.op_type == op ? 1 : 0;
  return c;
}

TEST(FuseLayerNorm, RewritesDecompositionIntoOneNode) {
  LnModel ln = decomposed_layer_norm(24, true, false);
  ASSERT_EQ(passes::fuse_layer_norm(ln.m), 1);
  const Graph& g = ln.m.graph;
  ASSERT_EQ(g.nodes.size(), 2u);
  const Node& f = g.nodes[0];
  EXPECT_EQ(f.domain, "com.edgerun");
  EXPECT_EQ(f.op_type, "LayerNorm");
  ASSERT_EQ(f.inputs.size(), 3u);
  EXPECT_EQ(f.inputs[0], g.find_value("x"));
  EXPECT_EQ(f.inputs[1], g.find_value("gamma"));
  EXPECT_EQ(f.inputs[2], g.find_value("beta"));
  EXPECT_EQ(f.outputs[0], g.find_value("shifted"));
  EXPECT_FLOAT_EQ(f.attr_float("epsilon", 0.0f), 1e-5f);
  EXPECT_EQ(f.attr_int("axis", 0), -1);
  EXPECT_EQ(ln.m.opset("com.edgerun"), 1);
  EXPECT_EQ(g.nodes[1].op_type, "Add");
  EXPECT_EQ(g.values[static_cast<size_t>(g.find_value("out"))].producer, 1);
}

TEST(FuseLayerNorm, LeavesNonMatchingChainsAlone) {
  {
    LnModel ln = decomposed_layer_norm(8, true, true);  // d is a graph output: cannot disappear
    EXPECT_EQ(passes::fuse_layer_norm(ln.m), 0);
    EXPECT_EQ(count_op(ln.m, "ReduceMean"), 2);
    EXPECT_EQ(ln.m.opset("com.edgerun"), 0);
  }
  {
    LnModel ln = decomposed_layer_norm(8, true, false, 1);  // reduces the middle axis of [2, 5, 8]
    EXPECT_EQ(passes::fuse_layer_norm(ln.m), 0);
  }
  {
    LnModel ln = decomposed_layer_norm(8, true, false, 2);  // positive last axis with a known rank: fused
    EXPECT_EQ(passes::fuse_layer_norm(ln.m), 1);
  }
  {
    LnModel ln = decomposed_layer_norm(8, false, false);  // no affine tail: X only
    ASSERT_EQ(passes::fuse_layer_norm(ln.m), 1);
    EXPECT_EQ(ln.m.graph.nodes[0].inputs.size(), 1u);
  }
}

TEST(FuseLayerNorm, FusedModelComputesTheSameNumbers) {
  for (bool affine : {true, false}) {
    SCOPED_TRACE(affine);
    LnModel plain = decomposed_layer_norm(37, affine, false);
    LnModel fused = decomposed_layer_norm(37, affine, false);
    ASSERT_EQ(passes::fuse_layer_norm(fused.m), 1);
    const std::vector<Tensor> in = {random_tensor({2, 5, 37}, 21, -2.0f, 6.0f)};
    auto want = run_model(plain.m, in, true);
    ASSERT_TRUE(want.ok()) << want.status().message();
    auto got = run_model(fused.m, in, false);
    ASSERT_TRUE(got.ok()) << got.status().message();
    expect_close((*got)[0], (*want)[0], 1e-4f, 2e-5f);
    auto got_ref = run_model(fused.m, in, true);
    ASSERT_TRUE(got_ref.ok()) << got_ref.status().message();
    expect_close((*got_ref)[0], (*want)[0], 1e-5f, 2e-6f);
    // By hand, row 0: y = (x - mean) / sqrt(var + eps) * gamma + beta + x.
    const float* x = in[0].data<float>();
    double mean = 0, var = 0;
    for (int j = 0; j < 37; ++j) mean += x[j];
    mean /= 37;
    for (int j = 0; j < 37; ++j) var += (x[j] - mean) * (x[j] - mean);
    var /= 37;
    for (int j = 0; j < 37; ++j) {
      double y = (x[j] - mean) / std::sqrt(var + 1e-5);
      if (affine) y = y * fused.gamma.data<float>()[j] + fused.beta.data<float>()[j];
      EXPECT_NEAR((*got)[0].data<float>()[j], y + x[j], 1e-4);
    }
  }
}

// vit_tiny (opset 13 export): all 25 LayerNorms fuse and the model still matches PyTorch.
TEST(FuseLayerNorm, VitTinyStillMatchesPyTorch) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(testing::generated_dir()) / "torchvision" / "vit_tiny";
  if (!fs::exists(dir / "model.onnx") || !fs::exists(dir / "test_data_set_0" / "output_0.pb"))
    GTEST_SKIP() << "generated model not found: " << dir.string();
  auto model = load_onnx_model((dir / "model.onnx").string());
  ASSERT_TRUE(model.ok()) << model.status().to_string();
  EXPECT_EQ(passes::fuse_layer_norm(**model), 25);
  ASSERT_TRUE(optimize_model(**model, 1).ok());  // the pipeline runs the fusion too: nothing left for it
  EXPECT_EQ(count_op(**model, "ReduceMean"), 0);
  EXPECT_EQ(count_op(**model, "LayerNorm"), 25);
  SessionOptions opts;
  opts.threads = 2;
  opts.optimization_level = 0;  // already optimized above
  auto session = Session::create(std::move(*model), opts);
  ASSERT_TRUE(session.ok()) << session.status().to_string();
  testing::run_and_compare(**session, dir / "test_data_set_0", "vit_tiny+layernorm", 1e-3);
}

}  // namespace
}  // namespace edgerun
