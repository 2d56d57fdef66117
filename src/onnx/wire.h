// Protobuf wire format, read directly from bytes (an mmap'd model) and written into a string.
// The reader trusts nothing: every length is bounds-checked, varints are limited to 10 bytes, and
// nesting depth is capped so a hostile file cannot overflow the stack.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "edgerun/status.h"

namespace edgerun::wire {

enum class WireType : uint8_t {
  kVarint = 0,
  kFixed64 = 1,
  kLen = 2,
  kStartGroup = 3,  // deprecated groups: only ever skipped
  kEndGroup = 4,
  kFixed32 = 5,
};

const char* wire_type_name(WireType type);

// Deepest message nesting a Reader accepts (a GraphProto inside an attribute inside a node adds 3).
constexpr int kMaxDepth = 100;

// One field as it appears on the wire. Only the members that match `type` are meaningful.
struct Field {
  uint32_t number = 0;
  WireType type = WireType::kVarint;
  uint64_t value = 0;              // kVarint: the value; kFixed32/kFixed64: the raw little-endian bits
  const uint8_t* data = nullptr;   // kLen: payload; kStartGroup: the group's contents
  size_t size = 0;
  size_t offset = 0;               // file offset of the tag (for error messages)

  std::string_view bytes() const { return {reinterpret_cast<const char*>(data), size}; }
  std::string str() const { return std::string(bytes()); }
  int64_t as_int64() const { return static_cast<int64_t>(value); }
  int32_t as_int32() const { return static_cast<int32_t>(static_cast<uint32_t>(value)); }
  float as_float() const;   // kFixed32
  double as_double() const; // kFixed64
};

// Iterates the fields of one message.
//
//   wire::Reader r(data, size);
//   wire::Field f;
//   while (!r.done()) {
//     ER_RETURN_IF_ERROR(r.next(&f));
//     switch (f.number) { ... }
//   }
class Reader {
 public:
  // `base` is the buffer's offset in the file, so errors can name absolute byte positions.
  Reader(const uint8_t* data, size_t size, int depth = 0, size_t base = 0)
      : data_(data), size_(size), depth_(depth), base_(base) {}

  bool done() const { return pos_ >= size_; }
  size_t position() const { return pos_; }
  int depth() const { return depth_; }
  // Reads the next field. Errors (truncation, bad tag, over-long varint) say at which byte.
  Status next(Field* field);
  // A reader over a kLen field's payload, one level deeper; error past kMaxDepth.
  Expected<Reader> sub(const Field& field) const;

 private:
  Status read_varint(uint64_t* out);
  Status skip_group(uint32_t number, Field* field);
  Status error_at(size_t pos, const std::string& what) const;

  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
  int depth_;
  size_t base_;
};

// Decodes one varint from [p, end); returns the number of bytes used, 0 if truncated or longer than 10 bytes.
size_t decode_varint(const uint8_t* p, const uint8_t* end, uint64_t* out);

// Checks that `field` has wire type `expected`; the error names `what` (e.g. "TensorProto.dims").
Status expect_type(const Field& field, WireType expected, std::string_view what);

// Repeated scalar fields may come packed (one kLen field) or unpacked (one field per value), and
// several occurrences concatenate. These append either form to `out`.
Status append_varints(const Field& field, std::vector<uint64_t>* out, std::string_view what);
Status append_int64s(const Field& field, std::vector<int64_t>* out, std::string_view what);
Status append_int32s(const Field& field, std::vector<int32_t>* out, std::string_view what);
Status append_fixed32s(const Field& field, std::vector<uint32_t>* out, std::string_view what);
Status append_fixed64s(const Field& field, std::vector<uint64_t>* out, std::string_view what);
Status append_floats(const Field& field, std::vector<float>* out, std::string_view what);
Status append_doubles(const Field& field, std::vector<double>* out, std::string_view what);

// Builds a message. Nested messages are written by serializing a child Writer and adding it as bytes.
class Writer {
 public:
  void varint(uint32_t number, uint64_t value);
  void int64(uint32_t number, int64_t value) { varint(number, static_cast<uint64_t>(value)); }
  void fixed32(uint32_t number, uint32_t bits);
  void fixed64(uint32_t number, uint64_t bits);
  void float32(uint32_t number, float value);
  void float64(uint32_t number, double value);
  void bytes(uint32_t number, std::string_view payload);
  void message(uint32_t number, const Writer& child) { bytes(number, child.data()); }
  void packed_varints(uint32_t number, const std::vector<int64_t>& values);
  void packed_floats(uint32_t number, const std::vector<float>& values);
  // Low-level: a tag, or a bare varint (for building deliberately odd messages in tests).
  void tag(uint32_t number, WireType type);
  void raw_varint(uint64_t value);
  void raw(std::string_view bytes) { buf_.append(bytes); }

  const std::string& data() const { return buf_; }
  std::string take() { return std::move(buf_); }

 private:
  std::string buf_;
};

}  // namespace edgerun::wire
