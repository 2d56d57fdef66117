// Tensor: dtype + shape + data, either owning (64-byte aligned heap) or a view of memory
// someone else keeps alive (an mmap'd model file, a caller buffer, an arena slot).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace edgerun {

// Values equal ONNX TensorProto.DataType so the loader can cast directly.
enum class DType : int32_t {
  kUndefined = 0,
  kFloat32 = 1,
  kUInt8 = 2,
  kInt8 = 3,
  kUInt16 = 4,
  kInt16 = 5,
  kInt32 = 6,
  kInt64 = 7,
  kString = 8,
  kBool = 9,
  kFloat16 = 10,
  kFloat64 = 11,
  kUInt32 = 12,
  kUInt64 = 13,
  kBFloat16 = 16,
};

size_t dtype_size(DType dtype);           // bytes per element; 0 for undefined/string
const char* dtype_name(DType dtype);      // "float32", "uint8", ...
bool dtype_is_valid(int32_t onnx_type);   // a DataType value edgerun can hold

using Shape = std::vector<int64_t>;       // -1 = unknown (only in model metadata, never in a Tensor)

int64_t shape_numel(const Shape& shape);  // 1 for a scalar (rank 0)
std::string shape_str(const Shape& shape);  // "1x3x224x224"; "scalar" for rank 0

class Tensor {
 public:
  Tensor() = default;
  // Owning, zero-filled, 64-byte aligned. Undefined (defined() == false) if memory is exhausted.
  static Tensor empty(DType dtype, Shape shape);
  // Non-owning view; `data` must outlive the tensor (or be kept alive by `keepalive`).
  static Tensor view(DType dtype, Shape shape, void* data, std::shared_ptr<const void> keepalive = nullptr);
  template <class T>
  static Tensor from_vector(DType dtype, Shape shape, const std::vector<T>& values);

  bool defined() const { return dtype_ != DType::kUndefined; }
  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  int rank() const { return static_cast<int>(shape_.size()); }
  int64_t dim(int i) const { return shape_[static_cast<size_t>(i < 0 ? i + rank() : i)]; }
  int64_t numel() const { return shape_numel(shape_); }
  size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype_); }

  void* raw_data() { return data_; }
  const void* raw_data() const { return data_; }
  template <class T>
  T* data() { return static_cast<T*>(data_); }
  template <class T>
  const T* data() const { return static_cast<const T*>(data_); }

  Tensor clone() const;                  // deep copy, owning
  Tensor reshaped(Shape shape) const;    // same data, new shape (numel must match)

 private:
  DType dtype_ = DType::kUndefined;
  Shape shape_;
  void* data_ = nullptr;
  std::shared_ptr<const void> storage_;
};

template <class T>
Tensor Tensor::from_vector(DType dtype, Shape shape, const std::vector<T>& values) {
  Tensor t = empty(dtype, std::move(shape));
  T* p = t.data<T>();
  for (size_t i = 0; i < values.size() && static_cast<int64_t>(i) < t.numel(); ++i) p[i] = values[i];
  return t;
}

}  // namespace edgerun
