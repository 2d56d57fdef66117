// Fast Conv / FusedConv paths (conv_fast.cpp) vs the reference kernel on awkward shapes, with and
// without bias / residual / activation, and bit-identical results for 1, 2 and 3 threads.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "core/thread_pool.h"
#include "kernels/f32-conv/conv-direct.h"
#include "kernels/f32-gemm/f32-gemm.h"
#include "kernels/f32-gemm/gemm.h"
#include "ops/op_test_util.h"

namespace edgerun::testing {
namespace {

struct Case {
  int64_t n, cin, cout, h, w, kh, kw, stride, pad, dilation, group;
  const char* variant;  // expected fast path
};

struct RunResult {
  Tensor y;
  std::string variant;
};

// One Conv/FusedConv node with W (and B) as initializers, run through Plan with the given options.
Expected<RunResult> run_conv(const Case& c, bool fused, bool with_bias, bool with_residual, const char* act,
                             const std::vector<Tensor>& data, ThreadPool* pool, bool reference) {
  Model m;
  m.opsets[""] = 17;
  m.opsets["com.edgerun"] = 1;
  Graph& g = m.graph;
  Node node;
  node.name = "conv";
  node.op_type = fused ? "FusedConv" : "Conv";
  node.domain = fused ? "com.edgerun" : "";
  auto ints = [&](const char* name, std::vector<int64_t> v) {
    Attribute a;
    a.name = name;
    a.type = AttrType::kInts;
    a.ints = std::move(v);
    node.attrs.push_back(a);
  };
  ints("strides", {c.stride, c.stride});
  ints("pads", {c.pad, c.pad, c.pad, c.pad});
  ints("dilations", {c.dilation, c.dilation});
  Attribute grp;
  grp.name = "group";
  grp.type = AttrType::kInt;
  grp.i = c.group;
  node.attrs.push_back(grp);
  if (act) {
    Attribute a;
    a.name = "activation";
    a.type = AttrType::kString;
    a.s = act;
    node.attrs.push_back(a);
    if (std::string(act) == "Clip") {
      Attribute p;
      p.name = "activation_params";
      p.type = AttrType::kFloats;
      p.floats = {-0.5f, 0.75f};
      node.attrs.push_back(p);
    }
  }
  std::vector<Tensor> inputs;
  auto add = [&](const std::string& name, const Tensor& t, bool constant) {
    int v = g.add_value(name);
    g.values[static_cast<size_t>(v)].dtype = t.dtype();
    if (constant) {
      g.values[static_cast<size_t>(v)].initializer = t;
    } else {
      g.inputs.push_back(v);
      inputs.push_back(t);
    }
    node.inputs.push_back(v);
  };
  add("x", data[0], false);
  add("w", data[1], true);
  if (with_bias) add("b", data[2], true);
  else if (with_residual) node.inputs.push_back(-1);
  if (with_residual) add("z", data[3], false);
  int out = g.add_value("y");
  g.values[static_cast<size_t>(out)].producer = 0;
  node.outputs.push_back(out);
  g.outputs.push_back(out);
  g.nodes.push_back(node);
  auto plan = Plan::build(m, inputs, nullptr, pool, reference);
  if (!plan.ok()) return plan.status();
  (*plan)->enable_profiling(true);
  std::vector<Tensor> outs;
  ER_RETURN_IF_ERROR((*plan)->run(inputs, &outs));
  RunResult r;
  r.y = outs[0];
  r.variant = (*plan)->profile().at(0).kernel->variant();
  return r;
}

// First layers (Cin <= 4) go direct where the direct variant is the scalar one (conv_fast.cpp: choose_direct).
std::string expected_variant(const Case& c) {
  std::string v = c.variant;
  if (v == "first-layer") {
    const std::string uk = kernels::select_conv_direct()->name;
    v = uk.ends_with("-scalar") ? "conv-direct-" + uk : "conv-im2col-gemm";
  }
  return v;
}

void check_case(const Case& c) {
  const int64_t oh = (c.h + 2 * c.pad - c.dilation * (c.kh - 1) - 1) / c.stride + 1;
  const int64_t ow = (c.w + 2 * c.pad - c.dilation * (c.kw - 1) - 1) / c.stride + 1;
  std::vector<Tensor> data = {random_tensor({c.n, c.cin, c.h, c.w}, 11),
                              random_tensor({c.cout, c.cin / c.group, c.kh, c.kw}, 12),
                              random_tensor({c.cout}, 13), random_tensor({c.n, c.cout, oh, ow}, 14)};
  ThreadPool pool2(2), pool3(3);
  struct Variant {
    bool fused, bias, residual;
    const char* act;
  };
  const Variant variants[] = {{false, false, false, nullptr}, {false, true, false, nullptr},
                              {true, true, true, "Relu"},     {true, false, true, nullptr},
                              {true, true, false, "Clip"},    {true, true, true, "SiLU"}};
  for (const Variant& v : variants) {
    SCOPED_TRACE(std::string("fused=") + (v.fused ? "1" : "0") + " bias=" + (v.bias ? "1" : "0") +
                 " residual=" + (v.residual ? "1" : "0") + " act=" + (v.act ? v.act : "none"));
    auto want = run_conv(c, v.fused, v.bias, v.residual, v.act, data, nullptr, true);
    ASSERT_TRUE(want.ok()) << want.status().message();
    EXPECT_EQ(want->variant, "reference");
    auto got1 = run_conv(c, v.fused, v.bias, v.residual, v.act, data, nullptr, false);
    ASSERT_TRUE(got1.ok()) << got1.status().message();
    const std::string want_variant = expected_variant(c);
    // One-group undilated convs with wide enough rows skip im2col where the GEMM micro-kernel reads B through row
    // pointers (conv_fast.cpp use_implicit); either is correct here.
    if (!(want_variant == "conv-im2col-gemm" && got1->variant == "conv-implicit-gemm"))
      EXPECT_EQ(got1->variant.rfind(want_variant, 0), 0u) << "chose " << got1->variant;
    // Reductions of K = Cin/group * KH * KW products; Winograd adds transform rounding.
    const float tol = 2e-5f * static_cast<float>(c.cin / c.group * c.kh * c.kw) + 1e-5f;
    expect_near(got1->y, want->y, tol);
    for (ThreadPool* pool : {&pool2, &pool3}) {
      auto got = run_conv(c, v.fused, v.bias, v.residual, v.act, data, pool, false);
      ASSERT_TRUE(got.ok()) << got.status().message();
      for (int64_t i = 0; i < got->y.numel(); ++i)
        ASSERT_EQ(got->y.data<float>()[i], got1->y.data<float>()[i]) << pool->size() << " threads, at " << i;
    }
  }
}

class ConvFast : public ::testing::TestWithParam<Case> {};

TEST_P(ConvFast, MatchesReference) { check_case(GetParam()); }

//                 n cin cout  h   w kh kw s p d g
const Case kCases[] = {  // "conv-im2col-gemm": im2col or implicit GEMM (the GEMM decides)
    {1, 17, 3, 7, 13, 1, 1, 1, 0, 1, 1, "conv-1x1-gemm"},
    {2, 64, 17, 13, 7, 1, 1, 1, 0, 1, 1, "conv-1x1-gemm"},
    {1, 12, 8, 9, 9, 1, 1, 1, 0, 1, 4, "conv-1x1-gemm"},
    {1, 1, 1, 5, 5, 1, 1, 1, 0, 1, 1, "conv-1x1-gemm"},
    {1, 17, 17, 13, 13, 3, 3, 1, 1, 1, 17, "dwconv-"},
    {2, 32, 32, 17, 7, 5, 5, 2, 2, 1, 32, "dwconv-"},
    {1, 32, 16, 40, 40, 3, 3, 1, 1, 1, 1, "conv-winograd-"},
    {1, 16, 64, 20, 20, 3, 3, 1, 1, 1, 1, "conv-winograd-"},    // squeezenet-like: 16 input channels
    {1, 15, 64, 20, 20, 3, 3, 1, 1, 1, 1, "conv-im2col-gemm"},  // Cin < 16: transforms cost more than they save
    {2, 64, 24, 26, 34, 3, 3, 1, 1, 1, 1, "conv-winograd-"},
    {1, 33, 64, 28, 28, 3, 3, 1, 0, 1, 1, "conv-winograd-"},
    {1, 32, 32, 56, 56, 3, 3, 1, 1, 1, 1, "conv-winograd-f6x6"},
    {1, 3, 17, 17, 13, 7, 7, 2, 3, 1, 1, "first-layer"},
    {1, 3, 16, 17, 17, 3, 3, 2, 1, 1, 1, "first-layer"},
    {1, 1, 3, 7, 7, 3, 3, 1, 1, 1, 1, "first-layer"},
    {2, 4, 9, 30, 27, 3, 3, 1, 1, 1, 1, "first-layer"},
    {1, 3, 8, 9, 9, 3, 3, 1, 1, 2, 1, "conv-im2col-gemm"},
    {1, 17, 64, 13, 13, 3, 3, 2, 1, 1, 1, "conv-im2col-gemm"},
    {2, 16, 24, 13, 17, 3, 3, 1, 2, 2, 1, "conv-im2col-gemm"},
    {1, 12, 18, 9, 11, 3, 3, 1, 1, 1, 3, "conv-im2col-gemm"},
    {1, 12, 64, 7, 7, 3, 3, 1, 1, 1, 1, "conv-im2col-gemm"},   // Cin < 16: no Winograd on the 7x7 map
    {1, 64, 64, 7, 7, 3, 3, 1, 1, 1, 1, "conv-winograd-f2x2"},  // 16 tiles of 2x2 (F(4x4) would have 4)
    {2, 64, 40, 8, 7, 3, 3, 1, 1, 1, 1, "conv-winograd-f2x2"},  // two images, tiles cut by the right edge
    {1, 16, 32, 14, 14, 1, 1, 2, 0, 1, 1, "conv-im2col-gemm"},
    {1, 8, 8, 6, 6, 1, 1, 1, 1, 1, 1, "conv-im2col-gemm"},
    {1, 5, 13, 11, 19, 3, 5, 3, 2, 1, 1, "conv-im2col-gemm"},   // stride 3, 3x5
    {1, 6, 20, 41, 70, 3, 3, 2, 1, 1, 1, "conv-im2col-gemm"},   // rows of 35: a partial column panel per row
    {1, 6, 20, 41, 120, 3, 3, 2, 1, 1, 1, "conv-im2col-gemm"},  // rows of 60 (implicit with AVX-512)
    {1, 6, 20, 3, 67, 3, 3, 1, 0, 1, 1, "conv-im2col-gemm"},    // one row of 65: implicit, a 1-column last tile
    {1, 40, 24, 15, 15, 3, 3, 2, 1, 1, 1, "conv-im2col-gemm"},  // K = 360: two K blocks
    {1, 12, 16, 52, 52, 3, 3, 1, 1, 1, 1, "conv-im2col-gemm"},  // YOLOX's Focus conv shape, smaller map
    // Narrow maps: output pixels as GEMM rows with the SIMD micro-kernels (conv_fast.cpp use_pixel_rows).
    {1, 48, 40, 7, 7, 1, 1, 1, 0, 1, 1, "conv-1x1-gemm"},
    {2, 32, 64, 5, 9, 1, 1, 1, 0, 1, 1, "conv-1x1-gemm"},
    {1, 300, 64, 7, 7, 1, 1, 1, 0, 1, 1, "conv-1x1-gemm"},  // K = 300: two K blocks of the transposed A
    {1, 24, 48, 14, 14, 3, 3, 2, 1, 1, 1, "conv-im2col-gemm"},  // stride 2 down to 7x7
    // Five column panels of output channels: at two threads each thread transposes back its own (run_pixel_rows).
    {1, 64, 160, 7, 7, 1, 1, 1, 0, 1, 1, "conv-1x1-gemm"},
    {1, 32, 150, 14, 14, 3, 3, 2, 1, 1, 1, "conv-im2col-gemm"},
    // Threads: per-thread column runs tiled on their own (400 columns, tiles of 96), and tiles shared by all threads
    // (196 columns in one tile, or in tiles of 64 with 22 row panels: parallel im2col, the GEMM's split; resnet50's
    // layer3.0 conv2) (conv_fast.cpp run_balanced).
    {1, 128, 24, 40, 40, 3, 3, 2, 1, 1, 1, "conv-im2col-gemm"},
    {1, 64, 96, 28, 28, 3, 3, 2, 1, 1, 1, "conv-im2col-gemm"},
    {1, 256, 256, 28, 28, 3, 3, 2, 1, 1, 1, "conv-im2col-gemm"},
    // One output pixel (squeeze-excitation convs on pooled maps): a GEMV over the weights packed as the right
    // operand, bias / residual / activation in its epilogue (run_pixel_rows), batch 2 image by image.
    {2, 576, 144, 1, 1, 1, 1, 1, 0, 1, 1, "conv-1x1-gemm-pixel-rows"},
    {1, 144, 576, 1, 1, 1, 1, 1, 0, 1, 1, "conv-1x1-gemm-pixel-rows"},
    {1, 16, 8, 1, 1, 1, 1, 1, 0, 1, 1, "conv-1x1-gemm-pixel-rows"},
    {1, 40, 37, 1, 1, 3, 3, 1, 1, 1, 1, "conv-im2col-gemm"},  // 3x3 on a 1x1 map: 8 taps in the padding
};

INSTANTIATE_TEST_SUITE_P(Shapes, ConvFast, ::testing::ValuesIn(kCases));

// The implicit-GEMM path is taken (and so checked above) wherever the micro-kernel supports it: wide rows choose it,
// a 7x7 map keeps im2col (output pixels as GEMM rows with the AVX-512 micro-kernel).
TEST(ConvFastImplicit, ChosenForWideRowsOnly) {
  if (!kernels::default_gemm_ukernel()->indirect) GTEST_SKIP() << "the GEMM micro-kernel here has no indirect entry";
  const Case wide{1, 6, 20, 41, 128, 3, 3, 2, 1, 1, 1, "conv-implicit-gemm"};
  std::vector<Tensor> data = {random_tensor({1, 6, 41, 128}, 1), random_tensor({20, 6, 3, 3}, 2),
                              random_tensor({20}, 3), random_tensor({1, 20, 21, 64}, 4)};
  auto r = run_conv(wide, false, false, false, nullptr, data, nullptr, false);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->variant, "conv-implicit-gemm");
  const Case small{1, 12, 64, 7, 7, 3, 3, 1, 1, 1, 1, "conv-im2col-gemm"};
  data = {random_tensor({1, 12, 7, 7}, 1), random_tensor({64, 12, 3, 3}, 2), random_tensor({64}, 3),
          random_tensor({1, 64, 7, 7}, 4)};
  r = run_conv(small, false, false, false, nullptr, data, nullptr, false);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->variant, "conv-im2col-gemm-pixel-rows");
}

// With the 12x32 AVX-512 micro-kernel (partial row panels computed exactly), 7x7 maps put the output pixels in the
// GEMM's rows (49 of 64 columns filled otherwise); 14x14 maps fill 196 of 208 columns and stay in columns.
TEST(ConvFastPixelRows, ChosenForNarrowMapsOnly) {
  if (!kernels::default_gemm_ukernel()->any) GTEST_SKIP() << "the GEMM micro-kernel here has no `any` entry";
  for (int64_t hw : {7, 14}) {
    const Case c{1, 32, 64, hw, hw, 1, 1, 1, 0, 1, 1, "conv-1x1-gemm"};
    std::vector<Tensor> data = {random_tensor({1, 32, hw, hw}, 1), random_tensor({64, 32, 1, 1}, 2),
                                random_tensor({64}, 3), random_tensor({1, 64, hw, hw}, 4)};
    auto r = run_conv(c, false, false, false, nullptr, data, nullptr, false);
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(r->variant, hw == 7 ? "conv-1x1-gemm-pixel-rows" : "conv-1x1-gemm") << hw << "x" << hw;
  }
}

TEST(ConvFastErrors, FusedConvResidualShapeMismatch) {
  const Case c{1, 4, 4, 5, 5, 3, 3, 1, 1, 1, 1, "conv-im2col-gemm"};
  std::vector<Tensor> data = {random_tensor({1, 4, 5, 5}, 1), random_tensor({4, 4, 3, 3}, 2),
                              random_tensor({4}, 3), random_tensor({1, 4, 3, 5}, 4)};
  auto r = run_conv(c, true, true, true, "Relu", data, nullptr, false);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("residual"), std::string::npos) << r.status().message();
}

TEST(ConvFastErrors, FusedConvUnknownActivation) {
  const Case c{1, 4, 4, 5, 5, 3, 3, 1, 1, 1, 1, "conv-im2col-gemm"};
  std::vector<Tensor> data = {random_tensor({1, 4, 5, 5}, 1), random_tensor({4, 4, 3, 3}, 2),
                              random_tensor({4}, 3), random_tensor({1, 4, 5, 5}, 4)};
  auto r = run_conv(c, true, true, false, "Swoosh", data, nullptr, false);
  ASSERT_FALSE(r.ok());
}

}  // namespace
}  // namespace edgerun::testing
