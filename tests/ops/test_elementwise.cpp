// Element-wise ops through the real planner: hand-computed values per op family, broadcasting shapes
// (scalar, row, column, per-channel, 4-D vs 1-D), dtypes, legacy broadcast and error cases.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "core/half.h"
#include "ops/op_test_util.h"
#include "ops/op_util.h"

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
Tensor u8(Shape s, const std::vector<uint8_t>& v) { return make<uint8_t>(DType::kUInt8, std::move(s), v); }
Tensor boolean(Shape s, const std::vector<uint8_t>& v) { return make<uint8_t>(DType::kBool, std::move(s), v); }
Tensor f16(Shape s, const std::vector<float>& v) {
  std::vector<uint16_t> h;
  for (float x : v) h.push_back(float_to_half(x));
  return make<uint16_t>(DType::kFloat16, std::move(s), h);
}

template <class T>
std::vector<T> values(const Tensor& t) {
  return std::vector<T>(t.data<T>(), t.data<T>() + t.numel());
}

// Runs a single-output op; fails the test (and returns an undefined tensor) on error.
Tensor run1(OpTest& t, const std::vector<Tensor>& in) {
  auto r = t.run(in);
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  if (!r.ok() || r->empty()) return Tensor();
  return (*r)[0];
}

Tensor unary(const std::string& op, const Tensor& x, int64_t opset = 17) {
  OpTest t(op, opset);
  return run1(t, {x});
}

void expect_floats(const Tensor& got, const Shape& shape, const std::vector<float>& want, float tol = 1e-5f) {
  ASSERT_TRUE(got.defined());
  ASSERT_EQ(got.dtype(), DType::kFloat32);
  ASSERT_EQ(got.shape(), shape);
  ASSERT_EQ(static_cast<size_t>(got.numel()), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    if (std::isnan(want[i])) {
      EXPECT_TRUE(std::isnan(got.data<float>()[i])) << "at " << i;
    } else {
      EXPECT_NEAR(got.data<float>()[i], want[i], tol) << "at " << i;
    }
  }
}

template <class T>
void expect_values(const Tensor& got, DType d, const Shape& shape, const std::vector<T>& want) {
  ASSERT_TRUE(got.defined());
  ASSERT_EQ(got.dtype(), d);
  ASSERT_EQ(got.shape(), shape);
  EXPECT_EQ(values<T>(got), want);
}

void expect_error(OpTest& t, const std::vector<Tensor>& in, const std::string& fragment) {
  auto r = t.run(in);
  ASSERT_FALSE(r.ok()) << "expected an error mentioning '" << fragment << "'";
  const std::string msg = r.status().to_string();
  EXPECT_NE(msg.find("test_node"), std::string::npos) << msg;
  EXPECT_NE(msg.find(fragment), std::string::npos) << msg;
}

// ---------------- unary ----------------

TEST(Unary, BasicMath) {
  const Tensor x = f32({5}, {-2.0f, -0.5f, 0.0f, 0.5f, 2.0f});
  expect_floats(unary("Abs", x), {5}, {2, 0.5f, 0, 0.5f, 2});
  expect_floats(unary("Neg", x), {5}, {2, 0.5f, 0, -0.5f, -2});
  expect_floats(unary("Relu", x), {5}, {0, 0, 0, 0.5f, 2});
  expect_floats(unary("Floor", x), {5}, {-2, -1, 0, 0, 2});
  expect_floats(unary("Ceil", x), {5}, {-2, -0.0f, 0, 1, 2});
  expect_floats(unary("Sign", x), {5}, {-1, -1, 0, 1, 1});
  expect_floats(unary("Exp", f32({2}, {0, 1})), {2}, {1, 2.718281828f});
  expect_floats(unary("Log", f32({2}, {1, 2.718281828f})), {2}, {0, 1});
  expect_floats(unary("Sqrt", f32({3}, {4, 9, -1})), {3}, {2, 3, NAN});
  expect_floats(unary("Reciprocal", f32({2}, {4, -0.5f})), {2}, {0.25f, -2});
  expect_floats(unary("Tanh", f32({2}, {0, 1})), {2}, {0, 0.761594156f});
  expect_floats(unary("Sigmoid", f32({3}, {0, 100, -100})), {3}, {0.5f, 1, 0});
  expect_floats(unary("Erf", f32({2}, {0, 0.5f})), {2}, {0, 0.520499878f});
  expect_floats(unary("Sin", f32({1}, {1.5707963f})), {1}, {1});
  expect_floats(unary("Acos", f32({1}, {0})), {1}, {1.5707963f});
  expect_floats(unary("Atanh", f32({1}, {0.5f})), {1}, {0.549306144f});
  expect_floats(unary("Softplus", f32({3}, {0, 100, -100})), {3}, {0.693147181f, 100, 0});
  expect_floats(unary("Softsign", f32({2}, {1, -3})), {2}, {0.5f, -0.75f});
  expect_floats(unary("Mish", f32({2}, {1, 0})), {2}, {0.865098388f, 0});
  expect_floats(unary("HardSwish", f32({4}, {-3, 1, 3, 4})), {4}, {0, 0.666666667f, 3, 4});
}

TEST(Unary, RoundHalfToEven) {
  expect_floats(unary("Round", f32({6}, {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, 2.4f})), {6}, {0, 2, 2, -0.0f, -2, 2});
}

TEST(Unary, ActivationAttributes) {
  const Tensor x = f32({3}, {-1, 0, 2});
  {
    OpTest t("LeakyRelu");
    t.attr_float("alpha", 0.1f);
    expect_floats(run1(t, {x}), {3}, {-0.1f, 0, 2});
  }
  {
    OpTest t("LeakyRelu");  // default alpha 0.01
    expect_floats(run1(t, {x}), {3}, {-0.01f, 0, 2});
  }
  {
    OpTest t("Elu");
    t.attr_float("alpha", 2.0f);
    expect_floats(run1(t, {x}), {3}, {2.0f * (std::exp(-1.0f) - 1.0f), 0, 2});
  }
  {
    OpTest t("Selu");  // default alpha/gamma
    expect_floats(run1(t, {x}), {3}, {1.05070102f * 1.67326319f * (std::exp(-1.0f) - 1.0f), 0, 2.10140204f});
  }
  {
    OpTest t("Celu", 12);
    t.attr_float("alpha", 2.0f);
    expect_floats(run1(t, {x}), {3}, {2.0f * (std::exp(-0.5f) - 1.0f), 0, 2});
  }
  {
    OpTest t("ThresholdedRelu");
    t.attr_float("alpha", 1.5f);
    expect_floats(run1(t, {x}), {3}, {0, 0, 2});
  }
  {
    OpTest t("HardSigmoid");
    t.attr_float("alpha", 0.5f).attr_float("beta", 0.25f);
    expect_floats(run1(t, {f32({3}, {-1, 0, 2})}), {3}, {0, 0.25f, 1});
  }
  {
    OpTest t("Shrink");
    t.attr_float("lambd", 1.0f).attr_float("bias", 0.5f);
    expect_floats(run1(t, {f32({5}, {-2, -1, 0, 1, 3})}), {5}, {-1.5f, 0, 0, 0, 2.5f});
  }
  {
    OpTest t("Gelu", 20);
    expect_floats(run1(t, {f32({3}, {-1, 0, 1})}), {3}, {-0.158655254f, 0, 0.841344746f});
  }
  {
    OpTest t("Gelu", 20);
    t.attr_string("approximate", "tanh");
    expect_floats(run1(t, {f32({2}, {0, 1})}), {2}, {0, 0.841191990f});
  }
  {
    OpTest t("Gelu", 20);
    t.attr_string("approximate", "cubic");
    expect_error(t, {x}, "approximate");
  }
}

TEST(Unary, IntegerDtypes) {
  const int32_t kMin = std::numeric_limits<int32_t>::min();
  expect_values<int32_t>(unary("Abs", i32({3}, {-3, 4, kMin})), DType::kInt32, {3}, {3, 4, kMin});  // wraps
  expect_values<int32_t>(unary("Neg", i32({2}, {5, -6})), DType::kInt32, {2}, {-5, 6});
  expect_values<int32_t>(unary("Relu", i32({3}, {-5, 0, 6}), 14), DType::kInt32, {3}, {0, 0, 6});
  expect_values<int64_t>(unary("Sign", i64({3}, {-9, 0, 9})), DType::kInt64, {3}, {-1, 0, 1});
  expect_values<uint8_t>(unary("BitwiseNot", u8({2}, {0, 0x0f}), 18), DType::kUInt8, {2}, {0xff, 0xf0});
  expect_values<uint8_t>(unary("Not", boolean({2}, {0, 1})), DType::kBool, {2}, {1, 0});
}

TEST(Unary, Float16ComputesThroughFloat) {
  Tensor y = unary("Exp", f16({2}, {0.0f, 1.0f}));
  ASSERT_EQ(y.dtype(), DType::kFloat16);
  EXPECT_EQ(half_to_float(y.data<uint16_t>()[0]), 1.0f);
  EXPECT_NEAR(half_to_float(y.data<uint16_t>()[1]), 2.71875f, 1e-3f);
}

TEST(Unary, IsNaNIsInf) {
  const float inf = std::numeric_limits<float>::infinity();
  const Tensor x = f32({4}, {1, NAN, inf, -inf});
  expect_values<uint8_t>(unary("IsNaN", x), DType::kBool, {4}, {0, 1, 0, 0});
  expect_values<uint8_t>(unary("IsInf", x), DType::kBool, {4}, {0, 0, 1, 1});
  OpTest t("IsInf");
  t.attr_int("detect_negative", 0);
  expect_values<uint8_t>(run1(t, {x}), DType::kBool, {4}, {0, 0, 1, 0});
}

TEST(Unary, UnsupportedDtypeIsAnError) {
  OpTest t("Exp");
  auto r = t.run({i32({1}, {1})});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(r.status().message().find("int32"), std::string::npos);
}

// ---------------- binary + broadcasting ----------------

Tensor binary(const std::string& op, const Tensor& a, const Tensor& b, int64_t opset = 17) {
  OpTest t(op, opset);
  return run1(t, {a, b});
}

TEST(Binary, SameShapeArithmetic) {
  const Tensor a = f32({2, 2}, {1, 2, 3, 4});
  const Tensor b = f32({2, 2}, {10, 20, 30, 40});
  expect_floats(binary("Add", a, b), {2, 2}, {11, 22, 33, 44});
  expect_floats(binary("Sub", a, b), {2, 2}, {-9, -18, -27, -36});
  expect_floats(binary("Mul", a, b), {2, 2}, {10, 40, 90, 160});
  expect_floats(binary("Div", b, a), {2, 2}, {10, 10, 10, 10});
}

TEST(Binary, BroadcastShapes) {
  // scalar
  expect_floats(binary("Add", f32({2, 3}, {0, 1, 2, 3, 4, 5}), f32({}, {10})), {2, 3}, {10, 11, 12, 13, 14, 15});
  expect_floats(binary("Sub", f32({}, {10}), f32({2}, {1, 2})), {2}, {9, 8});
  // row: [2,3] + [3]
  expect_floats(binary("Add", f32({2, 3}, {0, 1, 2, 3, 4, 5}), f32({3}, {10, 20, 30})), {2, 3},
                {10, 21, 32, 13, 24, 35});
  // column: [2,3] * [2,1]
  expect_floats(binary("Mul", f32({2, 3}, {1, 2, 3, 4, 5, 6}), f32({2, 1}, {10, 100})), {2, 3},
                {10, 20, 30, 400, 500, 600});
  // both sides expand: [2,1] + [1,3]
  expect_floats(binary("Add", f32({2, 1}, {0, 10}), f32({1, 3}, {1, 2, 3})), {2, 3}, {1, 2, 3, 11, 12, 13});
  // 4-D vs 1-D: [1,2,2,2] + [2]
  expect_floats(binary("Add", f32({1, 2, 2, 2}, {0, 1, 2, 3, 4, 5, 6, 7}), f32({2}, {100, 200})), {1, 2, 2, 2},
                {100, 201, 102, 203, 104, 205, 106, 207});
  // per-channel: [1,2,2,2] * [1,2,1,1]
  expect_floats(binary("Mul", f32({1, 2, 2, 2}, {1, 1, 1, 1, 1, 1, 1, 1}), f32({1, 2, 1, 1}, {3, 5})), {1, 2, 2, 2},
                {3, 3, 3, 3, 5, 5, 5, 5});
}

// Randomized shapes against an independent oracle (op_util's BroadcastIterator).
TEST(Binary, BroadcastMatchesOracle) {
  const std::vector<std::pair<Shape, Shape>> cases = {
      {{3, 1, 5}, {4, 1}}, {{2, 3, 4, 5}, {3, 1, 5}}, {{1}, {7, 1, 3}}, {{5, 1, 1, 2}, {1, 4, 3, 1}},
      {{7}, {7}},          {{1, 1, 1}, {2, 3, 4}},    {{6, 1}, {}},     {{2, 1, 3, 1, 2}, {2, 2, 1, 2, 1}},
      // one operand 1 on all trailing dims (float32 fast path's per-row mode), either side of the Sub
      {{2, 3, 4, 5}, {2, 3, 1, 1}}, {{2, 3, 1, 1}, {2, 3, 4, 5}}, {{2, 3, 4, 1}, {2, 3, 1, 1}},
      {{2, 3, 4, 5}, {2, 1, 1, 1}}, {{2, 3, 4, 5}, {1, 3, 1, 1}},
  };
  uint32_t seed = 1;
  for (const auto& [sa, sb] : cases) {
    const Tensor a = random_tensor(sa, seed++);
    const Tensor b = random_tensor(sb, seed++);
    Tensor got = binary("Sub", a, b);
    ASSERT_TRUE(got.defined());
    auto out = broadcast_shapes({sa, sb});
    ASSERT_TRUE(out.ok());
    ASSERT_EQ(got.shape(), *out);
    BroadcastIterator it(*out, {sa, sb});
    it.for_each([&](int64_t o, const std::vector<int64_t>& off) {
      EXPECT_EQ(got.data<float>()[o], a.data<float>()[off[0]] - b.data<float>()[off[1]])
          << "shapes " << shape_str(sa) << " - " << shape_str(sb) << " at " << o;
    });
  }
}

TEST(Binary, NonBroadcastableShapesNameTheNode) {
  OpTest t("Add");
  expect_error(t, {f32({2, 3}, {0, 0, 0, 0, 0, 0}), f32({4}, {0, 0, 0, 0})}, "broadcast");
}

TEST(Binary, MismatchedDtypesAreAnError) {
  OpTest t("Mul");
  expect_error(t, {f32({1}, {1}), i32({1}, {1})}, "dtype");
}

TEST(Binary, IntegerDivTruncatesAndNeverTraps) {
  const int32_t kMin = std::numeric_limits<int32_t>::min();
  expect_values<int32_t>(binary("Div", i32({6}, {7, -7, 7, -7, 5, kMin}), i32({6}, {2, 2, -2, -2, 0, -1})),
                         DType::kInt32, {6}, {3, -3, -3, 3, 0, kMin});
  expect_values<uint8_t>(binary("Div", u8({2}, {200, 9}), u8({1}, {4})), DType::kUInt8, {2}, {50, 2});
  // wrap-around on overflow
  expect_values<uint8_t>(binary("Add", u8({1}, {250}), u8({1}, {10})), DType::kUInt8, {1}, {4});
  expect_values<int64_t>(binary("Mul", i64({1}, {std::numeric_limits<int64_t>::max()}), i64({1}, {2})),
                         DType::kInt64, {1}, {-2});
}

TEST(Binary, Mod) {
  {
    OpTest t("Mod", 13);  // fmod=0: sign of the divisor
    expect_values<int32_t>(run1(t, {i32({6}, {-4, 7, 5, 4, -7, 8}), i32({6}, {2, -3, 8, -2, 3, 5})}), DType::kInt32,
                           {6}, {0, -2, 5, 0, 2, 3});
  }
  {
    OpTest t("Mod", 13);  // fmod=1 on ints: sign of the dividend
    t.attr_int("fmod", 1);
    expect_values<int32_t>(run1(t, {i32({6}, {-4, 7, 5, 4, -7, 8}), i32({6}, {2, -3, 8, -2, 3, 5})}), DType::kInt32,
                           {6}, {0, 1, 5, 0, -1, 3});
  }
  {
    OpTest t("Mod", 13);
    t.attr_int("fmod", 1);
    expect_floats(run1(t, {f32({3}, {-4.5f, 7.5f, 5}), f32({3}, {2, -2, 0})}), {3}, {-0.5f, 1.5f, NAN});
  }
  {
    OpTest t("Mod", 13);  // x mod 0 = 0 for integers (documented choice)
    expect_values<int32_t>(run1(t, {i32({1}, {5}), i32({1}, {0})}), DType::kInt32, {1}, {0});
  }
  {
    OpTest t("Mod", 13);
    expect_error(t, {f32({1}, {1}), f32({1}, {1})}, "fmod");
  }
}

TEST(Binary, PowMixedTypes) {
  expect_floats(binary("Pow", f32({3}, {1, 2, 3}), f32({3}, {4, 5, 6})), {3}, {1, 32, 729});
  expect_floats(binary("Pow", f32({3}, {1, 2, 3}), i64({3}, {4, 5, 6}), 15), {3}, {1, 32, 729});
  expect_values<int32_t>(binary("Pow", i32({3}, {1, 2, 3}), f32({3}, {4, 5, 0.5f}), 15), DType::kInt32, {3},
                         {1, 32, 1});
  // integer powers are exact (3^39 needs 62 bits, beyond float64's 53)
  expect_values<int64_t>(binary("Pow", i64({3}, {3, 2, -2}), i64({3}, {39, -1, 3}), 15), DType::kInt64, {3},
                         {4052555153018976267LL, 0, -8});
  expect_floats(binary("Pow", f32({2, 2}, {1, 2, 3, 4}), f32({}, {2})), {2, 2}, {1, 4, 9, 16});
}

TEST(Binary, VariadicMaxMinSumMean) {
  const Tensor a = f32({3}, {3, 2, 1});
  const Tensor b = f32({3}, {1, 4, 4});
  const Tensor c = f32({1}, {2});
  auto run3 = [&](const std::string& op) {
    OpTest t(op, 13);
    return run1(t, {a, b, c});
  };
  expect_floats(run3("Max"), {3}, {3, 4, 4});
  expect_floats(run3("Min"), {3}, {1, 2, 1});
  expect_floats(run3("Sum"), {3}, {6, 8, 7});
  expect_floats(run3("Mean"), {3}, {2, 8.0f / 3, 7.0f / 3});
  // one input: identity; broadcasting between first two inputs
  OpTest one("Sum", 13);
  expect_floats(run1(one, {a}), {3}, {3, 2, 1});
  OpTest two("Max", 13);
  expect_floats(run1(two, {f32({2, 1}, {1, 5}), f32({1, 2}, {2, 3})}), {2, 2}, {2, 3, 5, 5});
  // NaN propagates through Max
  OpTest nan("Max", 13);
  expect_floats(run1(nan, {f32({2}, {NAN, 1}), f32({2}, {1, NAN})}), {2}, {NAN, NAN});
  // integers
  OpTest imin("Min", 13);
  expect_values<int64_t>(run1(imin, {i64({2}, {-5, 7}), i64({2}, {3, 2})}), DType::kInt64, {2}, {-5, 2});
}

TEST(Binary, Comparisons) {
  const Tensor a = f32({2, 2}, {1, 2, 3, 4});
  const Tensor b = f32({2}, {2, 2});
  expect_values<uint8_t>(binary("Equal", a, b), DType::kBool, {2, 2}, {0, 1, 0, 0});
  expect_values<uint8_t>(binary("Greater", a, b), DType::kBool, {2, 2}, {0, 0, 1, 1});
  expect_values<uint8_t>(binary("Less", a, b), DType::kBool, {2, 2}, {1, 0, 0, 0});
  expect_values<uint8_t>(binary("GreaterOrEqual", a, b), DType::kBool, {2, 2}, {0, 1, 1, 1});
  expect_values<uint8_t>(binary("LessOrEqual", a, b), DType::kBool, {2, 2}, {1, 1, 0, 0});
  expect_values<uint8_t>(binary("Equal", i64({3}, {1, -2, 3}), i64({1}, {-2})), DType::kBool, {3}, {0, 1, 0});
  expect_values<uint8_t>(binary("Equal", boolean({2}, {1, 0}), boolean({2}, {1, 1})), DType::kBool, {2}, {1, 0});
}

TEST(Binary, LogicalAndBitwise) {
  const Tensor a = boolean({2, 2}, {0, 0, 1, 1});
  const Tensor b = boolean({2}, {0, 1});
  expect_values<uint8_t>(binary("And", a, b), DType::kBool, {2, 2}, {0, 0, 0, 1});
  expect_values<uint8_t>(binary("Or", a, b), DType::kBool, {2, 2}, {0, 1, 1, 1});
  expect_values<uint8_t>(binary("Xor", a, b), DType::kBool, {2, 2}, {0, 1, 1, 0});
  const Tensor x = make<int16_t>(DType::kInt16, {3}, {0x0f0f, -1, 6});
  const Tensor y = make<int16_t>(DType::kInt16, {3}, {0x00ff, 5, 3});
  expect_values<int16_t>(binary("BitwiseAnd", x, y, 18), DType::kInt16, {3}, {0x000f, 5, 2});
  expect_values<int16_t>(binary("BitwiseOr", x, y, 18), DType::kInt16, {3}, {0x0fff, -1, 7});
  expect_values<int16_t>(binary("BitwiseXor", x, y, 18), DType::kInt16, {3}, {0x0ff0, -6, 5});
  {
    OpTest t("BitShift", 11);
    t.attr_string("direction", "LEFT");
    expect_values<uint8_t>(run1(t, {u8({3}, {1, 3, 1}), u8({3}, {7, 1, 8})}), DType::kUInt8, {3}, {128, 6, 0});
  }
  {
    OpTest t("BitShift", 11);
    t.attr_string("direction", "RIGHT");
    expect_values<uint8_t>(run1(t, {u8({2}, {128, 255}), u8({1}, {3})}), DType::kUInt8, {2}, {16, 31});
  }
  {
    OpTest t("BitShift", 11);
    t.attr_string("direction", "UP");
    expect_error(t, {u8({1}, {1}), u8({1}, {1})}, "direction");
  }
}

TEST(Binary, LegacyBroadcastAttribute) {
  {
    OpTest t("Add", 6);  // B [3] aligned at axis 1 of A [2,3,2]
    t.attr_int("broadcast", 1).attr_int("axis", 1);
    expect_floats(run1(t, {f32({2, 3, 2}, std::vector<float>(12, 0.0f)), f32({3}, {1, 2, 3})}), {2, 3, 2},
                  {1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3});
  }
  {
    OpTest t("Mul", 6);  // default: suffix alignment
    t.attr_int("broadcast", 1);
    expect_floats(run1(t, {f32({2, 2}, {1, 2, 3, 4}), f32({2}, {10, 100})}), {2, 2}, {10, 200, 30, 400});
  }
  {
    OpTest t("Sub", 6);  // different shapes without broadcast=1 is an error
    expect_error(t, {f32({2, 2}, {1, 2, 3, 4}), f32({2}, {1, 1})}, "broadcast");
  }
}

TEST(Binary, PRelu) {
  OpTest t("PRelu", 16);
  expect_floats(run1(t, {f32({2, 3}, {-1, -2, 3, -4, 5, -6}), f32({3}, {0.5f, 0.25f, 2})}), {2, 3},
                {-0.5f, -0.5f, 3, -2, 5, -12});
  OpTest bad("PRelu", 16);  // slope must broadcast to X's shape, not enlarge it
  expect_error(bad, {f32({3}, {1, 2, 3}), f32({2, 3}, {1, 1, 1, 1, 1, 1})}, "slope");
}

// ---------------- Where, Clip, Cast ----------------

TEST(Where, BroadcastsAllThreeInputs) {
  OpTest t("Where", 16);
  expect_floats(run1(t, {boolean({2, 1}, {1, 0}), f32({1, 3}, {1, 2, 3}), f32({}, {-1})}), {2, 3},
                {1, 2, 3, -1, -1, -1});
  OpTest ti("Where", 16);
  expect_values<int64_t>(run1(ti, {boolean({3}, {0, 1, 0}), i64({3}, {1, 2, 3}), i64({3}, {7, 8, 9})}),
                         DType::kInt64, {3}, {7, 2, 9});
  OpTest bad("Where", 16);
  expect_error(bad, {f32({1}, {1}), f32({1}, {1}), f32({1}, {1})}, "condition");
}

TEST(Clip, InputsAndAttributes) {
  const Tensor x = f32({5}, {-3, -1, 0, 1, 3});
  {
    OpTest t("Clip", 13);
    expect_floats(run1(t, {x, f32({}, {-1.5f}), f32({}, {2})}), {5}, {-1.5f, -1, 0, 1, 2});
  }
  {
    OpTest t("Clip", 13);  // max only
    expect_floats(run1(t, {x, Tensor(), f32({}, {0.5f})}), {5}, {-3, -1, 0, 0.5f, 0.5f});
  }
  {
    OpTest t("Clip", 13);  // min > max gives max
    expect_floats(run1(t, {x, f32({}, {2}), f32({}, {1})}), {5}, {1, 1, 1, 1, 1});
  }
  {
    OpTest t("Clip", 6);  // attributes before opset 11
    t.attr_float("min", -1).attr_float("max", 1);
    expect_floats(run1(t, {x}), {5}, {-1, -1, 0, 1, 1});
  }
  {
    OpTest t("Clip", 13);
    const Tensor xi = make<int8_t>(DType::kInt8, {3}, {-100, 5, 100});
    expect_values<int8_t>(run1(t, {xi, make<int8_t>(DType::kInt8, {}, {-10}), Tensor()}), DType::kInt8, {3},
                          {-10, 5, 100});
  }
  {
    OpTest t("Clip", 13);
    expect_error(t, {x, f32({2}, {0, 1})}, "scalar");
  }
}

TEST(Cast, FloatToIntTruncatesAndSaturates) {
  OpTest t("Cast", 13);
  t.attr_int("to", static_cast<int64_t>(DType::kInt32));
  expect_values<int32_t>(run1(t, {f32({6}, {-1.7f, 1.7f, 2.5f, NAN, 1e10f, -1e10f})}), DType::kInt32, {6},
                         {-1, 1, 2, 0, std::numeric_limits<int32_t>::max(), std::numeric_limits<int32_t>::min()});
}

TEST(Cast, AcrossDtypes) {
  auto cast = [](const Tensor& x, DType to) {
    OpTest t("Cast", 19);
    t.attr_int("to", static_cast<int64_t>(to));
    return run1(t, {x});
  };
  expect_values<uint8_t>(cast(f32({4}, {0, 0.5f, -2, NAN}), DType::kBool), DType::kBool, {4}, {0, 1, 1, 1});
  expect_floats(cast(boolean({2}, {1, 0}), DType::kFloat32), {2}, {1, 0});
  expect_values<int8_t>(cast(i64({2}, {300, -129}), DType::kInt8), DType::kInt8, {2}, {44, 127});
  expect_floats(cast(u8({2}, {255, 7}), DType::kFloat32), {2}, {255, 7});
  Tensor h = cast(f32({2}, {1.5f, 65504.0f}), DType::kFloat16);
  ASSERT_EQ(h.dtype(), DType::kFloat16);
  EXPECT_EQ(h.data<uint16_t>()[0], 0x3e00);
  EXPECT_EQ(h.data<uint16_t>()[1], 0x7bff);
  expect_floats(cast(h, DType::kFloat32), {2}, {1.5f, 65504.0f});
  Tensor bf = cast(make<double>(DType::kFloat64, {1}, {3.0}), DType::kBFloat16);
  ASSERT_EQ(bf.dtype(), DType::kBFloat16);
  EXPECT_EQ(bf.data<uint16_t>()[0], 0x4040);
  // float64 -> float16 rounds once: 1 + 2^-11 + 2^-40 is just above the halfway point, so it rounds up.
  Tensor d = cast(make<double>(DType::kFloat64, {1}, {1.0 + std::ldexp(1.0, -11) + std::ldexp(1.0, -40)}),
                  DType::kFloat16);
  EXPECT_EQ(d.data<uint16_t>()[0], 0x3c01);
  expect_values<int64_t>(cast(i64({1}, {5}), DType::kInt64), DType::kInt64, {1}, {5});  // same type
}

TEST(Cast, CastLikeAndUnsupportedTypes) {
  OpTest t("CastLike", 19);
  expect_values<int64_t>(run1(t, {f32({2}, {2.9f, -2.9f}), i64({1}, {0})}), DType::kInt64, {2}, {2, -2});
  OpTest f8("Cast", 19);
  f8.attr_int("to", 17);
  auto r = f8.run({f32({1}, {1})});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(r.status().message().find("float8e4m3fn"), std::string::npos) << r.status().to_string();
}

TEST(Elementwise, EmptyTensors) {
  Tensor y = binary("Add", f32({0, 3}, {}), f32({3}, {1, 2, 3}));
  ASSERT_TRUE(y.defined());
  EXPECT_EQ(y.shape(), (Shape{0, 3}));
  Tensor z = unary("Relu", f32({0}, {}));
  EXPECT_EQ(z.shape(), (Shape{0}));
}

}  // namespace
}  // namespace edgerun::testing
