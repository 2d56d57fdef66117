#include "edgerun/tensor.h"

#include <cstdlib>
#include <cstring>

#include "core/large_alloc.h"

namespace edgerun {

size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::kFloat32: case DType::kInt32: case DType::kUInt32: return 4;
    case DType::kUInt8: case DType::kInt8: case DType::kBool: return 1;
    case DType::kUInt16: case DType::kInt16: case DType::kFloat16: case DType::kBFloat16: return 2;
    case DType::kInt64: case DType::kFloat64: case DType::kUInt64: return 8;
    case DType::kUndefined: case DType::kString: return 0;
  }
  return 0;
}

const char* dtype_name(DType dtype) {
  switch (dtype) {
    case DType::kUndefined: return "undefined";
    case DType::kFloat32: return "float32";
    case DType::kUInt8: return "uint8";
    case DType::kInt8: return "int8";
    case DType::kUInt16: return "uint16";
    case DType::kInt16: return "int16";
    case DType::kInt32: return "int32";
    case DType::kInt64: return "int64";
    case DType::kString: return "string";
    case DType::kBool: return "bool";
    case DType::kFloat16: return "float16";
    case DType::kFloat64: return "float64";
    case DType::kUInt32: return "uint32";
    case DType::kUInt64: return "uint64";
    case DType::kBFloat16: return "bfloat16";
  }
  return "unknown";
}

bool dtype_is_valid(int32_t t) {
  return (t >= 1 && t <= 13) || t == 16;
}

int64_t shape_numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string shape_str(const Shape& shape) {
  if (shape.empty()) return "scalar";
  std::string s;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += 'x';
    s += shape[i] < 0 ? std::string("?") : std::to_string(shape[i]);
  }
  return s;
}

namespace {
constexpr size_t kOwnMappingBytes = size_t{1} << 20;
}  // namespace

Tensor Tensor::empty(DType dtype, Shape shape) {
  Tensor t;
  t.dtype_ = dtype;
  t.shape_ = std::move(shape);
  size_t bytes = t.nbytes();
  size_t alloc = (bytes + 63) / 64 * 64 + 64;  // never zero; slack for vector tails
  // Large buffers (weights, arenas) get their own anonymous mapping: already zero, and unmapped on release, so
  // memory freed while planning (initializers dropped after packing) goes back to the system at once instead of
  // staying in the allocator's heap.
  if (alloc >= kOwnMappingBytes) {
    void* m = map_zeroed(alloc);  // huge pages from 2 MiB (core/large_alloc.h)
    if (!m) return Tensor();
    t.storage_ = std::shared_ptr<const void>(m, [alloc](const void* q) { unmap_zeroed(const_cast<void*>(q), alloc); });
    t.data_ = m;
    return t;
  }
  void* p = std::aligned_alloc(64, alloc);
  if (!p) return Tensor();  // out of memory: an undefined tensor; callers that size from data check defined()
  std::memset(p, 0, alloc);
  t.storage_ = std::shared_ptr<const void>(p, [](const void* q) { std::free(const_cast<void*>(q)); });
  t.data_ = p;
  return t;
}

Tensor Tensor::view(DType dtype, Shape shape, void* data, std::shared_ptr<const void> keepalive) {
  Tensor t;
  t.dtype_ = dtype;
  t.shape_ = std::move(shape);
  t.data_ = data;
  t.storage_ = std::move(keepalive);
  return t;
}

Tensor Tensor::clone() const {
  Tensor t = empty(dtype_, shape_);
  if (nbytes()) std::memcpy(t.data_, data_, nbytes());
  return t;
}

Tensor Tensor::reshaped(Shape shape) const {
  Tensor t = *this;
  t.shape_ = std::move(shape);
  return t;
}

}  // namespace edgerun
