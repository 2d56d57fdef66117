// Helpers shared by the data-movement ops (src/ops/shape_*.cpp, resize.cpp): checked shape
// arithmetic, reading shape-determining integer inputs, and one precomputed N-d strided copy
// that Transpose, Slice, Concat, Split, Expand, Tile, DepthToSpace and SpaceToDepth all reduce to.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "edgerun/status.h"
#include "edgerun/tensor.h"
#include "ops/op_registry.h"

namespace edgerun::shape_ops {

// Sub-families registered by register_shape_ops (src/ops/shape.cpp).
void register_view_ops(OpRegistry& r);          // Reshape, Flatten, Squeeze, Unsqueeze, Identity, Dropout
void register_constant_ops(OpRegistry& r);      // Shape, Size, Constant, ConstantOfShape, Range, EyeLike
void register_transpose_ops(OpRegistry& r);     // Transpose, DepthToSpace, SpaceToDepth
void register_concat_split_ops(OpRegistry& r);  // Concat, Split
void register_slice_ops(OpRegistry& r);         // Slice
void register_pad_ops(OpRegistry& r);           // Pad
void register_expand_tile_ops(OpRegistry& r);   // Expand, Tile
void register_gather_ops(OpRegistry& r);        // Gather, GatherElements, GatherND
void register_scatter_ops(OpRegistry& r);       // ScatterElements, Scatter, ScatterND
void register_select_ops(OpRegistry& r);        // OneHot, Trilu, Compress, NonZero

// Product of dims; error if a dim is negative or the product (in elements or bytes of `elem_size`)
// overflows int64. Every output shape derived from data goes through this before set_output.
Expected<int64_t> checked_numel(const Shape& shape, size_t elem_size = 1);
// Same, with the error naming the node.
Expected<int64_t> checked_numel(const PrepareContext& ctx, const Shape& shape, size_t elem_size = 1);

// Error unless `dtype` has a fixed element size (everything but string/undefined).
Status check_copyable(const PrepareContext& ctx, DType dtype, const char* what);

// Input i as a list of integers, for inputs that decide shapes (axes, pads, starts, ...):
// must be int32/int64 and known at prepare (constant or graph input).
Expected<std::vector<int64_t>> int_list_input(PrepareContext& ctx, int i, const char* what);

// Normalizes a list of axes against `rank` (negative allowed); error on out-of-range or repeats.
Expected<std::vector<int>> normalize_axes(const PrepareContext& ctx, const std::vector<int64_t>& axes, int rank,
                                          const char* what);

// Stores `v` into element i of `t` (any numeric dtype; integers round to nearest and saturate).
void write_double(Tensor& t, int64_t i, double v);
// Encodes `v` as one element of `dtype` into `out` (dtype_size bytes).
void encode_double(DType dtype, double v, void* out);

// Copies an N-d iteration space from `src` to `dst` with arbitrary element strides
// (0 = broadcast, negative = reversed). Built once at prepare; run() allocates nothing.
class StridedCopy {
 public:
  StridedCopy() = default;
  // `shape` is the iteration space; strides are in elements, one per dim of `shape`.
  StridedCopy(size_t elem_size, const Shape& shape, const std::vector<int64_t>& dst_strides,
              const std::vector<int64_t>& src_strides);
  // dst/src point at element [0, ..., 0] of the iteration space.
  void run(void* dst, const void* src) const;
  int64_t numel() const { return numel_; }

 private:
  void copy_dim(size_t d, char* dst, const char* src) const;
  size_t elem_ = 0;
  int64_t numel_ = 0;
  Shape shape_;                                 // unit dims dropped, mergeable neighbours merged
  std::vector<int64_t> dst_bytes_, src_bytes_;  // strides in bytes
};

// Copies input 0 to output 0 with one memcpy (Reshape, Flatten, Squeeze, Unsqueeze, Identity).
class CopyKernel : public OpKernel {
 public:
  Status run(KernelContext& ctx) override;
};

// For nodes whose outputs are all constants set at prepare (Shape, Size, Constant, ...).
class NoOpKernel : public OpKernel {
 public:
  Status run(KernelContext&) override { return Status(); }
};

inline Expected<std::unique_ptr<OpKernel>> no_op_kernel() { return make_kernel<NoOpKernel>(); }

}  // namespace edgerun::shape_ops
