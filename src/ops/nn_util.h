// Pieces shared by the conv / pool / matmul / norm reference kernels: a cache-friendly float GEMM,
// thread-local scratch memory, sliding-window geometry (kernel, strides, dilations, pads, auto_pad,
// ceil_mode) and a wrapper that runs a float32 kernel on float16 / float64 / bfloat16 / 8-bit tensors.
#pragma once

#include <array>
#include <climits>
#include <cstdint>
#include <memory>
#include <vector>

#include "edgerun/status.h"
#include "edgerun/tensor.h"
#include "ops/op_registry.h"

namespace edgerun::nn {

// ---------------------------------------------------------------------------------------------
// GEMM

// C[m, n] = A[m, k] * B[k, n], or C += A * B when `accumulate`. Row-major with leading dimensions
// (lda >= k, ldb >= n, ldc >= n). Blocked so that a panel of B stays in cache while every row of A
// streams over it; the inner loop is a contiguous axpy the compiler vectorizes.
void gemm_f32(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb, float* c,
              int64_t ldc, bool accumulate);

// C[m, n] = A[m, k] * Bt[n, k]^T (or += when `accumulate`): B given transposed, as Gemm's transB
// and fully-connected weights store it. Dot products over contiguous rows, so the weights are
// read in place instead of being repacked.
void gemm_f32_nt(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* bt, int64_t ldb,
                 float* c, int64_t ldc, bool accumulate);

// dst[cols, rows] = src[rows, cols]^T (row-major, contiguous).
void transpose_f32(const float* src, int64_t rows, int64_t cols, float* dst);

// ---------------------------------------------------------------------------------------------
// Scratch memory

// Float scratch for im2col tiles and run-time weight transposes, shared by all reference kernels
// on the calling thread (one buffer per thread instead of one per node keeps peak memory low).
// prepare() reserves what its kernel will need, so run() normally allocates nothing; the buffer
// only grows if a kernel runs on a thread that never prepared it.
float* scratch_floats(size_t count);
void reserve_scratch_floats(size_t count);

// ---------------------------------------------------------------------------------------------
// Sliding windows (Conv, ConvTranspose, pools)

enum class AutoPad { kNotSet, kSameUpper, kSameLower, kValid };

Expected<AutoPad> read_auto_pad(const PrepareContext& ctx);

// Geometry of a window sliding over up to 3 spatial dims. Spatial ranks 1 and 2 are stored as 3-D
// with leading dims of size 1 (kernel 1, stride 1, no pad), so one set of loops serves all ranks.
struct Window3d {
  int rank = 0;                       // spatial rank as given (1..3)
  std::array<int64_t, 3> in{1, 1, 1};       // input spatial dims  [D, H, W]
  std::array<int64_t, 3> out{1, 1, 1};      // output spatial dims
  std::array<int64_t, 3> kernel{1, 1, 1};
  std::array<int64_t, 3> stride{1, 1, 1};
  std::array<int64_t, 3> dilation{1, 1, 1};
  std::array<int64_t, 3> pad_begin{0, 0, 0};
  std::array<int64_t, 3> pad_end{0, 0, 0};

  int64_t in_size() const { return in[0] * in[1] * in[2]; }
  int64_t out_size() const { return out[0] * out[1] * out[2]; }
  int64_t kernel_size() const { return kernel[0] * kernel[1] * kernel[2]; }
  // Extent of one dilated window along axis a.
  int64_t extent(int a) const { return (kernel[a] - 1) * dilation[a] + 1; }
};

struct WindowOptions {
  bool allow_ceil_mode = false;   // read `ceil_mode`
  bool allow_dilations = true;    // read `dilations` (AveragePool < 19, MaxPool < 10, LpPool < 18: not defined)
};

// Reads strides / dilations / pads / auto_pad (and ceil_mode when allowed) for input spatial dims
// `in_spatial` and the given kernel, validates them and computes the output dims and the effective
// pads (auto_pad resolved). Spatial rank must be 1..3.
Expected<Window3d> make_window(const PrepareContext& ctx, const Shape& in_spatial, const std::vector<int64_t>& kernel,
                               const WindowOptions& opts);

// Error unless `shape` has fewer than 2^40 elements (checked without overflow): attributes such as
// huge pads or strides must not make an output size wrap around.
Status check_output_size(const PrepareContext& ctx, const Shape& shape);

// Reads an ints attribute that must have exactly `count` values (or be absent: `def`), each in [lo, hi].
Expected<std::vector<int64_t>> read_ints_attr(const PrepareContext& ctx, const char* name, size_t count,
                                              const std::vector<int64_t>& def, int64_t lo, int64_t hi);

// Range [lo, hi) of i in [0, count) with 0 <= i * step + offset < limit (step > 0).
inline void valid_range(int64_t count, int64_t step, int64_t offset, int64_t limit, int64_t* lo, int64_t* hi) {
  int64_t l = offset >= 0 ? 0 : (-offset + step - 1) / step;
  int64_t h = limit - 1 - offset < 0 ? 0 : (limit - 1 - offset) / step + 1;
  *lo = l < count ? l : count;
  *hi = h < count ? h : count;
  if (*hi < *lo) *hi = *lo;
}

// ---------------------------------------------------------------------------------------------
// Dtypes

// float32, float16, float64, bfloat16.
bool is_float_dtype(DType t);
// Error unless input i is one of the float dtypes (or, when `allow_8bit`, int8/uint8).
Status check_float_input(const PrepareContext& ctx, int i, const char* what, bool allow_8bit = false);

// A float32 copy of constant input i (the tensor itself when already float32), or an undefined
// Tensor when the input is absent or not constant.
Tensor constant_as_f32(const PrepareContext& ctx, int i);

// Kernels are written for float32. For inputs/outputs of other float dtypes (and 8-bit ints where
// the op is exact in float, e.g. MaxPool) this wrapper converts to float32 scratch tensors, runs
// the float kernel and converts the results back. Returns `kernel` itself when everything is float32.
Expected<std::unique_ptr<OpKernel>> finish_float_kernel(const PrepareContext& ctx, std::unique_ptr<OpKernel> kernel);

// Registers a schema [since, until] with a prepare function.
void add_op(OpRegistry& r, const char* op_type, int since, PrepareFn prepare, int until = INT_MAX);

}  // namespace edgerun::nn

namespace edgerun {
// Softmax, LogSoftmax, Hardmax (nn_softmax.cpp); called by register_norm_ops.
void register_softmax_ops(OpRegistry& r);
}  // namespace edgerun
