// com.edgerun.ConvChain (ops/conv_chain.cpp, made by passes::fuse_conv_chains): a 1x1 -> depthwise -> 1x1 block of
// plain ONNX nodes, optimized, against the unoptimized model on reference kernels; banded where the expanded map is
// large, sequential where it is small; bit-identical results for 1, 2 and 3 threads.
#include <gtest/gtest.h>

#include <string>

#include "core/thread_pool.h"
#include "graph/passes/passes.h"
#include "kernels/f32-gemm/f32-gemm.h"
#include "kernels/f32-gemm/gemm.h"
#include "ops/op_test_util.h"

namespace edgerun::testing {
namespace {

struct ChainCase {
  int64_t n, cin, cexp, cout, h, w, k, stride;
  const char* act;  // of the first two convs: "Relu6" (Clip 0..6) or "Sigmoid" (x * sigmoid(x) = SiLU)
  bool residual;    // Add(x, project) (cin == cout, stride 1)
  const char* variant;
};

struct Built {
  Model model;
  std::vector<Tensor> inputs;
};

Built build_chain(const ChainCase& c) {
  Built b;
  Model& m = b.model;
  m.opsets[""] = 17;
  Graph& g = m.graph;
  auto value = [&](const std::string& name) { return g.add_value(name); };
  auto constant = [&](const std::string& name, const Tensor& t) {
    const int v = value(name);
    g.values[static_cast<size_t>(v)].dtype = t.dtype();
    g.values[static_cast<size_t>(v)].initializer = t;
    return v;
  };
  auto ints = [](const char* name, std::vector<int64_t> v) {
    Attribute a;
    a.name = name;
    a.type = AttrType::kInts;
    a.ints = std::move(v);
    return a;
  };
  auto add_node = [&](const std::string& op, std::vector<int> in, std::vector<Attribute> attrs) {
    Node n;
    n.name = op + "_" + std::to_string(g.nodes.size());
    n.op_type = op;
    n.inputs = std::move(in);
    n.attrs = std::move(attrs);
    const int out = value(n.name + "_out");
    g.values[static_cast<size_t>(out)].producer = static_cast<int>(g.nodes.size());
    n.outputs = {out};
    g.nodes.push_back(std::move(n));
    return out;
  };
  uint32_t seed = 21;
  auto act = [&](int x) {
    if (std::string(c.act) == "Sigmoid") return add_node("Mul", {x, add_node("Sigmoid", {x}, {})}, {});
    return add_node("Clip", {x, constant("lo" + std::to_string(x), float_tensor({}, {0.0f})),
                             constant("hi" + std::to_string(x), float_tensor({}, {6.0f}))},
                    {});
  };
  const int x = value("x");
  g.values[static_cast<size_t>(x)].dtype = DType::kFloat32;
  g.inputs.push_back(x);
  b.inputs.push_back(random_tensor({c.n, c.cin, c.h, c.w}, seed++));
  const int64_t pad = c.k / 2;
  int t = add_node("Conv", {x, constant("w0", random_tensor({c.cexp, c.cin, 1, 1}, seed++, -0.5f, 0.5f)),
                             constant("b0", random_tensor({c.cexp}, seed++))},
                   {});
  t = act(t);
  Attribute group;
  group.name = "group";
  group.type = AttrType::kInt;
  group.i = c.cexp;
  t = add_node("Conv", {t, constant("w1", random_tensor({c.cexp, 1, c.k, c.k}, seed++, -0.5f, 0.5f)),
                         constant("b1", random_tensor({c.cexp}, seed++))},
               {group, ints("strides", {c.stride, c.stride}), ints("pads", {pad, pad, pad, pad})});
  t = act(t);
  t = add_node("Conv", {t, constant("w2", random_tensor({c.cout, c.cexp, 1, 1}, seed++, -0.5f, 0.5f))}, {});
  if (c.residual) t = add_node("Add", {x, t}, {});
  g.outputs.push_back(t);
  return b;
}

Expected<Tensor> run(const Model& m, const std::vector<Tensor>& inputs, ThreadPool* pool, bool reference,
                     std::string* variant) {
  auto plan = Plan::build(m, inputs, nullptr, pool, reference);
  if (!plan.ok()) return plan.status();
  (*plan)->enable_profiling(true);
  std::vector<Tensor> outs;
  ER_RETURN_IF_ERROR((*plan)->run(inputs, &outs));
  if (variant) {
    for (const auto& s : (*plan)->profile())
      if (std::string(s.kernel->variant()).starts_with("conv-chain")) *variant = s.kernel->variant();
  }
  return outs[0];
}

class ConvChain : public ::testing::TestWithParam<ChainCase> {};

TEST_P(ConvChain, MatchesUnfusedReference) {
  const ChainCase& c = GetParam();
  Built b = build_chain(c);
  auto want = run(b.model, b.inputs, nullptr, true, nullptr);
  ASSERT_TRUE(want.ok()) << want.status().message();
  Model opt = b.model;
  ASSERT_TRUE(optimize_model(opt, 1).ok());
  int chains = 0;
  for (const Node& n : opt.graph.nodes) chains += n.op_type == "ConvChain";
  ASSERT_EQ(chains, 1);
  std::string variant;
  auto got1 = run(opt, b.inputs, nullptr, false, &variant);
  ASSERT_TRUE(got1.ok()) << got1.status().message();
  // Without the AVX-512 micro-kernel's partial row panels the 1x1 convs of some small maps take the pixel-rows
  // GEMM (conv_fast.cpp use_pixel_rows), whose weights a band cannot use: the stages then run one after the other.
  // (and the other way round: 21 pixels stay in the columns with the scalar micro-kernel).
  auto small_map = [](const std::string& v) { return v == "conv-chain" || v == "conv-chain-thread-bands"; };
  if (!kernels::default_gemm_ukernel()->any && small_map(variant) && small_map(c.variant)) variant = c.variant;
  EXPECT_EQ(variant, c.variant);
  expect_near(*got1, *want, 2e-4f * static_cast<float>(c.cexp));
  // The reference kernels run the chain's stages one after the other, through the same node.
  auto ref = run(opt, b.inputs, nullptr, true, &variant);
  ASSERT_TRUE(ref.ok()) << ref.status().message();
  EXPECT_EQ(variant, "conv-chain");
  expect_near(*ref, *want, 1e-5f);
  ThreadPool pool2(2), pool3(3);
  for (ThreadPool* pool : {&pool2, &pool3}) {
    auto got = run(opt, b.inputs, pool, false, nullptr);
    ASSERT_TRUE(got.ok()) << got.status().message();
    for (int64_t i = 0; i < got->numel(); ++i)
      ASSERT_EQ(got->data<float>()[i], got1->data<float>()[i]) << pool->size() << " threads, at " << i;
  }
}

//                     n cin cexp cout  h   w  k  s  act        residual
const ChainCase kChainCases[] = {
    {1, 8, 144, 8, 64, 64, 3, 1, "Relu6", true, "conv-chain-banded"},     // mobilenet_v2-like, 6 bands
    {1, 16, 96, 24, 80, 70, 3, 2, "Relu6", false, "conv-chain-banded"},  // stride 2, wider than high
    {2, 12, 128, 20, 67, 63, 3, 2, "Relu6", false, "conv-chain-banded"},  // odd sizes: bottom / right padding
    {1, 16, 112, 16, 57, 90, 5, 2, "Sigmoid", false, "conv-chain-banded"},  // 5x5, SiLU
    {1, 24, 96, 24, 49, 120, 5, 1, "Sigmoid", true, "conv-chain-banded"},  // 5x5 stride 1 (4-row overlap)
    // Small maps: the stage kernels one after the other at one thread, one band of rows per thread with more
    // (conv-chain-thread-bands; the bitwise comparison below holds the two paths to the same results).
    {1, 16, 64, 16, 14, 14, 3, 1, "Relu6", true, "conv-chain-thread-bands"},
    {1, 16, 320, 16, 30, 12, 3, 1, "Relu6", true, "conv-chain-thread-bands"},  // rows narrower than 16 pixels
    {1, 24, 144, 32, 28, 28, 3, 2, "Relu6", false, "conv-chain-thread-bands"},  // stride 2 down to 14x14
    {2, 32, 64, 32, 13, 13, 5, 1, "Sigmoid", true, "conv-chain-thread-bands"},  // 5x5, odd map, two images
    {1, 16, 48, 16, 2, 64, 3, 1, "Relu6", false, "conv-chain-thread-bands"},    // two output rows
    {1, 16, 48, 16, 3, 7, 3, 1, "Relu6", false, "conv-chain"},  // 21 pixels: pixel-rows GEMMs, no thread bands
};

INSTANTIATE_TEST_SUITE_P(Shapes, ConvChain, ::testing::ValuesIn(kChainCases));

}  // namespace
}  // namespace edgerun::testing
