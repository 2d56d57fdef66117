#include <gtest/gtest.h>

#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "onnx/wire.h"

namespace edgerun::wire {
namespace {

const uint8_t* u8(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }

std::string bytes(std::initializer_list<int> b) {
  std::string s;
  for (int x : b) s.push_back(static_cast<char>(x));
  return s;
}

// Reads every field of `msg`; returns the first error or OK.
Status read_all(const std::string& msg, std::vector<Field>* out = nullptr) {
  Reader r(u8(msg), msg.size());
  Field f;
  while (!r.done()) {
    ER_RETURN_IF_ERROR(r.next(&f));
    if (out) out->push_back(f);
  }
  return Status();
}

TEST(Wire, VarintKnownEncodings) {
  // Hand-encoded values from the protobuf encoding rules: 7-bit groups, little-endian, MSB = continuation.
  struct Case { std::string enc; uint64_t value; };
  std::vector<Case> cases = {
      {bytes({0x00}), 0},
      {bytes({0x01}), 1},
      {bytes({0x7f}), 127},
      {bytes({0x80, 0x01}), 128},
      {bytes({0xac, 0x02}), 300},
      {bytes({0xff, 0xff, 0xff, 0xff, 0x0f}), 0xffffffffull},
      {bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}), std::numeric_limits<uint64_t>::max()},
  };
  for (const Case& c : cases) {
    uint64_t v = 12345;
    size_t n = decode_varint(u8(c.enc), u8(c.enc) + c.enc.size(), &v);
    EXPECT_EQ(n, c.enc.size());
    EXPECT_EQ(v, c.value);
    Writer w;
    w.raw_varint(c.value);
    EXPECT_EQ(w.data(), c.enc) << c.value;
  }
}

TEST(Wire, VarintRejectsTruncatedAndOverlong) {
  uint64_t v = 0;
  std::string truncated = bytes({0x80, 0x80});
  EXPECT_EQ(decode_varint(u8(truncated), u8(truncated) + truncated.size(), &v), 0u);
  std::string overlong = bytes({0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01});
  EXPECT_EQ(decode_varint(u8(overlong), u8(overlong) + overlong.size(), &v), 0u);
  EXPECT_EQ(decode_varint(u8(overlong), u8(overlong), &v), 0u);  // empty

  // As a field: tag 1 varint, then the bad value.
  Status st = read_all(bytes({0x08}) + truncated);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("truncated varint"), std::string::npos) << st.message();
  st = read_all(bytes({0x08}) + overlong);
  EXPECT_NE(st.message().find("longer than 10 bytes"), std::string::npos) << st.message();
}

TEST(Wire, NegativeInt64AndInt32) {
  // int64 -1 is ten bytes; int32 -2 is sign-extended the same way.
  Writer w;
  w.int64(1, -1);
  w.int64(2, -2);
  EXPECT_EQ(w.data().size(), 2u + 10u + 10u);
  std::vector<Field> fields;
  ASSERT_TRUE(read_all(w.data(), &fields).ok());
  ASSERT_EQ(fields.size(), 2u);
  EXPECT_EQ(fields[0].as_int64(), -1);
  EXPECT_EQ(fields[1].as_int32(), -2);
}

TEST(Wire, AllWireTypesAndOffsets) {
  Writer w;
  w.varint(1, 150);                // 08 96 01
  w.fixed32(2, 0xdeadbeef);        // 15 ef be ad de
  w.fixed64(3, 0x0102030405060708);  // 19 ...
  w.bytes(4, "hi");                // 22 02 68 69
  w.float32(5, 1.5f);
  w.float64(6, -2.25);
  std::vector<Field> f;
  ASSERT_TRUE(read_all(w.data(), &f).ok());
  ASSERT_EQ(f.size(), 6u);
  EXPECT_EQ(f[0].number, 1u);
  EXPECT_EQ(f[0].type, WireType::kVarint);
  EXPECT_EQ(f[0].value, 150u);
  EXPECT_EQ(f[0].offset, 0u);
  EXPECT_EQ(f[1].type, WireType::kFixed32);
  EXPECT_EQ(f[1].value, 0xdeadbeefu);
  EXPECT_EQ(f[1].offset, 3u);
  EXPECT_EQ(f[2].value, 0x0102030405060708u);
  EXPECT_EQ(f[3].type, WireType::kLen);
  EXPECT_EQ(f[3].str(), "hi");
  EXPECT_EQ(f[4].as_float(), 1.5f);
  EXPECT_EQ(f[5].as_double(), -2.25);
  EXPECT_EQ(w.data().substr(0, 3), bytes({0x08, 0x96, 0x01}));
}

TEST(Wire, LengthPastEndIsAnError) {
  // field 1, LEN, length 5, but only 2 bytes follow.
  Status st = read_all(bytes({0x0a, 0x05, 'a', 'b'}));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kInvalidModel);
  EXPECT_NE(st.message().find("length 5"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("byte 0"), std::string::npos) << st.message();
  // Huge length (2^63) must not wrap around.
  Status huge = read_all(bytes({0x0a, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 'x'}));
  EXPECT_FALSE(huge.ok());
  EXPECT_FALSE(read_all(bytes({0x15, 0x01, 0x02})).ok());  // truncated fixed32
  EXPECT_FALSE(read_all(bytes({0x19, 0x01})).ok());        // truncated fixed64
}

TEST(Wire, BadTagsAreErrors) {
  EXPECT_NE(read_all(bytes({0x00, 0x01})).message().find("field number 0"), std::string::npos);
  EXPECT_NE(read_all(bytes({0x0e, 0x01})).message().find("invalid wire type 6"), std::string::npos);
  EXPECT_NE(read_all(bytes({0x0f, 0x01})).message().find("invalid wire type 7"), std::string::npos);
  EXPECT_NE(read_all(bytes({0x0c})).message().find("end-group"), std::string::npos);
  // A tag above 32 bits.
  EXPECT_FALSE(read_all(bytes({0x80, 0x80, 0x80, 0x80, 0x80, 0x01})).ok());
}

TEST(Wire, GroupsAreSkipped) {
  Writer w;
  w.tag(7, WireType::kStartGroup);
  w.varint(1, 5);
  w.tag(8, WireType::kStartGroup);  // nested group
  w.bytes(2, "abc");
  w.tag(8, WireType::kEndGroup);
  w.tag(7, WireType::kEndGroup);
  w.varint(9, 42);
  std::vector<Field> f;
  ASSERT_TRUE(read_all(w.data(), &f).ok()) << read_all(w.data()).message();
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].number, 7u);
  EXPECT_EQ(f[0].type, WireType::kStartGroup);
  EXPECT_EQ(f[1].number, 9u);
  EXPECT_EQ(f[1].value, 42u);

  Writer bad;
  bad.tag(7, WireType::kStartGroup);
  bad.tag(6, WireType::kEndGroup);
  EXPECT_NE(read_all(bad.data()).message().find("does not match"), std::string::npos);
  Writer open;
  open.tag(7, WireType::kStartGroup);
  open.varint(1, 1);
  EXPECT_NE(read_all(open.data()).message().find("not closed"), std::string::npos);
  // Deeply nested groups stop at the depth limit instead of growing without bound.
  Writer deep;
  for (int i = 0; i < 1000; ++i) deep.tag(3, WireType::kStartGroup);
  EXPECT_NE(read_all(deep.data()).message().find("nested too deeply"), std::string::npos);
}

TEST(Wire, SubReaderDepthIsLimited) {
  std::string msg;
  for (int i = 0; i < kMaxDepth + 5; ++i) {
    Writer w;
    w.bytes(1, msg);
    msg = w.take();
  }
  // Walk down as a recursive parser would.
  Reader r(u8(msg), msg.size());
  Status last;
  int depth = 0;
  while (true) {
    Field f;
    if (r.done()) break;
    Status st = r.next(&f);
    ASSERT_TRUE(st.ok());
    Expected<Reader> sub = r.sub(f);
    if (!sub.ok()) {
      last = sub.status();
      break;
    }
    r = *sub;
    ++depth;
  }
  EXPECT_EQ(depth, kMaxDepth);
  EXPECT_NE(last.message().find("nested deeper"), std::string::npos) << last.message();
}

TEST(Wire, SubReaderReportsAbsoluteOffsets) {
  Writer inner;
  inner.varint(1, 1);
  inner.raw(bytes({0x0a, 0x09}));  // truncated LEN field inside the sub-message
  Writer outer;
  outer.varint(5, 0);  // 2 bytes
  outer.message(2, inner);
  Reader r(u8(outer.data()), outer.data().size());
  Field f;
  ASSERT_TRUE(r.next(&f).ok());
  ASSERT_TRUE(r.next(&f).ok());
  Expected<Reader> sub = r.sub(f);
  ASSERT_TRUE(sub.ok());
  Field g;
  ASSERT_TRUE(sub->next(&g).ok());
  EXPECT_EQ(g.offset, 4u);  // 2 bytes of field 5, tag + length of field 2
  Status st = sub->next(&g);
  EXPECT_NE(st.message().find("byte 6"), std::string::npos) << st.message();
  // sub() on a non-LEN field is an error, not a crash.
  Field v;
  v.type = WireType::kVarint;
  EXPECT_FALSE(r.sub(v).ok());
}

TEST(Wire, PackedAndUnpackedRepeatedConcatenate) {
  Writer w;
  w.int64(1, 3);                  // unpacked
  w.packed_varints(1, {-1, 300});  // packed
  w.int64(1, 7);
  w.packed_floats(2, {1.0f, -2.5f});
  w.float32(2, 4.0f);
  std::vector<Field> fields;
  ASSERT_TRUE(read_all(w.data(), &fields).ok());
  std::vector<int64_t> ints;
  std::vector<float> floats;
  std::vector<int32_t> ints32;
  for (const Field& f : fields) {
    if (f.number == 1) {
      ASSERT_TRUE(append_int64s(f, &ints, "ints").ok());
      ASSERT_TRUE(append_int32s(f, &ints32, "ints").ok());
    } else {
      ASSERT_TRUE(append_floats(f, &floats, "floats").ok());
    }
  }
  EXPECT_EQ(ints, (std::vector<int64_t>{3, -1, 300, 7}));
  EXPECT_EQ(ints32, (std::vector<int32_t>{3, -1, 300, 7}));
  EXPECT_EQ(floats, (std::vector<float>{1.0f, -2.5f, 4.0f}));
}

TEST(Wire, PackedErrors) {
  Field f;
  f.number = 4;
  f.type = WireType::kLen;
  std::string odd = bytes({1, 2, 3, 4, 5, 6});  // 6 bytes: not a multiple of 4
  f.data = u8(odd);
  f.size = odd.size();
  std::vector<float> floats;
  Status st = append_floats(f, &floats, "float_data");
  EXPECT_NE(st.message().find("float_data"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("multiple of 4"), std::string::npos) << st.message();
  std::vector<double> doubles;
  EXPECT_FALSE(append_doubles(f, &doubles, "double_data").ok());

  std::string bad_varint = bytes({0x01, 0x80});  // second varint truncated
  f.data = u8(bad_varint);
  f.size = bad_varint.size();
  std::vector<int64_t> ints;
  EXPECT_FALSE(append_int64s(f, &ints, "dims").ok());

  f.type = WireType::kFixed64;  // wrong scalar type for varints
  st = append_int64s(f, &ints, "dims");
  EXPECT_NE(st.message().find("dims"), std::string::npos);
  EXPECT_NE(st.message().find("fixed64"), std::string::npos);

  Field v;
  v.type = WireType::kVarint;
  v.number = 2;
  Status t = expect_type(v, WireType::kLen, "TensorProto.name");
  EXPECT_NE(t.message().find("TensorProto.name"), std::string::npos);
}

TEST(Wire, UnsignedVarintsAndFixed) {
  Writer w;
  w.varint(1, std::numeric_limits<uint64_t>::max());
  w.fixed32(2, 7);
  w.fixed64(3, 9);
  std::vector<Field> f;
  ASSERT_TRUE(read_all(w.data(), &f).ok());
  std::vector<uint64_t> u;
  ASSERT_TRUE(append_varints(f[0], &u, "u").ok());
  EXPECT_EQ(u[0], std::numeric_limits<uint64_t>::max());
  std::vector<uint32_t> u32;
  ASSERT_TRUE(append_fixed32s(f[1], &u32, "u").ok());
  EXPECT_EQ(u32[0], 7u);
  std::vector<uint64_t> u64;
  ASSERT_TRUE(append_fixed64s(f[2], &u64, "u").ok());
  EXPECT_EQ(u64[0], 9u);
}

// Random bytes: the reader must end every message with OK or an error, reading only inside the buffer.
TEST(Wire, FuzzRandomBytesNeverCrash) {
  std::mt19937 rng(1234);
  int ok = 0, errors = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    size_t n = rng() % 64;
    // An exactly sized heap buffer, so ASan catches any read past the end.
    std::vector<uint8_t> buf(n);
    for (uint8_t& b : buf) b = static_cast<uint8_t>(rng());
    Reader r(buf.data(), buf.size());
    Field f;
    Status st;
    size_t steps = 0;
    while (!r.done() && st.ok()) {
      size_t before = r.position();
      st = r.next(&f);
      if (st.ok()) {
        ASSERT_GT(r.position(), before);  // always makes progress
        ASSERT_LE(r.position(), buf.size());
        if (f.type == WireType::kLen) {
          std::vector<int64_t> ints;
          std::vector<float> floats;
          (void)append_int64s(f, &ints, "x");
          (void)append_floats(f, &floats, "x");
          Expected<Reader> sub = r.sub(f);
          if (sub.ok()) {
            Field g;
            while (!sub->done() && sub->next(&g).ok()) {}
          }
        }
      } else {
        EXPECT_FALSE(st.message().empty());
      }
      ASSERT_LT(++steps, 1000u);
    }
    (st.ok() ? ok : errors)++;
  }
  EXPECT_GT(ok, 0);
  EXPECT_GT(errors, 0);
}

}  // namespace
}  // namespace edgerun::wire
