#include "onnx/tensor_proto.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "core/half.h"
#include "onnx/wire.h"
#include "test_data.h"
#include "unit/onnx_test_builder.h"

namespace edgerun {
namespace {

using testing::bytes_of;
using wire::Writer;

Expected<Tensor> parse(const std::string& s, std::string* name = nullptr) {
  // An exactly sized heap copy so that ASan sees reads past the end.
  std::vector<uint8_t> buf(s.begin(), s.end());
  return parse_tensor_proto(buf.data(), buf.size(), name);
}

std::string tmp_dir() {
  std::string d = std::filesystem::temp_directory_path() / ("edgerun_tensor_proto_" + std::to_string(getpid()));
  std::filesystem::create_directories(d);
  return d;
}

TEST(TensorProto, RoundTripEveryDType) {
  std::mt19937 rng(7);
  const DType types[] = {DType::kFloat32, DType::kUInt8,   DType::kInt8,    DType::kUInt16, DType::kInt16,
                         DType::kInt32,   DType::kInt64,   DType::kBool,    DType::kFloat16, DType::kFloat64,
                         DType::kUInt32,  DType::kUInt64,  DType::kBFloat16};
  const Shape shapes[] = {{}, {0}, {1}, {3, 5}, {2, 0, 4}, {2, 3, 4, 5}};
  for (DType dt : types) {
    for (const Shape& shape : shapes) {
      Tensor t = Tensor::empty(dt, shape);
      auto* p = static_cast<uint8_t*>(t.raw_data());
      for (size_t i = 0; i < t.nbytes(); ++i) p[i] = static_cast<uint8_t>(rng());
      if (dt == DType::kBool)
        for (size_t i = 0; i < t.nbytes(); ++i) p[i] &= 1;
      std::string bytes = serialize_tensor_proto(t, "x_" + std::string(dtype_name(dt)));
      std::string name;
      Expected<Tensor> back = parse(bytes, &name);
      ASSERT_TRUE(back.ok()) << dtype_name(dt) << " " << shape_str(shape) << ": " << back.status().message();
      EXPECT_EQ(name, "x_" + std::string(dtype_name(dt)));
      EXPECT_EQ(back->dtype(), dt);
      EXPECT_EQ(back->shape(), shape);
      ASSERT_EQ(back->nbytes(), t.nbytes());
      EXPECT_EQ(std::memcmp(back->raw_data(), t.raw_data(), t.nbytes()), 0);
    }
  }
}

TEST(TensorProto, SerializedBytesMatchHandEncoding) {
  Tensor t = Tensor::from_vector<float>(DType::kFloat32, {2}, {1.0f, 2.0f});
  std::string s = serialize_tensor_proto(t, "ab");
  // dims 2 (08 02), data_type 1 (10 01), name (42 02 'a' 'b'), raw_data (4a 08 + 8 bytes).
  std::string expected = std::string("\x08\x02\x10\x01\x42\x02" "ab" "\x4a\x08", 10) +
                         bytes_of(std::vector<float>{1.0f, 2.0f});
  EXPECT_EQ(s, expected);
}

TEST(TensorProto, TypedFieldsDecode) {
  {  // float_data, packed and then unpacked continuation
    Writer w;
    w.int64(1, 3);
    w.varint(2, 1);
    w.packed_floats(4, {1.5f, -2.0f});
    w.float32(4, 8.0f);
    Expected<Tensor> t = parse(w.data());
    ASSERT_TRUE(t.ok()) << t.status().message();
    EXPECT_EQ(t->shape(), Shape({3}));
    EXPECT_EQ(t->data<float>()[0], 1.5f);
    EXPECT_EQ(t->data<float>()[1], -2.0f);
    EXPECT_EQ(t->data<float>()[2], 8.0f);
  }
  struct IntCase { int32_t type; std::vector<int64_t> values; };
  // int32_data carries int8/uint8/int16/uint16/bool/float16/bfloat16 (ONNX spec).
  for (IntCase c : std::vector<IntCase>{{3, {-128, 5, 127}}, {2, {0, 200, 255}}, {5, {-30000, 1, 2}},
                                        {4, {65535, 0, 7}}, {9, {1, 0, 1}}, {6, {-2147483648LL, 0, 2147483647}}}) {
    Writer w;
    w.int64(1, 3);
    w.varint(2, static_cast<uint64_t>(c.type));
    w.packed_varints(5, c.values);
    Expected<Tensor> t = parse(w.data());
    ASSERT_TRUE(t.ok()) << c.type << ": " << t.status().message();
    EXPECT_EQ(static_cast<int32_t>(t->dtype()), c.type);
    for (size_t i = 0; i < 3; ++i) {
      int64_t got = 0;
      switch (t->dtype()) {
        case DType::kInt8: got = t->data<int8_t>()[i]; break;
        case DType::kUInt8: got = t->data<uint8_t>()[i]; break;
        case DType::kInt16: got = t->data<int16_t>()[i]; break;
        case DType::kUInt16: got = t->data<uint16_t>()[i]; break;
        case DType::kBool: got = t->data<uint8_t>()[i]; break;
        case DType::kInt32: got = t->data<int32_t>()[i]; break;
        default: FAIL();
      }
      EXPECT_EQ(got, c.values[i]) << c.type << " [" << i << "]";
    }
  }
  {  // float16 bits in int32_data
    Writer w;
    w.int64(1, 2);
    w.varint(2, 10);
    w.packed_varints(5, {float_to_half(1.0f), float_to_half(-0.5f)});
    Expected<Tensor> t = parse(w.data());
    ASSERT_TRUE(t.ok()) << t.status().message();
    EXPECT_EQ(half_to_float(t->data<uint16_t>()[0]), 1.0f);
    EXPECT_EQ(half_to_float(t->data<uint16_t>()[1]), -0.5f);
  }
  {  // int64_data, scalar (no dims)
    Writer w;
    w.varint(2, 7);
    w.packed_varints(7, {-9000000000LL});
    Expected<Tensor> t = parse(w.data());
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(t->rank(), 0);
    EXPECT_EQ(t->data<int64_t>()[0], -9000000000LL);
  }
  {  // double_data
    Writer w;
    w.int64(1, 2);
    w.varint(2, 11);
    w.float64(10, 0.25);
    w.float64(10, -1e300);
    Expected<Tensor> t = parse(w.data());
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(t->data<double>()[0], 0.25);
    EXPECT_EQ(t->data<double>()[1], -1e300);
  }
  {  // uint32 and uint64 live in uint64_data
    Writer w;
    w.int64(1, 2);
    w.varint(2, 12);
    w.varint(11, 4000000000u);
    w.varint(11, 1);
    Expected<Tensor> t = parse(w.data());
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(t->data<uint32_t>()[0], 4000000000u);
    Writer w64;
    w64.varint(2, 13);
    w64.varint(11, 18000000000000000000ull);
    Expected<Tensor> t64 = parse(w64.data());
    ASSERT_TRUE(t64.ok());
    EXPECT_EQ(t64->data<uint64_t>()[0], 18000000000000000000ull);
  }
  {  // an empty tensor needs no data
    Writer w;
    w.int64(1, 0);
    w.int64(1, 5);
    w.varint(2, 1);
    Expected<Tensor> t = parse(w.data());
    ASSERT_TRUE(t.ok()) << t.status().message();
    EXPECT_EQ(t->numel(), 0);
  }
}

TEST(TensorProto, UnknownFieldsAreSkipped) {
  Writer w;
  w.varint(100, 5);
  w.bytes(101, "future");
  w.fixed32(102, 1);
  w.fixed64(103, 1);
  w.tag(104, wire::WireType::kStartGroup);
  w.varint(1, 3);
  w.tag(104, wire::WireType::kEndGroup);
  w.bytes(12, "doc");
  w.raw(testing::tensor_f32("t", {1}, {3.0f}));
  Expected<Tensor> t = parse(w.data());
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->data<float>()[0], 3.0f);
}

// Each malformed tensor: the error names the tensor and says what is wrong.
TEST(TensorProto, ErrorsNameTheTensor) {
  struct Case { std::string bytes; std::string expect; StatusCode code; };
  auto with_dims = [](std::vector<int64_t> dims, int32_t type, std::string raw) {
    return testing::tensor_raw("bad", type, dims, raw);
  };
  Writer float8;
  float8.int64(1, 1);
  float8.varint(2, 17);
  float8.bytes(8, "bad");
  float8.bytes(9, std::string(1, '\0'));
  Writer str;
  str.varint(2, 8);
  str.bytes(6, "hello");
  str.bytes(8, "bad");
  Writer wrong_field;
  wrong_field.int64(1, 1);
  wrong_field.varint(2, 1);
  wrong_field.packed_varints(7, {1});
  wrong_field.bytes(8, "bad");
  Writer both;
  both.int64(1, 1);
  both.varint(2, 1);
  both.packed_floats(4, {1.0f});
  both.bytes(8, "bad");
  both.bytes(9, bytes_of(std::vector<float>{1.0f}));
  Writer count;
  count.int64(1, 3);
  count.varint(2, 1);
  count.packed_floats(4, {1.0f, 2.0f});
  count.bytes(8, "bad");
  Writer nodata;
  nodata.int64(1, 3);
  nodata.varint(2, 1);
  nodata.bytes(8, "bad");
  Writer notype;
  notype.int64(1, 1);
  notype.bytes(8, "bad");
  notype.bytes(9, std::string(4, '\0'));
  Writer external;
  external.varint(2, 1);
  external.bytes(8, "bad");
  Writer kv;
  kv.bytes(1, "location");
  kv.bytes(2, "weights.bin");
  external.message(13, kv);
  external.varint(14, 1);
  Writer wire_type;
  wire_type.bytes(8, "bad");
  wire_type.bytes(2, "x");  // data_type as a string
  std::vector<Case> cases = {
      {with_dims({2, 2}, 1, std::string(12, '\0')), "raw_data has 12 bytes", StatusCode::kInvalidModel},
      {with_dims({-1, 2}, 1, ""), "dimension 0 is negative", StatusCode::kInvalidModel},
      {with_dims({1LL << 40, 1LL << 40}, 1, ""), "overflows", StatusCode::kInvalidModel},
      {with_dims({1LL << 62}, 1, ""), "too large", StatusCode::kInvalidModel},
      {with_dims({1}, 99, "x"), "unknown data type 99", StatusCode::kInvalidModel},
      {with_dims({1}, -3, "x"), "unknown data type -3", StatusCode::kInvalidModel},
      {with_dims({1}, 14, std::string(8, '\0')), "data type 14 (complex64)", StatusCode::kUnsupported},
      {float8.data(), "data type 17 (float8e4m3fn)", StatusCode::kUnsupported},
      {str.data(), "string tensors", StatusCode::kUnsupported},
      {wrong_field.data(), "found 1 in int64_data", StatusCode::kInvalidModel},
      {both.data(), "both raw_data and float_data", StatusCode::kInvalidModel},
      {count.data(), "has 2 values in float_data, but shape 3 needs 3", StatusCode::kInvalidModel},
      {nodata.data(), "has no data", StatusCode::kInvalidModel},
      {notype.data(), "data_type is missing", StatusCode::kInvalidModel},
      {external.data(), "external data", StatusCode::kUnsupported},
      {wire_type.data(), "data_type (field 2) has wire type length-delimited", StatusCode::kInvalidModel},
  };
  for (const Case& c : cases) {
    Expected<Tensor> t = parse(c.bytes);
    ASSERT_FALSE(t.ok()) << c.expect;
    EXPECT_EQ(t.status().code(), c.code) << t.status().message();
    EXPECT_NE(t.status().message().find("tensor 'bad'"), std::string::npos) << t.status().message();
    EXPECT_NE(t.status().message().find(c.expect), std::string::npos) << t.status().message();
  }
  Expected<Tensor> empty = parse("");
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("empty file"), std::string::npos);
  std::string good = testing::tensor_f32("trunc", {4}, {1, 2, 3, 4});
  for (size_t cut = 1; cut < good.size(); ++cut) {
    Expected<Tensor> t = parse(good.substr(0, cut));
    EXPECT_FALSE(t.ok()) << "cut at " << cut;
    if (!t.ok()) EXPECT_FALSE(t.status().message().empty());
  }
}

TEST(TensorProto, FileRoundTrip) {
  std::string dir = tmp_dir();
  std::string path = dir + "/t.pb";
  Tensor t = Tensor::from_vector<int64_t>(DType::kInt64, {2, 2}, {1, -2, 3, -4});
  ASSERT_TRUE(write_tensor_proto_file(path, t, "shape").ok());
  std::string name;
  Expected<Tensor> back = read_tensor_proto_file(path, &name);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(name, "shape");
  EXPECT_EQ(back->shape(), Shape({2, 2}));
  EXPECT_EQ(back->data<int64_t>()[3], -4);

  Expected<Tensor> missing = read_tensor_proto_file(dir + "/nope.pb");
  EXPECT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("nope.pb"), std::string::npos);
  std::ofstream(dir + "/empty.pb").close();
  Expected<Tensor> empty = read_tensor_proto_file(dir + "/empty.pb");
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("empty file"), std::string::npos);
  EXPECT_FALSE(write_tensor_proto_file(dir + "/no/such/dir/t.pb", t, "x").ok());
  std::filesystem::remove_all(dir);
}

// The official MNIST test data: the input is 784 float32 values stored as raw_data at the end of the file,
// so the file's own last 3136 bytes are an independent oracle for the decoded values.
TEST(TensorProto, ReadsMnistTestData) {
  std::string dir = testing::model_path("classification/mnist-8/test_data_set_0");
  EDGERUN_REQUIRE_DATA(dir);
  std::string name;
  Expected<Tensor> in = read_tensor_proto_file(dir + "/input_0.pb", &name);
  ASSERT_TRUE(in.ok()) << in.status().message();
  EXPECT_EQ(in->dtype(), DType::kFloat32);
  EXPECT_EQ(in->shape(), Shape({1, 1, 28, 28}));
  std::ifstream f(dir + "/input_0.pb", std::ios::binary);
  std::string file((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  ASSERT_GE(file.size(), 784u * 4);
  EXPECT_EQ(std::memcmp(in->raw_data(), file.data() + file.size() - 784 * 4, 784 * 4), 0);
  float lo = 1e30f, hi = -1e30f;
  for (int i = 0; i < 784; ++i) lo = std::min(lo, in->data<float>()[i]), hi = std::max(hi, in->data<float>()[i]);
  EXPECT_GE(lo, 0.0f);
  EXPECT_GT(hi, lo);

  Expected<Tensor> out = read_tensor_proto_file(dir + "/output_0.pb");
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(out->shape(), Shape({1, 10}));
  // Re-serializing gives a file our reader maps back to the same tensor.
  Expected<Tensor> again = parse(serialize_tensor_proto(*in, name));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(std::memcmp(again->raw_data(), in->raw_data(), in->nbytes()), 0);
}

// Every .pb in the ONNX backend node tests: tensors parse; the rest are Sequence/Optional/Map protos or
// dtypes edgerun does not hold. No crash either way, and the vast majority parse.
TEST(TensorProto, ReadsBackendTestData) {
  std::string dir = testing::onnx_tests_dir() + "/node";
  EDGERUN_REQUIRE_DATA(dir);
  int ok = 0, failed = 0;
  std::map<std::string, int> reasons;
  for (const auto& test : std::filesystem::directory_iterator(dir)) {
    for (const auto& set : std::filesystem::directory_iterator(test.path())) {
      if (!set.is_directory()) continue;
      for (const auto& pb : std::filesystem::directory_iterator(set.path())) {
        if (pb.path().extension() != ".pb") continue;
        Expected<Tensor> t = read_tensor_proto_file(pb.path().string());
        if (t.ok()) {
          ++ok;
        } else {
          ++failed;
          EXPECT_FALSE(t.status().message().empty());
          ++reasons[status_code_name(t.status().code())];
        }
      }
    }
  }
  std::cout << "backend .pb files: " << ok << " parsed, " << failed << " not tensors or unsupported\n";
  for (const auto& [r, n] : reasons) std::cout << "  " << r << ": " << n << "\n";
  EXPECT_GT(ok, 2500);
  EXPECT_LT(failed, ok / 10);
}

}  // namespace
}  // namespace edgerun
