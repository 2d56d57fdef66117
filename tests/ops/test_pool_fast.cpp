// Fast float32 pool paths (separable 2-D MaxPool / AveragePool, vectorized GlobalAveragePool) and the
// f32-vmath unary fast paths vs the reference kernels of the same ops (Plan built with
// reference_kernels = true), on awkward shapes, with 1 and 3 threads.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/thread_pool.h"
#include "ops/op_test_util.h"

namespace edgerun::testing {
namespace {

// Runs a one-node graph; the node's attributes come from `t` (an OpTest used only as an attribute holder
// would need access to its internals, so the node is described directly here).
Expected<Tensor> run_node(const std::string& op, const std::vector<Attribute>& attrs, const Tensor& x,
                          bool reference, ThreadPool* pool) {
  Model m;
  m.opsets[""] = 17;
  Graph& g = m.graph;
  Node n;
  n.name = "node";
  n.op_type = op;
  n.attrs = attrs;
  const int in = g.add_value("x");
  g.values[static_cast<size_t>(in)].dtype = x.dtype();
  g.inputs.push_back(in);
  n.inputs.push_back(in);
  const int out = g.add_value("y");
  g.values[static_cast<size_t>(out)].producer = 0;
  n.outputs.push_back(out);
  g.outputs.push_back(out);
  g.nodes.push_back(n);
  auto plan = Plan::build(m, {x}, nullptr, pool, reference);
  if (!plan.ok()) return plan.status();
  std::vector<Tensor> outs;
  ER_RETURN_IF_ERROR((*plan)->run({x}, &outs));
  return outs[0];
}

Attribute ints(const std::string& name, std::vector<int64_t> v) {
  Attribute a;
  a.name = name;
  a.type = AttrType::kInts;
  a.ints = std::move(v);
  return a;
}
Attribute one_int(const std::string& name, int64_t v) {
  Attribute a;
  a.name = name;
  a.type = AttrType::kInt;
  a.i = v;
  return a;
}
Attribute one_float(const std::string& name, float v) {
  Attribute a;
  a.name = name;
  a.type = AttrType::kFloat;
  a.f = v;
  return a;
}

void expect_fast_matches_reference(const std::string& op, const std::vector<Attribute>& attrs, const Tensor& x,
                                   float tol) {
  ThreadPool pool(3);
  auto want = run_node(op, attrs, x, true, nullptr);
  ASSERT_TRUE(want.ok()) << want.status().to_string();
  for (ThreadPool* p : {static_cast<ThreadPool*>(nullptr), &pool}) {
    auto got = run_node(op, attrs, x, false, p);
    ASSERT_TRUE(got.ok()) << got.status().to_string();
    ASSERT_EQ(got->shape(), want->shape());
    for (int64_t i = 0; i < got->numel(); ++i) {
      const float g = got->data<float>()[i], w = want->data<float>()[i];
      if (std::isnan(w)) {
        EXPECT_TRUE(std::isnan(g)) << op << " at " << i;
        continue;
      }
      if (g == w) continue;  // also +-inf
      ASSERT_NEAR(g, w, tol * (1.0f + std::fabs(w))) << op << " at " << i << (p ? " (3 threads)" : "");
    }
  }
}

struct Pool2d {
  Shape shape;
  std::vector<int64_t> kernel, strides, pads;
  bool ceil_mode = false, count_include_pad = false;
};

TEST(PoolFast, MaxAndAverageMatchReference) {
  const Pool2d cases[] = {
      {{1, 64, 112, 112}, {3, 3}, {2, 2}, {1, 1, 1, 1}},              // resnet stem
      {{1, 64, 111, 111}, {3, 3}, {2, 2}, {0, 0, 0, 0}, true},        // squeezenet, ceil_mode
      {{2, 3, 13, 13}, {3, 3}, {2, 2}, {0, 0, 0, 0}, true},
      {{1, 5, 8, 7}, {2, 2}, {2, 2}, {}},                             // 2x2 s2, odd width
      {{1, 5, 7, 7}, {2, 2}, {2, 2}, {}, true},
      {{1, 3, 9, 11}, {3, 2}, {1, 3}, {1, 0, 2, 1}, false, true},     // asymmetric pads
      {{1, 3, 9, 11}, {3, 3}, {2, 2}, {1, 1, 1, 1}, true, true},
      {{1, 1, 1, 1}, {1, 1}, {}, {}},
      {{1, 37, 14, 14}, {3, 3}, {1, 1}, {1, 1, 1, 1}, false, false},  // AveragePool 3x3 s1 (inception-style)
      {{1, 6, 13, 45}, {5, 5}, {1, 1}, {2, 2, 2, 2}},                 // YOLOX SPP 5x5 s1, rows of 45
      {{1, 4, 21, 70}, {9, 9}, {1, 1}, {4, 4, 4, 4}},
      {{1, 8, 13, 13}, {13, 13}, {1, 1}, {6, 6, 6, 6}},               // SPP 13x13 at 416: every window cut
      {{1, 3, 5, 19}, {4, 5}, {3, 3}, {3, 4, 2, 1}, true},            // ceil_mode windows past the padding
  };
  for (const Pool2d& c : cases) {
    std::vector<Attribute> attrs = {ints("kernel_shape", c.kernel)};
    if (!c.strides.empty()) attrs.push_back(ints("strides", c.strides));
    if (!c.pads.empty()) attrs.push_back(ints("pads", c.pads));
    if (c.ceil_mode) attrs.push_back(one_int("ceil_mode", 1));
    const Tensor x = random_tensor(c.shape, 7);
    expect_fast_matches_reference("MaxPool", attrs, x, 0.0f);
    if (c.count_include_pad) attrs.push_back(one_int("count_include_pad", 1));
    expect_fast_matches_reference("AveragePool", attrs, x, 1e-6f);
  }
}

TEST(PoolFast, GlobalAverageMatchesReference) {
  for (const Shape& s : {Shape{1, 1280, 7, 7}, Shape{2, 37, 13, 11}, Shape{1, 3, 1, 1}, Shape{1, 5, 1, 1, 1},
                         Shape{1, 64, 56, 56}}) {
    expect_fast_matches_reference("GlobalAveragePool", {}, random_tensor(s, 3), 1e-6f);
  }
}

TEST(UnaryFast, MatchesReference) {
  Tensor x = random_tensor({3, 70001}, 5, -12.0f, 12.0f);  // large enough to be split over threads
  x.data<float>()[0] = std::numeric_limits<float>::quiet_NaN();
  x.data<float>()[1] = std::numeric_limits<float>::infinity();
  x.data<float>()[2] = -std::numeric_limits<float>::infinity();
  x.data<float>()[3] = 0.0f;
  x.data<float>()[4] = -3.0f;
  for (const char* op : {"Sigmoid", "Tanh", "Erf", "Exp", "Relu", "HardSwish"})
    expect_fast_matches_reference(op, {}, x, 1e-6f);
  // The HardSigmoid reference maps NaN to 1 (std::min order); the kernels keep NaN, like activation_ref.
  x.data<float>()[0] = 0.5f;
  expect_fast_matches_reference("HardSigmoid", {one_float("alpha", 0.3f), one_float("beta", 0.4f)}, x, 1e-6f);
  expect_fast_matches_reference("Sigmoid", {}, random_tensor({7}, 9), 1e-6f);  // short tail only
}

}  // namespace
}  // namespace edgerun::testing
