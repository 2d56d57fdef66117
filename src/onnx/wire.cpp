#include "onnx/wire.h"

#include <cstring>

namespace edgerun::wire {

// The wire format is little-endian; so is every target edgerun builds for.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "edgerun's protobuf reader assumes a little-endian host");

const char* wire_type_name(WireType type) {
  switch (type) {
    case WireType::kVarint: return "varint";
    case WireType::kFixed64: return "fixed64";
    case WireType::kLen: return "length-delimited";
    case WireType::kStartGroup: return "start-group";
    case WireType::kEndGroup: return "end-group";
    case WireType::kFixed32: return "fixed32";
  }
  return "invalid";
}

float Field::as_float() const {
  uint32_t bits = static_cast<uint32_t>(value);
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

double Field::as_double() const {
  double d;
  std::memcpy(&d, &value, 8);
  return d;
}

size_t decode_varint(const uint8_t* p, const uint8_t* end, uint64_t* out) {
  uint64_t v = 0;
  size_t avail = static_cast<size_t>(end - p);
  for (size_t i = 0; i < 10; ++i) {
    if (i >= avail) return 0;
    uint8_t b = p[i];
    v |= static_cast<uint64_t>(b & 0x7f) << (7 * i);  // the 10th byte contributes only bit 63
    if ((b & 0x80) == 0) {
      *out = v;
      return i + 1;
    }
  }
  return 0;
}

Status Reader::error_at(size_t pos, const std::string& what) const {
  return invalid_model("malformed protobuf at byte ", base_ + pos, ": ", what);
}

Status Reader::read_varint(uint64_t* out) {
  size_t n = decode_varint(data_ + pos_, data_ + size_, out);
  if (n == 0) {
    // Distinguish a cut-off file from garbage: both are errors, the message helps the user.
    bool truncated = size_ - pos_ < 10;
    for (size_t i = pos_; i < size_ && truncated; ++i)
      if ((data_[i] & 0x80) == 0) truncated = false;
    return error_at(pos_, truncated ? "truncated varint (file cut short?)" : "varint longer than 10 bytes");
  }
  pos_ += n;
  return Status();
}

Status Reader::next(Field* field) {
  size_t start = pos_;
  uint64_t tag = 0;
  ER_RETURN_IF_ERROR(read_varint(&tag));
  if (tag > 0xffffffffu) return error_at(start, str_cat("tag ", tag, " is out of range"));
  uint32_t number = static_cast<uint32_t>(tag >> 3);
  uint32_t type = static_cast<uint32_t>(tag & 7);
  if (number == 0) return error_at(start, "field number 0 is invalid");
  field->number = number;
  field->type = static_cast<WireType>(type);
  field->offset = base_ + start;
  field->value = 0;
  field->data = nullptr;
  field->size = 0;
  switch (type) {
    case 0:
      return read_varint(&field->value);
    case 1:
      if (size_ - pos_ < 8) return error_at(start, str_cat("field ", number, ": truncated fixed64"));
      std::memcpy(&field->value, data_ + pos_, 8);
      pos_ += 8;
      return Status();
    case 5: {
      if (size_ - pos_ < 4) return error_at(start, str_cat("field ", number, ": truncated fixed32"));
      uint32_t bits;
      std::memcpy(&bits, data_ + pos_, 4);
      field->value = bits;
      pos_ += 4;
      return Status();
    }
    case 2: {
      uint64_t len = 0;
      ER_RETURN_IF_ERROR(read_varint(&len));
      if (len > size_ - pos_)
        return error_at(start, str_cat("field ", number, ": length ", len, " runs past the end of its message (",
                                       size_ - pos_, " bytes left)"));
      field->data = data_ + pos_;
      field->size = static_cast<size_t>(len);
      pos_ += static_cast<size_t>(len);
      return Status();
    }
    case 3:
      return skip_group(number, field);
    case 4:
      return error_at(start, str_cat("field ", number, ": end-group without a start-group"));
    default:
      return error_at(start, str_cat("field ", number, ": invalid wire type ", type));
  }
}

// Groups are a deprecated encoding ONNX never uses; a newer writer could still emit one in a field
// we do not know, so it is skipped like any unknown field. Iterative, with a bounded stack.
Status Reader::skip_group(uint32_t number, Field* field) {
  size_t contents = pos_;
  std::vector<uint32_t> open{number};
  while (true) {
    if (pos_ >= size_) return error_at(contents, str_cat("group ", number, " is not closed"));
    size_t tag_pos = pos_;
    uint64_t tag = 0;
    ER_RETURN_IF_ERROR(read_varint(&tag));
    if (tag > 0xffffffffu) return error_at(tag_pos, str_cat("tag ", tag, " is out of range"));
    uint32_t n = static_cast<uint32_t>(tag >> 3);
    uint32_t type = static_cast<uint32_t>(tag & 7);
    if (n == 0) return error_at(tag_pos, "field number 0 is invalid");
    switch (type) {
      case 0: {
        uint64_t v;
        ER_RETURN_IF_ERROR(read_varint(&v));
        break;
      }
      case 1:
        if (size_ - pos_ < 8) return error_at(tag_pos, "truncated fixed64");
        pos_ += 8;
        break;
      case 5:
        if (size_ - pos_ < 4) return error_at(tag_pos, "truncated fixed32");
        pos_ += 4;
        break;
      case 2: {
        uint64_t len = 0;
        ER_RETURN_IF_ERROR(read_varint(&len));
        if (len > size_ - pos_) return error_at(tag_pos, str_cat("length ", len, " runs past the end of its message"));
        pos_ += static_cast<size_t>(len);
        break;
      }
      case 3:
        if (depth_ + static_cast<int>(open.size()) >= kMaxDepth) return error_at(tag_pos, "groups nested too deeply");
        open.push_back(n);
        break;
      case 4:
        if (open.back() != n)
          return error_at(tag_pos, str_cat("end-group ", n, " does not match start-group ", open.back()));
        open.pop_back();
        if (open.empty()) {
          field->data = data_ + contents;
          field->size = tag_pos - contents;
          return Status();
        }
        break;
      default:
        return error_at(tag_pos, str_cat("field ", n, ": invalid wire type ", type));
    }
  }
}

Expected<Reader> Reader::sub(const Field& field) const {
  if (field.type != WireType::kLen)
    return invalid_model("malformed protobuf at byte ", field.offset, ": field ", field.number, " is a ",
                         wire_type_name(field.type), ", expected a message");
  if (depth_ + 1 > kMaxDepth)
    return invalid_model("malformed protobuf at byte ", field.offset, ": messages nested deeper than ", kMaxDepth,
                         " levels");
  return Reader(field.data, field.size, depth_ + 1, base_ + static_cast<size_t>(field.data - data_));
}

Status expect_type(const Field& field, WireType expected, std::string_view what) {
  if (field.type == expected) return Status();
  return invalid_model(what, " (field ", field.number, ") has wire type ", wire_type_name(field.type), ", expected ",
                       wire_type_name(expected), " (byte ", field.offset, ")");
}

namespace {

Status wrong_repeated_type(const Field& field, WireType scalar, std::string_view what) {
  return invalid_model(what, " (field ", field.number, ") has wire type ", wire_type_name(field.type), ", expected ",
                       wire_type_name(scalar), " or packed (byte ", field.offset, ")");
}

template <class T, class Convert>
Status append_varints_as(const Field& field, std::vector<T>* out, std::string_view what, Convert convert) {
  if (field.type == WireType::kVarint) {
    out->push_back(convert(field.value));
    return Status();
  }
  if (field.type != WireType::kLen) return wrong_repeated_type(field, WireType::kVarint, what);
  const uint8_t* p = field.data;
  const uint8_t* end = field.data + field.size;
  // Every varint takes at least one byte: the count is bounded by the payload, so no runaway growth.
  size_t count = 0;
  for (const uint8_t* q = p; q < end; ++q) count += (*q & 0x80) == 0;
  out->reserve(out->size() + count);
  while (p < end) {
    uint64_t v = 0;
    size_t n = decode_varint(p, end, &v);
    if (n == 0)
      return invalid_model(what, " (field ", field.number, "): malformed packed varint at byte ",
                           field.offset + static_cast<size_t>(p - field.data));
    out->push_back(convert(v));
    p += n;
  }
  return Status();
}

template <class T>
Status append_fixed(const Field& field, std::vector<T>* out, std::string_view what) {
  constexpr WireType kScalar = sizeof(T) == 4 ? WireType::kFixed32 : WireType::kFixed64;
  if (field.type == kScalar) {
    T v;
    if constexpr (sizeof(T) == 4) {
      uint32_t bits = static_cast<uint32_t>(field.value);
      std::memcpy(&v, &bits, 4);
    } else {
      std::memcpy(&v, &field.value, 8);
    }
    out->push_back(v);
    return Status();
  }
  if (field.type != WireType::kLen) return wrong_repeated_type(field, kScalar, what);
  if (field.size % sizeof(T) != 0)
    return invalid_model(what, " (field ", field.number, "): packed length ", field.size, " is not a multiple of ",
                         sizeof(T), " (byte ", field.offset, ")");
  size_t n = field.size / sizeof(T);
  size_t old = out->size();
  out->resize(old + n);
  if (n) std::memcpy(out->data() + old, field.data, field.size);
  return Status();
}

}  // namespace

Status append_varints(const Field& field, std::vector<uint64_t>* out, std::string_view what) {
  return append_varints_as(field, out, what, [](uint64_t v) { return v; });
}
Status append_int64s(const Field& field, std::vector<int64_t>* out, std::string_view what) {
  return append_varints_as(field, out, what, [](uint64_t v) { return static_cast<int64_t>(v); });
}
// int32 values are sign-extended to 64 bits on the wire; the low 32 bits are the value.
Status append_int32s(const Field& field, std::vector<int32_t>* out, std::string_view what) {
  return append_varints_as(field, out, what,
                           [](uint64_t v) { return static_cast<int32_t>(static_cast<uint32_t>(v)); });
}
Status append_fixed32s(const Field& field, std::vector<uint32_t>* out, std::string_view what) {
  return append_fixed(field, out, what);
}
Status append_fixed64s(const Field& field, std::vector<uint64_t>* out, std::string_view what) {
  return append_fixed(field, out, what);
}
Status append_floats(const Field& field, std::vector<float>* out, std::string_view what) {
  return append_fixed(field, out, what);
}
Status append_doubles(const Field& field, std::vector<double>* out, std::string_view what) {
  return append_fixed(field, out, what);
}

void Writer::raw_varint(uint64_t value) {
  while (value >= 0x80) {
    buf_.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  buf_.push_back(static_cast<char>(value));
}

void Writer::tag(uint32_t number, WireType type) {
  raw_varint(static_cast<uint64_t>(number) << 3 | static_cast<uint64_t>(type));
}

void Writer::varint(uint32_t number, uint64_t value) {
  tag(number, WireType::kVarint);
  raw_varint(value);
}

void Writer::fixed32(uint32_t number, uint32_t bits) {
  tag(number, WireType::kFixed32);
  char b[4];
  std::memcpy(b, &bits, 4);
  buf_.append(b, 4);
}

void Writer::fixed64(uint32_t number, uint64_t bits) {
  tag(number, WireType::kFixed64);
  char b[8];
  std::memcpy(b, &bits, 8);
  buf_.append(b, 8);
}

void Writer::float32(uint32_t number, float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, 4);
  fixed32(number, bits);
}

void Writer::float64(uint32_t number, double value) {
  uint64_t bits;
  std::memcpy(&bits, &value, 8);
  fixed64(number, bits);
}

void Writer::bytes(uint32_t number, std::string_view payload) {
  tag(number, WireType::kLen);
  raw_varint(payload.size());
  buf_.append(payload);
}

void Writer::packed_varints(uint32_t number, const std::vector<int64_t>& values) {
  Writer body;
  for (int64_t v : values) body.raw_varint(static_cast<uint64_t>(v));
  bytes(number, body.data());
}

void Writer::packed_floats(uint32_t number, const std::vector<float>& values) {
  std::string body(values.size() * 4, '\0');
  if (!values.empty()) std::memcpy(body.data(), values.data(), body.size());
  bytes(number, body);
}

}  // namespace edgerun::wire
