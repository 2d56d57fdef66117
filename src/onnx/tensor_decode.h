// TensorProto decoding shared by the model loader and the standalone .pb reader.
// Two steps: read the wire fields (raw_data stays a span of the file), then turn them into a Tensor
// (a zero-copy view when the caller can keep the bytes alive, otherwise an owning copy).
#pragma once

#include "core/dtype_names.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "edgerun/status.h"
#include "edgerun/tensor.h"
#include "onnx/wire.h"

namespace edgerun::onnx {

// ONNX TensorProto field numbers.
namespace tensor_field {
constexpr uint32_t kDims = 1, kDataType = 2, kSegment = 3, kFloatData = 4, kInt32Data = 5, kStringData = 6,
                   kInt64Data = 7, kName = 8, kRawData = 9, kDoubleData = 10, kUint64Data = 11, kDocString = 12,
                   kExternalData = 13, kDataLocation = 14;
}  // namespace tensor_field

struct TensorProtoFields {
  std::string name;
  Shape dims;
  int32_t data_type = 0;
  bool has_raw_data = false;
  const uint8_t* raw_data = nullptr;  // points into the buffer that was parsed
  size_t raw_size = 0;
  std::vector<float> float_data;
  std::vector<int32_t> int32_data;
  std::vector<int64_t> int64_data;
  std::vector<double> double_data;
  std::vector<uint64_t> uint64_data;
  size_t string_count = 0;
  std::vector<std::pair<std::string, std::string>> external_data;  // key -> value
  int32_t data_location = 0;  // 0 = DEFAULT, 1 = EXTERNAL
  bool has_segment = false;

  // "tensor 'conv1.weight'" or "unnamed tensor", for error messages.
  std::string describe() const;
};

// Reads one TensorProto message. Errors name the tensor when its name could be read.
Status read_tensor_fields(wire::Reader reader, TensorProtoFields* out);

// Where a tensor's bytes may come from besides the message itself.
struct TensorSource {
  // Owner of the buffer the message was read from. Set: aligned raw_data becomes a view kept alive by it.
  // Null: raw_data is always copied.
  std::shared_ptr<const void> keepalive;
  // Resolves data_location = EXTERNAL (given dtype, shape and byte count). Null: external data is an error.
  std::function<Expected<Tensor>(const TensorProtoFields&, DType, const Shape&, size_t nbytes)> load_external;
};

Expected<Tensor> make_tensor(const TensorProtoFields& fields, const TensorSource& source);

// A DataType value from a file -> DType. `what` names the tensor or value in the error:
// undefined (0) and string are accepted here; the ONNX types edgerun cannot hold (complex, float8, int4, ...)
// are kUnsupported, numbers ONNX does not define are kInvalidModel. Both errors give the number.
Expected<DType> dtype_from_onnx(int32_t data_type, const std::string& what);

// Checks dims (no negatives) and that numel * element size fits in size_t. `what` names the tensor.
Expected<size_t> checked_nbytes(const Shape& dims, DType dtype, const std::string& what);

// A tensor over `nbytes` bytes at `data`: a view if `keepalive` is set and `data` is aligned to the
// element size, otherwise an owning copy.
Tensor tensor_over_bytes(DType dtype, const Shape& dims, const uint8_t* data, size_t nbytes,
                         const std::shared_ptr<const void>& keepalive);

}  // namespace edgerun::onnx
