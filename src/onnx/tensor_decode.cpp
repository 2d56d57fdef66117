#include "onnx/tensor_decode.h"

#include <cstring>
#include <limits>

namespace edgerun::onnx {

using wire::Field;
using wire::WireType;

std::string TensorProtoFields::describe() const {
  return name.empty() ? std::string("unnamed tensor") : str_cat("tensor '", name, "'");
}

Expected<DType> dtype_from_onnx(int32_t data_type, const std::string& what) {
  if (data_type == 0) return DType::kUndefined;
  if (dtype_is_valid(data_type)) return static_cast<DType>(data_type);
  const char* name = onnx_type_name(data_type);
  if (*name) return unsupported(what, ": data type ", data_type, " (", name, ") is not supported");
  return invalid_model(what, ": unknown data type ", data_type);
}

Expected<size_t> checked_nbytes(const Shape& dims, DType dtype, const std::string& what) {
  int64_t numel = 1;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] < 0) return invalid_model(what, ": dimension ", i, " is negative (", dims[i], ")");
    if (__builtin_mul_overflow(numel, dims[i], &numel))
      return invalid_model(what, ": the product of its dims (", shape_str(dims), ") overflows");
  }
  size_t bytes = 0;
  if (__builtin_mul_overflow(static_cast<uint64_t>(numel), static_cast<uint64_t>(dtype_size(dtype)), &bytes) ||
      bytes > static_cast<size_t>(std::numeric_limits<int64_t>::max()))
    return invalid_model(what, ": shape ", shape_str(dims), " of ", dtype_name(dtype), " is too large");
  return bytes;
}

Tensor tensor_over_bytes(DType dtype, const Shape& dims, const uint8_t* data, size_t nbytes,
                         const std::shared_ptr<const void>& keepalive) {
  size_t align = dtype_size(dtype);
  if (keepalive && nbytes > 0 && align > 0 && reinterpret_cast<uintptr_t>(data) % align == 0) {
    // Weights stay in the (read-only) mapping; kernels never write to constant inputs.
    return Tensor::view(dtype, dims, const_cast<uint8_t*>(data), keepalive);
  }
  Tensor t = Tensor::empty(dtype, dims);
  if (nbytes) std::memcpy(t.raw_data(), data, nbytes);
  return t;
}

Status read_tensor_fields(wire::Reader reader, TensorProtoFields* out) {
  namespace tf = tensor_field;
  // The name usually follows the data on the wire; find it first so every error below can name the tensor.
  {
    wire::Reader scan = reader;
    Field f;
    while (!scan.done() && scan.next(&f).ok())
      if (f.number == tf::kName && f.type == WireType::kLen) out->name = f.str();
  }
  const std::string what = out->describe();
  Field f;
  auto ctx = [&](Status st) { return st.ok() ? st : st.with_context(what); };
  while (!reader.done()) {
    ER_RETURN_IF_ERROR(ctx(reader.next(&f)));
    switch (f.number) {
      case tf::kDims:
        ER_RETURN_IF_ERROR(ctx(wire::append_int64s(f, &out->dims, "dims")));
        break;
      case tf::kDataType: {
        ER_RETURN_IF_ERROR(ctx(wire::expect_type(f, WireType::kVarint, "data_type")));
        int64_t v = f.as_int64();
        if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max())
          return invalid_model(what, ": unknown data type ", v);
        out->data_type = static_cast<int32_t>(v);
        break;
      }
      case tf::kSegment:
        ER_RETURN_IF_ERROR(ctx(wire::expect_type(f, WireType::kLen, "segment")));
        out->has_segment = true;
        break;
      case tf::kFloatData:
        ER_RETURN_IF_ERROR(ctx(wire::append_floats(f, &out->float_data, "float_data")));
        break;
      case tf::kInt32Data:
        ER_RETURN_IF_ERROR(ctx(wire::append_int32s(f, &out->int32_data, "int32_data")));
        break;
      case tf::kStringData:
        ER_RETURN_IF_ERROR(ctx(wire::expect_type(f, WireType::kLen, "string_data")));
        ++out->string_count;
        break;
      case tf::kInt64Data:
        ER_RETURN_IF_ERROR(ctx(wire::append_int64s(f, &out->int64_data, "int64_data")));
        break;
      case tf::kName:
        ER_RETURN_IF_ERROR(ctx(wire::expect_type(f, WireType::kLen, "name")));
        break;
      case tf::kRawData:
        ER_RETURN_IF_ERROR(ctx(wire::expect_type(f, WireType::kLen, "raw_data")));
        out->has_raw_data = true;
        out->raw_data = f.data;
        out->raw_size = f.size;
        break;
      case tf::kDoubleData:
        ER_RETURN_IF_ERROR(ctx(wire::append_doubles(f, &out->double_data, "double_data")));
        break;
      case tf::kUint64Data:
        ER_RETURN_IF_ERROR(ctx(wire::append_varints(f, &out->uint64_data, "uint64_data")));
        break;
      case tf::kDocString:
        ER_RETURN_IF_ERROR(ctx(wire::expect_type(f, WireType::kLen, "doc_string")));
        break;
      case tf::kExternalData: {
        Expected<wire::Reader> entry_or = reader.sub(f);
        if (!entry_or.ok()) return ctx(entry_or.status());
        wire::Reader entry = *entry_or;
        std::pair<std::string, std::string> kv;
        Field e;
        while (!entry.done()) {
          ER_RETURN_IF_ERROR(ctx(entry.next(&e)));
          if (e.number == 1 || e.number == 2) {
            ER_RETURN_IF_ERROR(ctx(wire::expect_type(e, WireType::kLen, e.number == 1 ? "external_data.key"
                                                                                       : "external_data.value")));
            (e.number == 1 ? kv.first : kv.second) = e.str();
          }
        }
        out->external_data.push_back(std::move(kv));
        break;
      }
      case tf::kDataLocation:
        ER_RETURN_IF_ERROR(ctx(wire::expect_type(f, WireType::kVarint, "data_location")));
        out->data_location = f.value > 0x7fffffff ? -1 : static_cast<int32_t>(f.value);
        break;
      default:
        break;  // unknown or unused (metadata_props): skipped for forward compatibility
    }
  }
  return Status();
}

namespace {

// Which typed field holds each dtype (ONNX spec: small ints, bool and 16-bit floats go in int32_data,
// uint32/uint64 in uint64_data).
const char* typed_field_for(DType dt) {
  switch (dt) {
    case DType::kFloat32: return "float_data";
    case DType::kInt64: return "int64_data";
    case DType::kFloat64: return "double_data";
    case DType::kUInt32: case DType::kUInt64: return "uint64_data";
    default: return "int32_data";
  }
}

template <class Dst, class Src, class Convert>
void convert_into(Tensor& t, const std::vector<Src>& src, Convert convert) {
  Dst* d = t.data<Dst>();
  for (size_t i = 0; i < src.size(); ++i) d[i] = convert(src[i]);
}

template <class Dst, class Src>
void cast_into(Tensor& t, const std::vector<Src>& src) {
  convert_into<Dst>(t, src, [](Src v) { return static_cast<Dst>(v); });
}

}  // namespace

Expected<Tensor> make_tensor(const TensorProtoFields& f, const TensorSource& source) {
  const std::string what = f.describe();
  if (f.has_segment) return unsupported(what, ": segmented tensors are not supported");
  if (f.data_type == 0) return invalid_model(what, ": data_type is missing");
  ER_ASSIGN_OR_RETURN(DType dt, dtype_from_onnx(f.data_type, what));
  if (dt == DType::kString) return unsupported(what, ": string tensors are not supported");
  ER_ASSIGN_OR_RETURN(size_t nbytes, checked_nbytes(f.dims, dt, what));
  const size_t numel = nbytes / dtype_size(dt);
  if (f.string_count) return invalid_model(what, ": has string_data, but its data type is ", dtype_name(dt));

  // Name the typed fields in use, to report data in the wrong place.
  std::vector<std::pair<const char*, size_t>> typed = {
      {"float_data", f.float_data.size()},   {"int32_data", f.int32_data.size()},
      {"int64_data", f.int64_data.size()},   {"double_data", f.double_data.size()},
      {"uint64_data", f.uint64_data.size()},
  };
  const char* expected_field = typed_field_for(dt);
  size_t count = 0;
  for (const auto& [field, n] : typed) {
    if (n == 0) continue;
    if (f.has_raw_data || f.data_location == 1)
      return invalid_model(what, ": has both ", f.has_raw_data ? "raw_data" : "external data", " and ", field);
    if (std::strcmp(field, expected_field) != 0)
      return invalid_model(what, ": ", dtype_name(dt), " values belong in ", expected_field, " or raw_data, found ",
                           n, " in ", field);
    count = n;
  }

  if (f.data_location == 1) {
    if (f.has_raw_data) return invalid_model(what, ": has both raw_data and external data");
    if (!source.load_external) return unsupported(what, ": external data cannot be resolved here");
    return source.load_external(f, dt, f.dims, nbytes);
  }
  if (f.data_location != 0) return invalid_model(what, ": data_location ", f.data_location, " is not 0 or 1");

  if (f.has_raw_data) {
    if (f.raw_size != nbytes)
      return invalid_model(what, ": raw_data has ", f.raw_size, " bytes, but ", dtype_name(dt), " of shape ",
                           shape_str(f.dims), " needs ", nbytes);
    return tensor_over_bytes(dt, f.dims, f.raw_data, nbytes, source.keepalive);
  }

  if (count != numel) {
    if (count == 0) return invalid_model(what, ": has no data, but shape ", shape_str(f.dims), " needs ", numel,
                                         " values");
    return invalid_model(what, ": has ", count, " values in ", expected_field, ", but shape ", shape_str(f.dims),
                         " needs ", numel);
  }
  Tensor t = Tensor::empty(dt, f.dims);
  if (numel == 0) return t;
  switch (dt) {
    case DType::kFloat32: std::memcpy(t.raw_data(), f.float_data.data(), nbytes); break;
    case DType::kFloat64: std::memcpy(t.raw_data(), f.double_data.data(), nbytes); break;
    case DType::kInt64: std::memcpy(t.raw_data(), f.int64_data.data(), nbytes); break;
    case DType::kInt32: std::memcpy(t.raw_data(), f.int32_data.data(), nbytes); break;
    case DType::kUInt64: std::memcpy(t.raw_data(), f.uint64_data.data(), nbytes); break;
    case DType::kUInt32: cast_into<uint32_t>(t, f.uint64_data); break;
    case DType::kInt8: cast_into<int8_t>(t, f.int32_data); break;
    case DType::kUInt8: cast_into<uint8_t>(t, f.int32_data); break;
    case DType::kInt16: cast_into<int16_t>(t, f.int32_data); break;
    // float16 / bfloat16 values are stored as their bit patterns in the low 16 bits.
    case DType::kUInt16: case DType::kFloat16: case DType::kBFloat16: cast_into<uint16_t>(t, f.int32_data); break;
    case DType::kBool: convert_into<uint8_t>(t, f.int32_data, [](int32_t v) { return uint8_t(v != 0); }); break;
    default: return internal_error(what, ": no decoder for ", dtype_name(dt));
  }
  return t;
}

}  // namespace edgerun::onnx
