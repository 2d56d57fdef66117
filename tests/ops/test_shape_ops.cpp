// Shape / data-movement ops through the real planner, against hand-computed expectations.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "ops/op_test_util.h"

namespace edgerun::testing {
namespace {

template <class T>
std::vector<T> vals(const Tensor& t) {
  return std::vector<T>(t.data<T>(), t.data<T>() + t.numel());
}

// 0, 1, 2, ... as float32.
Tensor iota(Shape s) {
  Tensor t = Tensor::empty(DType::kFloat32, std::move(s));
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = static_cast<float>(i);
  return t;
}

Tensor i32(Shape s, const std::vector<int32_t>& v) {
  return Tensor::from_vector<int32_t>(DType::kInt32, std::move(s), v);
}
Tensor i64(const std::vector<int64_t>& v) { return int64_tensor({static_cast<int64_t>(v.size())}, v); }
Tensor i64_scalar(int64_t v) { return int64_tensor({}, {v}); }

std::vector<Tensor> run_ok(OpTest& t, const std::vector<Tensor>& in) {
  auto r = t.run(in);
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  return r.ok() ? *r : std::vector<Tensor>{};
}

Status run_status(OpTest& t, const std::vector<Tensor>& in) {
  auto r = t.run(in);
  return r.ok() ? Status() : r.status();
}

// ---------------- Reshape / Flatten / Squeeze / Unsqueeze / Identity / Dropout ----------------

TEST(Reshape, ZeroCopiesDimAndMinusOneIsInferred) {
  OpTest t("Reshape", 14);
  auto out = run_ok(t, {iota({2, 3, 4}), i64({0, -1, 2})});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].shape(), (Shape{2, 6, 2}));
  EXPECT_EQ(vals<float>(out[0]), vals<float>(iota({24})));
}

TEST(Reshape, ConstantShapeInput) {
  OpTest t("Reshape", 13);
  t.constant_inputs = {false, true};
  auto out = run_ok(t, {iota({6}), i64({3, 2})});
  EXPECT_EQ(out[0].shape(), (Shape{3, 2}));
}

TEST(Reshape, AllowZeroKeepsZero) {
  OpTest t("Reshape", 14);
  t.attr_int("allowzero", 1);
  auto out = run_ok(t, {Tensor::empty(DType::kFloat32, {0, 3}), i64({3, 0})});
  EXPECT_EQ(out[0].shape(), (Shape{3, 0}));
}

TEST(Reshape, Opset1ShapeAttribute) {
  OpTest t("Reshape", 1);
  t.attr_ints("shape", {4, -1});
  auto out = run_ok(t, {iota({2, 4})});
  EXPECT_EQ(out[0].shape(), (Shape{4, 2}));
}

TEST(Reshape, Errors) {
  OpTest two_infer("Reshape", 14);
  EXPECT_FALSE(two_infer.run({iota({6}), i64({-1, -1})}).ok());
  OpTest mismatch("Reshape", 14);
  EXPECT_FALSE(mismatch.run({iota({6}), i64({4, 2})}).ok());
  OpTest zero_and_infer("Reshape", 14);
  zero_and_infer.attr_int("allowzero", 1);
  EXPECT_FALSE(zero_and_infer.run({iota({6}), i64({0, -1})}).ok());
  OpTest bad("Reshape", 14);
  EXPECT_FALSE(bad.run({iota({6}), i64({-2, -3})}).ok());
}

TEST(Flatten, AxesIncludingNegativeAndZero) {
  struct Case {
    int64_t axis;
    Shape want;
  };
  for (const Case& c : {Case{0, {1, 24}}, Case{2, {6, 4}}, Case{-1, {6, 4}}, Case{3, {24, 1}}, Case{-3, {1, 24}}}) {
    OpTest t("Flatten", 13);
    t.attr_int("axis", c.axis);
    auto out = run_ok(t, {iota({2, 3, 4})});
    EXPECT_EQ(out[0].shape(), c.want) << "axis " << c.axis;
    EXPECT_EQ(vals<float>(out[0]), vals<float>(iota({24})));
  }
  OpTest bad("Flatten", 13);
  bad.attr_int("axis", 4);
  EXPECT_FALSE(bad.run({iota({2, 3, 4})}).ok());
}

TEST(Squeeze, AttributeInputAndDefault) {
  OpTest attr("Squeeze", 11);
  attr.attr_ints("axes", {-1});
  EXPECT_EQ(run_ok(attr, {iota({1, 3, 1})})[0].shape(), (Shape{1, 3}));
  OpTest input("Squeeze", 13);
  EXPECT_EQ(run_ok(input, {iota({1, 3, 1}), i64({0, 2})})[0].shape(), (Shape{3}));
  OpTest all("Squeeze", 13);
  EXPECT_EQ(run_ok(all, {iota({1, 3, 1, 2}), Tensor()})[0].shape(), (Shape{3, 2}));
  OpTest bad("Squeeze", 13);
  Status st = run_status(bad, {iota({1, 3}), i64({1})});
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("test_node"), std::string::npos) << st.message();
}

TEST(Unsqueeze, NegativeAndUnsortedAxes) {
  OpTest t("Unsqueeze", 13);
  auto out = run_ok(t, {iota({3, 4}), i64({-1, 0})});
  EXPECT_EQ(out[0].shape(), (Shape{1, 3, 4, 1}));
  OpTest t11("Unsqueeze", 11);
  t11.attr_ints("axes", {3, 1});
  EXPECT_EQ(run_ok(t11, {iota({3, 4})})[0].shape(), (Shape{3, 1, 4, 1}));
  OpTest dup("Unsqueeze", 13);
  EXPECT_FALSE(dup.run({iota({3}), i64({0, -3})}).ok());  // output rank 3: -3 is 0 again
  OpTest range("Unsqueeze", 13);
  EXPECT_FALSE(range.run({iota({3}), i64({2})}).ok());  // output rank 2
}

TEST(Identity, CopiesAnyDtype) {
  OpTest t("Identity", 16);
  Tensor x = Tensor::from_vector<uint16_t>(DType::kFloat16, {2}, {0x3c00, 0x4000});
  auto out = run_ok(t, {x});
  EXPECT_EQ(out[0].dtype(), DType::kFloat16);
  EXPECT_EQ(vals<uint16_t>(out[0]), (std::vector<uint16_t>{0x3c00, 0x4000}));
}

TEST(Dropout, InferenceCopiesAndMaskIsTrue) {
  OpTest t("Dropout", 13);
  t.num_outputs = 2;
  auto out = run_ok(t, {float_tensor({3}, {1, 2, 3}), float_tensor({}, {0.5f})});
  EXPECT_EQ(vals<float>(out[0]), (std::vector<float>{1, 2, 3}));
  EXPECT_EQ(out[1].dtype(), DType::kBool);
  EXPECT_EQ(vals<uint8_t>(out[1]), (std::vector<uint8_t>{1, 1, 1}));
  Tensor on = Tensor::from_vector<uint8_t>(DType::kBool, {}, {1});
  // Training mode with a seed: NumPy RandomState(0).uniform(size=8) is
  // [0.5488, 0.7152, 0.6028, 0.5449, 0.4237, 0.6459, 0.4376, 0.8918]; keep where >= 0.5, scale by 2.
  OpTest training("Dropout", 13);
  training.attr_int("seed", 0);
  training.num_outputs = 2;
  auto tr = run_ok(training, {float_tensor({8}, {1, 1, 1, 1, 1, 1, 1, 1}), float_tensor({}, {0.5f}), on});
  EXPECT_EQ(vals<float>(tr[0]), (std::vector<float>{2, 2, 2, 2, 0, 2, 0, 2}));
  EXPECT_EQ(vals<uint8_t>(tr[1]), (std::vector<uint8_t>{1, 1, 1, 1, 0, 1, 0, 1}));
  OpTest bad_ratio("Dropout", 13);
  EXPECT_FALSE(bad_ratio.run({float_tensor({3}, {1, 2, 3}), float_tensor({}, {1.5f}), on}).ok());
  OpTest zero_ratio("Dropout", 13);
  EXPECT_TRUE(zero_ratio.run({float_tensor({3}, {1, 2, 3}), float_tensor({}, {0.0f}), on}).ok());
}

// ---------------- Transpose / DepthToSpace / SpaceToDepth ----------------

TEST(Transpose, DefaultReversesAndPermIsApplied) {
  OpTest t("Transpose");
  auto out = run_ok(t, {iota({2, 3})});
  EXPECT_EQ(out[0].shape(), (Shape{3, 2}));
  EXPECT_EQ(vals<float>(out[0]), (std::vector<float>{0, 3, 1, 4, 2, 5}));

  OpTest p("Transpose");
  p.attr_ints("perm", {1, 2, 0});
  auto o = run_ok(p, {iota({2, 3, 4})});
  ASSERT_EQ(o[0].shape(), (Shape{3, 4, 2}));
  for (int64_t a = 0; a < 3; ++a)
    for (int64_t b = 0; b < 4; ++b)
      for (int64_t c = 0; c < 2; ++c)
        EXPECT_EQ(o[0].data<float>()[(a * 4 + b) * 2 + c], static_cast<float>(c * 12 + a * 4 + b));
}

TEST(Transpose, Int64AndBadPerm) {
  OpTest t("Transpose");
  t.attr_ints("perm", {1, 0});
  auto out = run_ok(t, {int64_tensor({2, 2}, {1, 2, 3, 4})});
  EXPECT_EQ(vals<int64_t>(out[0]), (std::vector<int64_t>{1, 3, 2, 4}));
  OpTest dup("Transpose");
  dup.attr_ints("perm", {0, 0});
  EXPECT_FALSE(dup.run({iota({2, 2})}).ok());
  OpTest len("Transpose");
  len.attr_ints("perm", {0});
  EXPECT_FALSE(len.run({iota({2, 2})}).ok());
}

TEST(DepthToSpace, DcrAndCrdModes) {
  // [1, 4, 1, 2] with blocksize 2 -> [1, 1, 2, 4].
  Tensor x = iota({1, 4, 1, 2});  // channel c holds {2c, 2c+1}
  OpTest dcr("DepthToSpace", 13);
  dcr.attr_int("blocksize", 2);
  auto o = run_ok(dcr, {x});
  EXPECT_EQ(o[0].shape(), (Shape{1, 1, 2, 4}));
  // DCR: out[0, 0, bh, w*2+bw] = in[0, bh*2+bw, 0, w]
  EXPECT_EQ(vals<float>(o[0]), (std::vector<float>{0, 2, 1, 3, 4, 6, 5, 7}));
  OpTest crd("DepthToSpace", 13);
  crd.attr_int("blocksize", 2).attr_string("mode", "CRD");
  // CRD with a single output channel: channel index = bh*2 + bw as well.
  EXPECT_EQ(vals<float>(run_ok(crd, {x})[0]), (std::vector<float>{0, 2, 1, 3, 4, 6, 5, 7}));
  // With 2 output channels DCR and CRD differ: [1, 8, 1, 1].
  OpTest dcr2("DepthToSpace", 13), crd2("DepthToSpace", 13);
  dcr2.attr_int("blocksize", 2);
  crd2.attr_int("blocksize", 2).attr_string("mode", "CRD");
  EXPECT_EQ(vals<float>(run_ok(dcr2, {iota({1, 8, 1, 1})})[0]), (std::vector<float>{0, 2, 4, 6, 1, 3, 5, 7}));
  EXPECT_EQ(vals<float>(run_ok(crd2, {iota({1, 8, 1, 1})})[0]), (std::vector<float>{0, 1, 2, 3, 4, 5, 6, 7}));
  OpTest bad("DepthToSpace", 13);
  bad.attr_int("blocksize", 3);
  EXPECT_FALSE(bad.run({x}).ok());
}

TEST(SpaceToDepth, InvertsDepthToSpaceDcr) {
  Tensor x = random_tensor({2, 3, 4, 6}, 7);
  OpTest s2d("SpaceToDepth", 13);
  s2d.attr_int("blocksize", 2);
  auto mid = run_ok(s2d, {x});
  ASSERT_EQ(mid[0].shape(), (Shape{2, 12, 2, 3}));
  // out[n, (bh*2+bw)*C + c, h, w] = in[n, c, h*2+bh, w*2+bw]
  EXPECT_EQ(mid[0].data<float>()[((0 * 12 + (1 * 2 + 0) * 3 + 2) * 2 + 1) * 3 + 2],
            x.data<float>()[((0 * 3 + 2) * 4 + 3) * 6 + 4]);
  OpTest d2s("DepthToSpace", 13);
  d2s.attr_int("blocksize", 2);
  auto back = run_ok(d2s, {mid[0]});
  expect_near(back[0], x, 0.0f);
}

// ---------------- Concat / Split ----------------

TEST(Concat, NegativeAxisAndEmptyInput) {
  OpTest t("Concat");
  t.attr_int("axis", -1);
  auto out = run_ok(t, {iota({2, 2}), Tensor::empty(DType::kFloat32, {2, 0}), float_tensor({2, 1}, {9, 8})});
  EXPECT_EQ(out[0].shape(), (Shape{2, 3}));
  EXPECT_EQ(vals<float>(out[0]), (std::vector<float>{0, 1, 9, 2, 3, 8}));
}

TEST(Concat, MismatchedDimsAndDtypesAreErrors) {
  OpTest t("Concat");
  t.attr_int("axis", 0);
  EXPECT_FALSE(t.run({iota({2, 2}), iota({2, 3})}).ok());
  OpTest d("Concat");
  d.attr_int("axis", 0);
  EXPECT_FALSE(d.run({iota({2}), i64({1, 2})}).ok());
  OpTest r("Concat");
  r.attr_int("axis", 0);
  EXPECT_FALSE(r.run({iota({2}), iota({1, 2})}).ok());
}

TEST(Split, SplitInputAttributeAndNumOutputs) {
  OpTest t("Split", 13);
  t.num_outputs = 2;
  t.attr_int("axis", 1);
  auto out = run_ok(t, {iota({2, 3}), i64({1, 2})});
  EXPECT_EQ(vals<float>(out[0]), (std::vector<float>{0, 3}));
  EXPECT_EQ(vals<float>(out[1]), (std::vector<float>{1, 2, 4, 5}));

  OpTest a("Split", 11);
  a.num_outputs = 3;
  a.attr_ints("split", {2, 0, 1});
  auto o = run_ok(a, {iota({3})});
  EXPECT_EQ(o[1].shape(), (Shape{0}));
  EXPECT_EQ(vals<float>(o[2]), (std::vector<float>{2}));

  OpTest n("Split", 18);
  n.num_outputs = 3;
  n.attr_int("num_outputs", 3);
  auto u = run_ok(n, {iota({7})});  // chunks of ceil(7/3) = 3, last smaller
  EXPECT_EQ(u[0].shape(), (Shape{3}));
  EXPECT_EQ(u[1].shape(), (Shape{3}));
  EXPECT_EQ(vals<float>(u[2]), (std::vector<float>{6}));

  OpTest eq("Split", 13);
  eq.num_outputs = 2;
  auto e = run_ok(eq, {iota({4, 1}), Tensor()});
  EXPECT_EQ(vals<float>(e[1]), (std::vector<float>{2, 3}));
}

TEST(Split, Errors) {
  OpTest sum("Split", 13);
  sum.num_outputs = 2;
  EXPECT_FALSE(sum.run({iota({4}), i64({1, 2})}).ok());
  OpTest uneven("Split", 13);
  uneven.num_outputs = 3;
  EXPECT_FALSE(uneven.run({iota({4}), Tensor()}).ok());
  OpTest neg("Split", 13);
  neg.num_outputs = 2;
  EXPECT_FALSE(neg.run({iota({4}), i64({5, -1})}).ok());
}

// ---------------- Slice ----------------

TEST(Slice, StepsNegativeAxesAndClamping) {
  OpTest t("Slice", 13);
  // x[0:2, ::-2] on [2, 5] with axis -1 and an end past the dim
  auto out = run_ok(t, {iota({2, 5}), i64({0, std::numeric_limits<int64_t>::max()}),
                        i64({100, std::numeric_limits<int64_t>::min()}), i64({0, -1}), i64({1, -2})});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].shape(), (Shape{2, 3}));
  EXPECT_EQ(vals<float>(out[0]), (std::vector<float>{4, 2, 0, 9, 7, 5}));
}

TEST(Slice, NegativeStartsAndDefaults) {
  OpTest t("Slice", 13);
  auto out = run_ok(t, {iota({6}), i64({-4}), i64({-1}), Tensor(), Tensor()});
  EXPECT_EQ(vals<float>(out[0]), (std::vector<float>{2, 3, 4}));
  OpTest i32t("Slice", 13);
  auto o = run_ok(i32t, {iota({6}), i32({1}, {1}), i32({1}, {6}), i32({1}, {0}), i32({1}, {2})});
  EXPECT_EQ(vals<float>(o[0]), (std::vector<float>{1, 3, 5}));
}

TEST(Slice, EmptyResultAndZeroSizeInput) {
  OpTest t("Slice", 13);
  auto out = run_ok(t, {iota({2, 4}), i64({3}), i64({1}), i64({1}), Tensor()});
  EXPECT_EQ(out[0].shape(), (Shape{2, 0}));
  OpTest z("Slice", 13);
  auto o = run_ok(z, {Tensor::empty(DType::kFloat32, {0, 3}), i64({1}), i64({3}), i64({1}), Tensor()});
  EXPECT_EQ(o[0].shape(), (Shape{0, 2}));
  OpTest back("Slice", 13);  // negative step over an empty axis
  auto b = run_ok(back, {Tensor::empty(DType::kFloat32, {0, 3}), i64({-1}), i64({std::numeric_limits<int64_t>::min()}),
                         i64({0}), i64({-1})});
  EXPECT_EQ(b[0].shape(), (Shape{0, 3}));
}

TEST(Slice, Opset1Attributes) {
  OpTest t("Slice", 1);
  t.attr_ints("starts", {1, 0}).attr_ints("ends", {2, 3});
  auto out = run_ok(t, {iota({2, 4})});
  EXPECT_EQ(vals<float>(out[0]), (std::vector<float>{4, 5, 6}));
}

TEST(Slice, Errors) {
  OpTest step0("Slice", 13);
  EXPECT_FALSE(step0.run({iota({4}), i64({0}), i64({4}), i64({0}), i64({0})}).ok());
  OpTest repeat("Slice", 13);
  EXPECT_FALSE(repeat.run({iota({4, 4}), i64({0, 0}), i64({1, 1}), i64({0, -2}), Tensor()}).ok());
  OpTest len("Slice", 13);
  EXPECT_FALSE(len.run({iota({4}), i64({0, 1}), i64({1}), Tensor(), Tensor()}).ok());
}

// ---------------- Gather family ----------------

TEST(Gather, AxisAndNegativeIndices) {
  OpTest t("Gather", 13);
  t.attr_int("axis", 1);
  auto out = run_ok(t, {iota({2, 3}), int64_tensor({2, 1}, {-1, 0})});
  EXPECT_EQ(out[0].shape(), (Shape{2, 2, 1}));
  EXPECT_EQ(vals<float>(out[0]), (std::vector<float>{2, 0, 5, 3}));
  OpTest s("Gather", 13);
  auto o = run_ok(s, {iota({3, 2}), i32({}, {2})});
  EXPECT_EQ(o[0].shape(), (Shape{2}));
  EXPECT_EQ(vals<float>(o[0]), (std::vector<float>{4, 5}));
}

TEST(Gather, OutOfRangeIndexIsARunError) {
  OpTest t("Gather", 13);
  Status st = run_status(t, {iota({3, 2}), i64({1, 3})});
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("out of range"), std::string::npos) << st.message();
  OpTest neg("Gather", 13);
  EXPECT_FALSE(neg.run({iota({3, 2}), i64({-4})}).ok());
}

TEST(GatherElements, SpecExampleAndErrors) {
  OpTest t("GatherElements", 13);
  t.attr_int("axis", 1);
  auto out = run_ok(t, {float_tensor({2, 2}, {1, 2, 3, 4}), int64_tensor({2, 2}, {0, 0, 1, 0})});
  EXPECT_EQ(vals<float>(out[0]), (std::vector<float>{1, 1, 4, 3}));
  OpTest a0("GatherElements", 13);
  auto o = run_ok(a0, {iota({3, 3}), int64_tensor({2, 3}, {1, 2, 0, 2, 0, -3})});
  EXPECT_EQ(vals<float>(o[0]), (std::vector<float>{3, 7, 2, 6, 1, 2}));
  OpTest bad("GatherElements", 13);
  EXPECT_FALSE(bad.run({iota({2, 2}), int64_tensor({1, 1}, {2})}).ok());
}

TEST(GatherND, BatchDimsAndSlices) {
  OpTest t("GatherND", 13);
  t.attr_int("batch_dims", 1);
  // data [2, 2, 2], indices [2, 1] -> out[b] = data[b, idx[b]]
  auto out = run_ok(t, {iota({2, 2, 2}), int64_tensor({2, 1}, {1, 0})});
  EXPECT_EQ(out[0].shape(), (Shape{2, 2}));
  EXPECT_EQ(vals<float>(out[0]), (std::vector<float>{2, 3, 4, 5}));
  OpTest full("GatherND", 13);
  auto o = run_ok(full, {iota({2, 2}), int64_tensor({2, 2}, {0, 0, 1, -1})});
  EXPECT_EQ(vals<float>(o[0]), (std::vector<float>{0, 3}));
  OpTest bad("GatherND", 13);
  EXPECT_FALSE(bad.run({iota({2, 2}), int64_tensor({1, 2}, {0, 2})}).ok());
}

// ---------------- Scatter family ----------------

TEST(ScatterElements, ReductionsAndDuplicates) {
  OpTest t("ScatterElements", 18);
  t.attr_int("axis", 1).attr_string("reduction", "add");
  auto out = run_ok(
      t, {float_tensor({1, 5}, {1, 2, 3, 4, 5}), int64_tensor({1, 2}, {1, 1}), float_tensor({1, 2}, {1.1f, 2.1f})});
  EXPECT_EQ(vals<float>(out[0]), (std::vector<float>{1, 5.2f, 3, 4, 5}));
  OpTest mx("ScatterElements", 18);
  mx.attr_string("reduction", "max");
  auto m = run_ok(mx, {int64_tensor({3}, {5, 1, 7}), int64_tensor({2}, {0, -2}), int64_tensor({2}, {3, 9})});
  EXPECT_EQ(vals<int64_t>(m[0]), (std::vector<int64_t>{5, 9, 7}));
  OpTest none("ScatterElements", 13);
  auto n = run_ok(none, {iota({3, 3}), int64_tensor({2, 3}, {1, 0, 2, 0, 2, 1}),
                         float_tensor({2, 3}, {1.0f, 1.1f, 1.2f, 2.0f, 2.1f, 2.2f})});
  EXPECT_EQ(vals<float>(n[0]), (std::vector<float>{2.0f, 1.1f, 2, 1.0f, 4, 2.2f, 6, 2.1f, 1.2f}));
}

TEST(ScatterElements, OutOfRangeAndBadReduction) {
  OpTest t("ScatterElements", 13);
  Status st = run_status(t, {iota({3}), i64({3}), float_tensor({1}, {1})});
  EXPECT_FALSE(st.ok());
  OpTest r("ScatterElements", 16);
  r.attr_string("reduction", "max");  // max needs opset 18
  EXPECT_FALSE(r.run({iota({3}), i64({0}), float_tensor({1}, {1})}).ok());
}

TEST(ScatterND, MulAndSliceUpdates) {
  OpTest t("ScatterND", 18);
  t.attr_string("reduction", "mul");
  auto out = run_ok(t, {float_tensor({4}, {1, 2, 3, 4}), int64_tensor({2, 1}, {1, 1}), float_tensor({2}, {3, 5})});
  EXPECT_EQ(vals<float>(out[0]), (std::vector<float>{1, 30, 3, 4}));
  OpTest s("ScatterND", 13);
  auto o = run_ok(s, {iota({2, 2}), int64_tensor({1, 1}, {-1}), float_tensor({1, 2}, {8, 9})});
  EXPECT_EQ(vals<float>(o[0]), (std::vector<float>{0, 1, 8, 9}));
  OpTest bad("ScatterND", 13);
  EXPECT_FALSE(bad.run({iota({2, 2}), int64_tensor({1, 1}, {2}), float_tensor({1, 2}, {8, 9})}).ok());
  OpTest shape("ScatterND", 13);
  EXPECT_FALSE(shape.run({iota({2, 2}), int64_tensor({1, 1}, {0}), float_tensor({1, 3}, {8, 9, 7})}).ok());
}

// ---------------- Expand / Tile ----------------

TEST(Expand, BroadcastsToShape) {
  OpTest t("Expand", 13);
  auto out = run_ok(t, {float_tensor({3, 1}, {1, 2, 3}), i64({2, 1, 2})});
  EXPECT_EQ(out[0].shape(), (Shape{2, 3, 2}));
  EXPECT_EQ(vals<float>(out[0]), (std::vector<float>{1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3}));
  OpTest bad("Expand", 13);
  EXPECT_FALSE(bad.run({iota({3}), i64({2})}).ok());
  OpTest zero("Expand", 13);
  EXPECT_EQ(run_ok(zero, {iota({1}), i64({0})})[0].shape(), (Shape{0}));
}

TEST(Tile, RepeatsAndZero) {
  OpTest t("Tile", 13);
  auto out = run_ok(t, {iota({2, 2}), i64({2, 1})});
  EXPECT_EQ(vals<float>(out[0]), (std::vector<float>{0, 1, 2, 3, 0, 1, 2, 3}));
  OpTest c("Tile", 13);
  EXPECT_EQ(vals<float>(run_ok(c, {iota({2}), i64({3})})[0]), (std::vector<float>{0, 1, 0, 1, 0, 1}));
  OpTest z("Tile", 13);
  EXPECT_EQ(run_ok(z, {iota({2}), i64({0})})[0].shape(), (Shape{0}));
  OpTest bad("Tile", 13);
  EXPECT_FALSE(bad.run({iota({2}), i64({1, 1})}).ok());
}

// ---------------- Constants ----------------

TEST(Shape, StartEndClamp) {
  OpTest t("Shape", 15);
  t.attr_int("start", -3).attr_int("end", 100);
  auto out = run_ok(t, {iota({2, 3, 4, 5})});
  EXPECT_EQ(vals<int64_t>(out[0]), (std::vector<int64_t>{3, 4, 5}));
  OpTest e("Shape", 15);
  e.attr_int("start", 3).attr_int("end", 1);
  EXPECT_EQ(run_ok(e, {iota({2, 3, 4, 5})})[0].shape(), (Shape{0}));
  OpTest s("Size", 13);
  auto n = run_ok(s, {iota({2, 3})});
  EXPECT_EQ(n[0].shape(), Shape{});
  EXPECT_EQ(vals<int64_t>(n[0]), (std::vector<int64_t>{6}));
}

TEST(Constant, ValueKinds) {
  OpTest ints("Constant", 13);
  ints.attr_ints("value_ints", {4, 5});
  EXPECT_EQ(vals<int64_t>(run_ok(ints, {})[0]), (std::vector<int64_t>{4, 5}));
  OpTest f("Constant", 13);
  f.attr_float("value_float", 2.5f);
  auto o = run_ok(f, {});
  EXPECT_EQ(o[0].shape(), Shape{});
  EXPECT_EQ(vals<float>(o[0]), (std::vector<float>{2.5f}));
  OpTest t("Constant", 13);
  t.attr_tensor("value", iota({2}));
  EXPECT_EQ(vals<float>(run_ok(t, {})[0]), (std::vector<float>{0, 1}));
  OpTest none("Constant", 13);
  EXPECT_FALSE(none.run({}).ok());
  OpTest str("Constant", 13);
  str.attr_string("value_string", "x");
  auto st = str.run({});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.status().code(), StatusCode::kUnsupported);
}

TEST(ConstantOfShape, ValueAndEmptyShape) {
  OpTest t("ConstantOfShape", 20);
  t.attr_tensor("value", int64_tensor({1}, {7}));
  auto out = run_ok(t, {i64({2, 2})});
  EXPECT_EQ(out[0].dtype(), DType::kInt64);
  EXPECT_EQ(vals<int64_t>(out[0]), (std::vector<int64_t>{7, 7, 7, 7}));
  OpTest scalar("ConstantOfShape", 20);
  auto s = run_ok(scalar, {int64_tensor({0}, {})});
  EXPECT_EQ(s[0].shape(), Shape{});
  EXPECT_EQ(vals<float>(s[0]), (std::vector<float>{0}));
  OpTest zero("ConstantOfShape", 20);
  EXPECT_EQ(run_ok(zero, {i64({3, 0})})[0].shape(), (Shape{3, 0}));
  OpTest neg("ConstantOfShape", 20);
  EXPECT_FALSE(neg.run({i64({-1})}).ok());
}

TEST(Range, IntegerAndFloat) {
  OpTest t("Range", 11);
  auto out = run_ok(t, {i64_scalar(10), i64_scalar(4), i64_scalar(-3)});
  EXPECT_EQ(vals<int64_t>(out[0]), (std::vector<int64_t>{10, 7}));
  OpTest f("Range", 11);
  auto o = run_ok(f, {float_tensor({}, {1}), float_tensor({}, {2}), float_tensor({}, {0.25f})});
  EXPECT_EQ(vals<float>(o[0]), (std::vector<float>{1, 1.25f, 1.5f, 1.75f}));
  OpTest empty("Range", 11);
  EXPECT_EQ(run_ok(empty, {i64_scalar(3), i64_scalar(1), i64_scalar(1)})[0].shape(), (Shape{0}));
  OpTest zero("Range", 11);
  EXPECT_FALSE(zero.run({i64_scalar(0), i64_scalar(1), i64_scalar(0)}).ok());
}

TEST(EyeLike, OffDiagonalAndDtype) {
  OpTest t("EyeLike", 9);
  t.attr_int("k", 1).attr_int("dtype", static_cast<int64_t>(DType::kInt32));
  auto out = run_ok(t, {iota({3, 4})});
  EXPECT_EQ(out[0].dtype(), DType::kInt32);
  EXPECT_EQ(vals<int32_t>(out[0]), (std::vector<int32_t>{0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1}));
  OpTest n("EyeLike", 9);
  n.attr_int("k", -2);
  EXPECT_EQ(vals<float>(run_ok(n, {iota({3, 2})})[0]), (std::vector<float>{0, 0, 0, 0, 1, 0}));
}

// ---------------- Pad ----------------

TEST(Pad, ConstantWithValueInput) {
  OpTest t("Pad", 13);
  auto out = run_ok(t, {iota({2, 2}), i64({0, 1, 1, 0}), float_tensor({}, {9})});
  EXPECT_EQ(out[0].shape(), (Shape{3, 3}));
  EXPECT_EQ(vals<float>(out[0]), (std::vector<float>{9, 0, 1, 9, 2, 3, 9, 9, 9}));
}

TEST(Pad, ReflectEdgeWrap) {
  Tensor x = float_tensor({4}, {1, 2, 3, 4});
  OpTest r("Pad", 13);
  r.attr_string("mode", "reflect");
  EXPECT_EQ(vals<float>(run_ok(r, {x, i64({2, 3})})[0]), (std::vector<float>{3, 2, 1, 2, 3, 4, 3, 2, 1}));
  OpTest e("Pad", 13);
  e.attr_string("mode", "edge");
  EXPECT_EQ(vals<float>(run_ok(e, {x, i64({2, 1})})[0]), (std::vector<float>{1, 1, 1, 2, 3, 4, 4}));
  OpTest w("Pad", 19);
  w.attr_string("mode", "wrap");
  EXPECT_EQ(vals<float>(run_ok(w, {x, i64({5, 2})})[0]), (std::vector<float>{4, 1, 2, 3, 4, 1, 2, 3, 4, 1, 2}));
}

TEST(Pad, NegativePadsCropAndAxes) {
  OpTest t("Pad", 18);
  // Crop one column at the start of axis -1, add one row at the end of axis 0.
  auto out = run_ok(t, {iota({2, 3}), i64({-1, 0, 0, 1}), Tensor(), i64({-1, 0})});
  EXPECT_EQ(out[0].shape(), (Shape{3, 2}));
  EXPECT_EQ(vals<float>(out[0]), (std::vector<float>{1, 2, 4, 5, 0, 0}));
  OpTest crop("Pad", 13);
  crop.attr_string("mode", "reflect");
  // Reflect uses the cropped edges: [2, 3] padded by 1 on the left -> [3, 2, 3].
  EXPECT_EQ(vals<float>(run_ok(crop, {float_tensor({4}, {1, 2, 3, 4}), i64({-1, -1})})[0]), (std::vector<float>{2, 3}));
  OpTest bad("Pad", 13);
  EXPECT_FALSE(bad.run({iota({2}), i64({-2, -1})}).ok());
  OpTest count("Pad", 13);
  EXPECT_FALSE(count.run({iota({2}), i64({1})}).ok());
}

TEST(Pad, Opset2AttributesWithValue) {
  OpTest t("Pad", 2);
  t.attr_ints("pads", {1, 0}).attr_float("value", -1.0f);
  auto out = run_ok(t, {int64_tensor({2}, {5, 6})});
  EXPECT_EQ(vals<int64_t>(out[0]), (std::vector<int64_t>{-1, 5, 6}));
}

// ---------------- OneHot / Trilu / Compress / NonZero ----------------

TEST(OneHot, AxisNegativeIndicesAndOutOfRange) {
  OpTest t("OneHot", 11);
  t.attr_int("axis", 0);
  auto out = run_ok(t, {int64_tensor({3}, {0, -1, 5}), i64_scalar(3), float_tensor({2}, {0, 1})});
  ASSERT_EQ(out[0].shape(), (Shape{3, 3}));
  // Columns are the indices: 0 -> row 0, -1 -> row 2, 5 (out of range) -> all off.
  EXPECT_EQ(vals<float>(out[0]), (std::vector<float>{1, 0, 0, 0, 0, 0, 0, 1, 0}));
  OpTest last("OneHot", 11);
  auto o = run_ok(last, {float_tensor({2}, {1.0f, 0.0f}), float_tensor({}, {2}), int64_tensor({2}, {-3, 7})});
  EXPECT_EQ(vals<int64_t>(o[0]), (std::vector<int64_t>{-3, 7, 7, -3}));
}

TEST(Trilu, UpperLowerWithK) {
  OpTest u("Trilu", 14);
  auto up = run_ok(u, {iota({3, 3}), i64_scalar(1)});
  EXPECT_EQ(vals<float>(up[0]), (std::vector<float>{0, 1, 2, 0, 0, 5, 0, 0, 0}));
  OpTest l("Trilu", 14);
  l.attr_int("upper", 0);
  auto lo = run_ok(l, {iota({2, 3})});
  EXPECT_EQ(vals<float>(lo[0]), (std::vector<float>{0, 0, 0, 3, 4, 0}));
  OpTest big("Trilu", 14);
  EXPECT_EQ(vals<float>(run_ok(big, {iota({2, 2}), i64_scalar(std::numeric_limits<int64_t>::min())})[0]),
            (std::vector<float>{0, 1, 2, 3}));
}

TEST(Compress, AxisAndFlattened) {
  Tensor cond = Tensor::from_vector<uint8_t>(DType::kBool, {2}, {0, 1});
  OpTest a("Compress", 11);
  a.attr_int("axis", 1);
  auto out = run_ok(a, {iota({2, 3}), cond});
  EXPECT_EQ(vals<float>(out[0]), (std::vector<float>{1, 4}));
  OpTest f("Compress", 11);
  Tensor c3 = Tensor::from_vector<uint8_t>(DType::kBool, {3}, {1, 0, 1});  // shorter than 4: the rest is false
  EXPECT_EQ(vals<float>(run_ok(f, {iota({2, 2}), c3})[0]), (std::vector<float>{0, 2}));
  OpTest bad("Compress", 11);
  Tensor c5 = Tensor::from_vector<uint8_t>(DType::kBool, {5}, {1, 0, 0, 1, 1});  // selects index 4 of 4
  EXPECT_FALSE(bad.run({iota({2, 2}), c5}).ok());
}

TEST(NonZero, Coordinates) {
  OpTest t("NonZero", 13);
  auto out = run_ok(t, {float_tensor({2, 2}, {1, 0, 0, 3})});
  EXPECT_EQ(out[0].shape(), (Shape{2, 2}));
  EXPECT_EQ(vals<int64_t>(out[0]), (std::vector<int64_t>{0, 1, 0, 1}));
}

// ---------------- Shapes from data that overflow are errors, not crashes ----------------

TEST(ShapeOps, OverflowingShapesAreErrors) {
  const int64_t big = std::numeric_limits<int64_t>::max() / 2;
  OpTest expand("Expand", 13);
  EXPECT_FALSE(expand.run({iota({1, 1}), i64({big, 4})}).ok());
  OpTest tile("Tile", 13);
  EXPECT_FALSE(tile.run({iota({3}), i64({big})}).ok());
  OpTest cos("ConstantOfShape", 20);
  EXPECT_FALSE(cos.run({i64({big, big})}).ok());
  OpTest pad("Pad", 13);
  EXPECT_FALSE(pad.run({iota({2}), i64({std::numeric_limits<int64_t>::max(), 1})}).ok());
  OpTest reshape("Reshape", 14);
  EXPECT_FALSE(reshape.run({iota({4}), i64({big, big, -1})}).ok());
  OpTest range("Range", 11);
  EXPECT_FALSE(range.run({i64_scalar(0), i64_scalar(std::numeric_limits<int64_t>::max()), i64_scalar(1)}).ok());
  OpTest onehot("OneHot", 11);
  EXPECT_FALSE(onehot.run({int64_tensor({1}, {0}), i64_scalar(0), float_tensor({2}, {0, 1})}).ok());
  OpTest resize("Resize", 13);
  EXPECT_FALSE(resize.run({iota({2}), Tensor(), float_tensor({1}, {1e30f})}).ok());
}

// ---------------- Randomized checks against naive index loops ----------------

// Row-major flat index of `idx` in `shape`.
int64_t flat_index(const Shape& shape, const std::vector<int64_t>& idx) {
  int64_t f = 0;
  for (size_t d = 0; d < shape.size(); ++d) f = f * shape[d] + idx[d];
  return f;
}

// Calls fn(idx) for every index of `shape` in row-major order.
template <class Fn>
void for_each_index(const Shape& shape, Fn&& fn) {
  std::vector<int64_t> idx(shape.size(), 0);
  for (int64_t n = 0; n < shape_numel(shape); ++n) {
    fn(idx);
    for (size_t d = shape.size(); d-- > 0;) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
}

TEST(Transpose, RandomPermutationsMatchNaive) {
  std::mt19937 rng(5);
  const Shape in = {3, 1, 5, 2};
  std::vector<int64_t> perm = {0, 1, 2, 3};
  for (int iter = 0; iter < 12; ++iter) {
    std::shuffle(perm.begin(), perm.end(), rng);
    Tensor x = random_tensor(in, static_cast<uint32_t>(iter));
    OpTest t("Transpose");
    t.attr_ints("perm", perm);
    auto out = run_ok(t, {x});
    ASSERT_EQ(out.size(), 1u);
    Shape want_shape;
    for (int64_t p : perm) want_shape.push_back(in[static_cast<size_t>(p)]);
    ASSERT_EQ(out[0].shape(), want_shape);
    for_each_index(want_shape, [&](const std::vector<int64_t>& o) {
      std::vector<int64_t> i(4);
      for (size_t d = 0; d < 4; ++d) i[static_cast<size_t>(perm[d])] = o[d];
      ASSERT_EQ(out[0].data<float>()[flat_index(want_shape, o)], x.data<float>()[flat_index(in, i)]);
    });
  }
}

TEST(Transpose, TiledPathAllElementSizes) {
  // Tails of at least 8 x 8 take the tiled 2-D transpose; sizes not multiples of the tile size.
  const Shape in = {2, 37, 45};
  for (DType dt : {DType::kUInt8, DType::kFloat16, DType::kInt32, DType::kInt64}) {
    Tensor x = Tensor::empty(dt, in);
    const size_t e = dtype_size(dt);
    for (int64_t i = 0; i < x.numel(); ++i)
      for (size_t b = 0; b < e; ++b)
        static_cast<uint8_t*>(x.raw_data())[static_cast<size_t>(i) * e + b] = static_cast<uint8_t>(i * 7 + b);
    OpTest t("Transpose");
    t.attr_ints("perm", {0, 2, 1});
    auto out = run_ok(t, {x});
    ASSERT_EQ(out.size(), 1u);
    ASSERT_EQ(out[0].shape(), (Shape{2, 45, 37}));
    for_each_index(out[0].shape(), [&](const std::vector<int64_t>& o) {
      const int64_t src = flat_index(in, {o[0], o[2], o[1]});
      const int64_t dst = flat_index(out[0].shape(), o);
      ASSERT_EQ(std::memcmp(static_cast<const uint8_t*>(out[0].raw_data()) + static_cast<size_t>(dst) * e,
                            static_cast<const uint8_t*>(x.raw_data()) + static_cast<size_t>(src) * e, e),
                0)
          << dtype_name(dt);
    });
  }
}

// Slice semantics by walking the indices one by one: Python's, except that the ONNX spec clamps a
// start before the beginning to 0 (not -1) for negative steps.
std::vector<int64_t> python_slice(int64_t dim, int64_t start, int64_t end, int64_t step) {
  if (start < 0) start += dim;
  if (end < 0) end += dim;
  std::vector<int64_t> out;
  if (step > 0) {
    start = std::max<int64_t>(0, std::min(start, dim));
    end = std::max<int64_t>(0, std::min(end, dim));
    for (int64_t i = start; i < end; i += step) out.push_back(i);
  } else {
    start = std::max<int64_t>(0, std::min(start, dim - 1));
    end = std::max<int64_t>(-1, std::min(end, dim - 1));
    for (int64_t i = start; i > end && i >= 0; i += step) out.push_back(i);
  }
  return out;
}

TEST(Slice, RandomMatchesPythonSemantics) {
  std::mt19937 rng(11);
  std::uniform_int_distribution<int64_t> pos(-9, 9), stepd(-3, 3);
  const Shape in = {5, 7, 3};
  Tensor x = random_tensor(in, 2);
  for (int iter = 0; iter < 60; ++iter) {
    std::vector<int64_t> starts, ends, axes = {0, 1, 2}, steps;
    std::vector<std::vector<int64_t>> picks;
    for (int d = 0; d < 3; ++d) {
      int64_t st = stepd(rng);
      if (st == 0) st = 1;
      starts.push_back(pos(rng));
      ends.push_back(pos(rng));
      steps.push_back(st);
      picks.push_back(python_slice(in[static_cast<size_t>(d)], starts.back(), ends.back(), st));
    }
    std::shuffle(axes.begin(), axes.end(), rng);  // same slices, listed in another axis order
    std::vector<int64_t> s2(3), e2(3), st2(3);
    for (size_t k = 0; k < 3; ++k) {
      s2[k] = starts[static_cast<size_t>(axes[k])];
      e2[k] = ends[static_cast<size_t>(axes[k])];
      st2[k] = steps[static_cast<size_t>(axes[k])];
    }
    OpTest t("Slice", 13);
    auto out = run_ok(t, {x, i64(s2), i64(e2), i64({axes[0] - 3, axes[1], axes[2]}), i64(st2)});
    ASSERT_EQ(out.size(), 1u);
    Shape want = {static_cast<int64_t>(picks[0].size()), static_cast<int64_t>(picks[1].size()),
                  static_cast<int64_t>(picks[2].size())};
    ASSERT_EQ(out[0].shape(), want) << "iter " << iter;
    for_each_index(want, [&](const std::vector<int64_t>& o) {
      std::vector<int64_t> i = {picks[0][static_cast<size_t>(o[0])], picks[1][static_cast<size_t>(o[1])],
                                picks[2][static_cast<size_t>(o[2])]};
      ASSERT_EQ(out[0].data<float>()[flat_index(want, o)], x.data<float>()[flat_index(in, i)]);
    });
  }
}

// Source index (or -1 for the constant) of each output position of one padded axis, built by walking
// outwards from the kept range the way np.pad fills it.
std::vector<int64_t> pad_axis_sources(int64_t dim, int64_t before, int64_t after, const std::string& mode) {
  const int64_t lo = before < 0 ? -before : 0, hi = dim - (after < 0 ? -after : 0), n = hi - lo;
  std::vector<int64_t> kept;
  for (int64_t i = lo; i < hi; ++i) kept.push_back(i);
  auto outward = [&](int64_t count, bool left) {
    std::vector<int64_t> v;
    int64_t p = left ? 0 : n - 1, dir = left ? 1 : -1;
    for (int64_t k = 1; k <= count; ++k) {
      if (mode == "constant") {
        v.push_back(-1);
      } else if (mode == "edge") {
        v.push_back(kept[static_cast<size_t>(left ? 0 : n - 1)]);
      } else if (mode == "wrap") {
        int64_t q = left ? ((n - k) % n + n) % n : (k - 1) % n;
        v.push_back(kept[static_cast<size_t>(q)]);
      } else {  // reflect: bounce between the ends without repeating them
        if (n > 1) {
          p += dir;
          if (p == n - 1 || p == 0) dir = -dir;
        }
        v.push_back(kept[static_cast<size_t>(p)]);
      }
    }
    return v;
  };
  std::vector<int64_t> left = outward(std::max<int64_t>(before, 0), true);
  std::vector<int64_t> right = outward(std::max<int64_t>(after, 0), false);
  std::vector<int64_t> out(left.rbegin(), left.rend());
  out.insert(out.end(), kept.begin(), kept.end());
  out.insert(out.end(), right.begin(), right.end());
  return out;
}

TEST(Pad, RandomMatchesNumpySemantics) {
  std::mt19937 rng(3);
  std::uniform_int_distribution<int64_t> padd(-1, 6);
  const Shape in = {3, 4};
  Tensor x = random_tensor(in, 9);
  for (const char* mode : {"constant", "reflect", "edge", "wrap"}) {
    for (int iter = 0; iter < 15; ++iter) {
      std::vector<int64_t> pads = {padd(rng), padd(rng), padd(rng), padd(rng)};
      OpTest t("Pad", 19);
      t.attr_string("mode", mode);
      auto out = run_ok(t, {x, i64(pads), float_tensor({}, {-7.0f})});
      ASSERT_EQ(out.size(), 1u);
      std::vector<int64_t> m0 = pad_axis_sources(3, pads[0], pads[2], mode);
      std::vector<int64_t> m1 = pad_axis_sources(4, pads[1], pads[3], mode);
      Shape want = {static_cast<int64_t>(m0.size()), static_cast<int64_t>(m1.size())};
      ASSERT_EQ(out[0].shape(), want) << mode << " iter " << iter;
      for_each_index(want, [&](const std::vector<int64_t>& o) {
        const int64_t a = m0[static_cast<size_t>(o[0])], b = m1[static_cast<size_t>(o[1])];
        const float expect = (a < 0 || b < 0) ? -7.0f : x.data<float>()[a * 4 + b];
        ASSERT_EQ(out[0].data<float>()[flat_index(want, o)], expect)
            << mode << " pads " << pads[0] << "," << pads[1] << "," << pads[2] << "," << pads[3];
      });
    }
  }
}

}  // namespace
}  // namespace edgerun::testing
