// Shape / data-movement ops through the real planner, against hand-computed expectations.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
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

Tensor i32(Shape s, const std::vector<int32_t>& v) { return Tensor::from_vector<int32_t>(DType::kInt32, std::move(s), v); }
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
  struct Case { int64_t axis; Shape want; };
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
  OpTest training("Dropout", 13);
  Tensor on = Tensor::from_vector<uint8_t>(DType::kBool, {}, {1});
  EXPECT_FALSE(training.run({float_tensor({3}, {1, 2, 3}), float_tensor({}, {0.5f}), on}).ok());
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
  auto out = run_ok(t, {iota({2, 5}), i64({0, std::numeric_limits<int64_t>::max()}), i64({100, std::numeric_limits<int64_t>::min()}),
                        i64({0, -1}), i64({1, -2})});
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
  auto out = run_ok(t, {float_tensor({1, 5}, {1, 2, 3, 4, 5}), int64_tensor({1, 2}, {1, 1}),
                        float_tensor({1, 2}, {1.1f, 2.1f})});
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
  EXPECT_EQ(vals<float>(run_ok(crop, {float_tensor({4}, {1, 2, 3, 4}), i64({-1, -1})})[0]),
            (std::vector<float>{2, 3}));
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

}  // namespace
}  // namespace edgerun::testing
