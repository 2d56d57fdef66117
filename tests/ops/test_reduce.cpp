// Reduce*, ArgMax/ArgMin, CumSum, TopK through the real planner: hand-computed values, axes as attribute and
// as input (opset 13 for ReduceSum, 18 for the others), keepdims, noop_with_empty_axes, empty reductions,
// dtypes and error cases.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "ops/op_test_util.h"

namespace edgerun::testing {
namespace {

template <class T>
Tensor make(DType d, Shape s, const std::vector<T>& v) {
  EXPECT_EQ(static_cast<int64_t>(v.size()), shape_numel(s)) << "test bug: value count";
  return Tensor::from_vector<T>(d, std::move(s), v);
}
Tensor f32(Shape s, const std::vector<float>& v) { return make<float>(DType::kFloat32, std::move(s), v); }
Tensor i32(Shape s, const std::vector<int32_t>& v) { return make<int32_t>(DType::kInt32, std::move(s), v); }
Tensor i64(Shape s, const std::vector<int64_t>& v) { return make<int64_t>(DType::kInt64, std::move(s), v); }

// [2,3,2]: value = 100*i + 10*j + k, so every sum is easy to check by hand.
Tensor cube() {
  std::vector<float> v;
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 2; ++k) v.push_back(static_cast<float>(100 * i + 10 * j + k));
  return f32({2, 3, 2}, v);
}

std::vector<Tensor> run_all(OpTest& t, const std::vector<Tensor>& in) {
  auto r = t.run(in);
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  return r.ok() ? *r : std::vector<Tensor>{};
}
Tensor run1(OpTest& t, const std::vector<Tensor>& in) {
  auto r = run_all(t, in);
  return r.empty() ? Tensor() : r[0];
}

void expect_floats(const Tensor& got, const Shape& shape, const std::vector<float>& want, float tol = 1e-4f) {
  ASSERT_TRUE(got.defined());
  ASSERT_EQ(got.dtype(), DType::kFloat32);
  ASSERT_EQ(got.shape(), shape);
  ASSERT_EQ(static_cast<size_t>(got.numel()), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    if (std::isnan(want[i])) EXPECT_TRUE(std::isnan(got.data<float>()[i])) << "at " << i;
    else if (std::isinf(want[i])) EXPECT_EQ(got.data<float>()[i], want[i]) << "at " << i;
    else EXPECT_NEAR(got.data<float>()[i], want[i], tol * std::max(1.0f, std::fabs(want[i]))) << "at " << i;
  }
}

template <class T>
void expect_values(const Tensor& got, DType d, const Shape& shape, const std::vector<T>& want) {
  ASSERT_TRUE(got.defined());
  ASSERT_EQ(got.dtype(), d);
  ASSERT_EQ(got.shape(), shape);
  EXPECT_EQ(std::vector<T>(got.data<T>(), got.data<T>() + got.numel()), want);
}

void expect_error(OpTest& t, const std::vector<Tensor>& in, const std::string& fragment) {
  auto r = t.run(in);
  ASSERT_FALSE(r.ok()) << "expected an error mentioning '" << fragment << "'";
  const std::string msg = r.status().to_string();
  EXPECT_NE(msg.find("test_node"), std::string::npos) << msg;
  EXPECT_NE(msg.find(fragment), std::string::npos) << msg;
}

TEST(Reduce, SumAxesAttributeBeforeOpset13) {
  OpTest t("ReduceSum", 11);
  t.attr_ints("axes", {1});
  // sum over j of (100i + 10j + k) = 300i + 30 + 3k
  expect_floats(run1(t, {cube()}), {2, 1, 2}, {30, 33, 330, 333});
}

TEST(Reduce, SumAxesInputFromOpset13) {
  {
    OpTest t("ReduceSum", 13);
    t.attr_int("keepdims", 0);
    expect_floats(run1(t, {cube(), i64({2}, {0, 2})}), {3}, {202, 242, 282});
  }
  {
    OpTest t("ReduceSum", 13);  // axes as an initializer
    t.constant_inputs = {false, true};
    expect_floats(run1(t, {cube(), i64({1}, {-1})}), {2, 3, 1}, {1, 21, 41, 201, 221, 241});
  }
  {
    OpTest t("ReduceSum", 13);  // no axes: everything
    expect_floats(run1(t, {cube()}), {1, 1, 1}, {726});
  }
  {
    OpTest t("ReduceSum", 13);  // empty axes with noop: output = input
    t.attr_int("noop_with_empty_axes", 1);
    expect_floats(run1(t, {f32({2}, {1, 2}), i64({0}, {})}), {2}, {1, 2});
  }
}

TEST(Reduce, MeanMaxMinProdOpset18) {
  const Tensor x = f32({2, 3}, {1, 2, 3, 4, 5, 6});
  auto reduce = [&](const std::string& op, std::vector<int64_t> axes, int keepdims) {
    OpTest t(op, 18);
    t.attr_int("keepdims", keepdims);
    return run1(t, {x, i64({static_cast<int64_t>(axes.size())}, axes)});
  };
  expect_floats(reduce("ReduceMean", {1}, 0), {2}, {2, 5});
  expect_floats(reduce("ReduceMean", {-2}, 1), {1, 3}, {2.5f, 3.5f, 4.5f});
  expect_floats(reduce("ReduceMax", {1}, 0), {2}, {3, 6});
  expect_floats(reduce("ReduceMin", {0}, 0), {3}, {1, 2, 3});
  expect_floats(reduce("ReduceProd", {1}, 1), {2, 1}, {6, 120});
  expect_floats(reduce("ReduceL1", {0}, 0), {3}, {5, 7, 9});
  expect_floats(reduce("ReduceL2", {1}, 0), {2}, {std::sqrt(14.0f), std::sqrt(77.0f)});
  expect_floats(reduce("ReduceSumSquare", {1}, 0), {2}, {14, 77});
  expect_floats(reduce("ReduceLogSum", {1}, 0), {2}, {std::log(6.0f), std::log(15.0f)});
  expect_floats(reduce("ReduceLogSumExp", {1}, 0), {2},
                {std::log(std::exp(1.0f) + std::exp(2.0f) + std::exp(3.0f)),
                 std::log(std::exp(4.0f) + std::exp(5.0f) + std::exp(6.0f))});
}

TEST(Reduce, AxesAttributeBeforeOpset18) {
  OpTest t("ReduceMax", 13);
  t.attr_ints("axes", {0, 2}).attr_int("keepdims", 0);
  expect_floats(run1(t, {cube()}), {3}, {101, 111, 121});
}

TEST(Reduce, LogSumExpIsStableForLargeInputs) {
  OpTest t("ReduceLogSumExp", 18);
  t.attr_int("keepdims", 0);
  expect_floats(run1(t, {f32({2}, {1000, 1000}), i64({1}, {0})}), {}, {1000 + std::log(2.0f)});
}

TEST(Reduce, NaNPropagatesThroughMax) {
  OpTest t("ReduceMax", 18);
  expect_floats(run1(t, {f32({3}, {1, NAN, 2})}), {1}, {NAN});
}

TEST(Reduce, IntegerAndBoolDtypes) {
  {
    OpTest t("ReduceSum", 13);
    t.attr_int("keepdims", 0);
    expect_values<int32_t>(run1(t, {i32({2, 2}, {1, -2, 30, 40}), i64({1}, {1})}), DType::kInt32, {2}, {-1, 70});
  }
  {
    OpTest t("ReduceMean", 18);  // integer mean truncates
    t.attr_int("keepdims", 0);
    expect_values<int64_t>(run1(t, {i64({3}, {1, 2, 4})}), DType::kInt64, {}, {2});
  }
  {
    OpTest t("ReduceMax", 20);
    t.attr_int("keepdims", 0);
    expect_values<uint8_t>(run1(t, {make<uint8_t>(DType::kBool, {2, 2}, {0, 0, 0, 1}), i64({1}, {1})}),
                           DType::kBool, {2}, {0, 1});
  }
}

TEST(Reduce, EmptySet) {
  const Tensor x = f32({2, 0, 3}, {});
  auto reduce = [&](const std::string& op) {
    OpTest t(op, 18);
    return run1(t, {x, i64({1}, {1})});
  };
  const float inf = std::numeric_limits<float>::infinity();
  expect_floats(reduce("ReduceSum"), {2, 1, 3}, std::vector<float>(6, 0.0f));
  expect_floats(reduce("ReduceProd"), {2, 1, 3}, std::vector<float>(6, 1.0f));
  expect_floats(reduce("ReduceMax"), {2, 1, 3}, std::vector<float>(6, -inf));
  expect_floats(reduce("ReduceMin"), {2, 1, 3}, std::vector<float>(6, inf));
  expect_floats(reduce("ReduceL2"), {2, 1, 3}, std::vector<float>(6, 0.0f));
  expect_floats(reduce("ReduceLogSum"), {2, 1, 3}, std::vector<float>(6, -inf));
  expect_floats(reduce("ReduceLogSumExp"), {2, 1, 3}, std::vector<float>(6, -inf));
  // reducing a non-empty axis of an empty tensor gives an empty tensor
  OpTest t("ReduceSum", 13);
  expect_floats(run1(t, {x, i64({1}, {2})}), {2, 0, 1}, {});
}

TEST(Reduce, BadAxesAreErrors) {
  {
    OpTest t("ReduceSum", 13);
    expect_error(t, {cube(), i64({2}, {1, -2})}, "more than once");
  }
  {
    OpTest t("ReduceMean", 11);
    t.attr_ints("axes", {3});
    expect_error(t, {cube()}, "out of range");
  }
}

TEST(ArgMinMax, KeepdimsAndSelectLastIndex) {
  const Tensor x = f32({2, 3}, {1, 5, 5, 7, 0, 0});
  {
    OpTest t("ArgMax", 13);
    t.attr_int("axis", 1);
    expect_values<int64_t>(run1(t, {x}), DType::kInt64, {2, 1}, {1, 0});
  }
  {
    OpTest t("ArgMax", 13);
    t.attr_int("axis", 1).attr_int("keepdims", 0).attr_int("select_last_index", 1);
    expect_values<int64_t>(run1(t, {x}), DType::kInt64, {2}, {2, 0});
  }
  {
    OpTest t("ArgMin", 13);
    t.attr_int("axis", -1).attr_int("select_last_index", 1);
    expect_values<int64_t>(run1(t, {x}), DType::kInt64, {2, 1}, {0, 2});
  }
  {
    OpTest t("ArgMin", 13);  // default axis 0
    t.attr_int("keepdims", 0);
    expect_values<int64_t>(run1(t, {i32({2, 3}, {3, -1, 2, 0, 4, 2})}), DType::kInt64, {3}, {1, 0, 0});
  }
}

TEST(CumSum, ExclusiveAndReverse) {
  const Tensor x = f32({5}, {1, 2, 3, 4, 5});
  auto cumsum = [&](int exclusive, int reverse) {
    OpTest t("CumSum", 14);
    t.attr_int("exclusive", exclusive).attr_int("reverse", reverse);
    return run1(t, {x, i32({}, {0})});
  };
  expect_floats(cumsum(0, 0), {5}, {1, 3, 6, 10, 15});
  expect_floats(cumsum(1, 0), {5}, {0, 1, 3, 6, 10});
  expect_floats(cumsum(0, 1), {5}, {15, 14, 12, 9, 5});
  expect_floats(cumsum(1, 1), {5}, {14, 12, 9, 5, 0});
  OpTest t2("CumSum", 14);
  expect_values<int64_t>(run1(t2, {i64({2, 3}, {1, 2, 3, 4, 5, 6}), i64({1}, {-1})}), DType::kInt64, {2, 3},
                         {1, 3, 6, 4, 9, 15});
}

TEST(TopK, LargestSmallestAndTies) {
  const Tensor x = f32({2, 4}, {1, 3, 3, 2, 4, 0, 4, -1});
  {
    OpTest t("TopK", 11);
    t.num_outputs = 2;
    auto r = run_all(t, {x, i64({1}, {2})});
    ASSERT_EQ(r.size(), 2u);
    expect_floats(r[0], {2, 2}, {3, 3, 4, 4});
    expect_values<int64_t>(r[1], DType::kInt64, {2, 2}, {1, 2, 0, 2});  // ties: lower index first
  }
  {
    OpTest t("TopK", 11);
    t.num_outputs = 2;
    t.attr_int("largest", 0).attr_int("axis", 0);
    auto r = run_all(t, {x, i64({1}, {1})});
    ASSERT_EQ(r.size(), 2u);
    expect_floats(r[0], {1, 4}, {1, 0, 3, -1});
    expect_values<int64_t>(r[1], DType::kInt64, {1, 4}, {0, 1, 0, 1});
  }
  {
    OpTest t("TopK", 1);  // k as an attribute
    t.num_outputs = 2;
    t.attr_int("k", 1);
    auto r = run_all(t, {x});
    ASSERT_EQ(r.size(), 2u);
    expect_floats(r[0], {2, 1}, {3, 4});
  }
  {
    OpTest t("TopK", 11);
    t.num_outputs = 2;
    expect_error(t, {x, i64({1}, {5})}, "K = 5");
  }
}

}  // namespace
}  // namespace edgerun::testing
