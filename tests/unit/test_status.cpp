#include <gtest/gtest.h>

#include "edgerun/status.h"
#include "edgerun/tensor.h"

namespace edgerun {

Expected<int> parse_positive(int x) {
  if (x <= 0) return invalid_argument("value ", x, " is not positive");
  return x;
}

Status uses_macros(int x, int* out) {
  ER_ASSIGN_OR_RETURN(int v, parse_positive(x));
  *out = v * 2;
  return Status();
}

TEST(Status, ErrorsCarryCodeAndMessage) {
  Status s = invalid_model("node 'a' (Conv): bad pads");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kInvalidModel);
  EXPECT_EQ(s.to_string(), "invalid model: node 'a' (Conv): bad pads");
  EXPECT_EQ(s.with_context("m.onnx").message(), "m.onnx: node 'a' (Conv): bad pads");
}

TEST(Status, MacrosPropagate) {
  int out = 0;
  EXPECT_TRUE(uses_macros(3, &out).ok());
  EXPECT_EQ(out, 6);
  Status s = uses_macros(-1, &out);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("-1"), std::string::npos);
}

TEST(Tensor, EmptyIsZeroedAndAligned) {
  Tensor t = Tensor::empty(DType::kFloat32, {2, 3});
  EXPECT_EQ(t.numel(), 6);
  EXPECT_EQ(t.nbytes(), 24u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(t.raw_data()) % 64, 0u);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(t.data<float>()[i], 0.0f);
  EXPECT_EQ(shape_str(t.shape()), "2x3");
  EXPECT_EQ(shape_str({}), "scalar");
}

}  // namespace edgerun
