// Shared by the XNNPACK adapter's op files: operator ownership, status checks, the pthreadpool, NCHW <-> NHWC
// conversion and activations XNNPACK applies as separate element-wise operators.
#pragma once

#include <xnnpack.h>

#include <cstddef>
#include <cstdint>
#include <memory>

#include "edgerun/status.h"
#include "kernels/epilogue.h"
#include "ops/op_registry.h"

namespace edgerun::xnn {

struct OperatorDeleter {
  void operator()(xnn_operator_t op) const {
    if (op) xnn_delete_operator(op);
  }
};
using OperatorPtr = std::unique_ptr<struct xnn_operator, OperatorDeleter>;

// Initializes XNNPACK once per process; an error when the CPU lacks what it needs.
Status initialize();

// Ok, or an internal error naming the call and the node.
Status check(enum xnn_status status, const char* call, const PrepareContext* ctx = nullptr);

// XNNPACK's thread pool sized to the session's threads (shared by all kernels with that size; nullptr for one
// thread: XNNPACK then runs on the caller).
pthreadpool_t threadpool_for(const KernelContext& ctx);

// float32 buffer with XNN_EXTRA_BYTES of readable (zeroed) slack after `count` floats.
class PaddedBuffer {
 public:
  void resize(size_t count);
  float* data() { return data_.get(); }
  size_t size() const { return count_; }

 private:
  std::unique_ptr<float[]> data_;
  size_t count_ = 0;
};

// dst[n][p][c] = src[n][c][p] for p in [0, hw): NCHW -> NHWC.
void nchw_to_nhwc(const float* src, int64_t batch, int64_t channels, int64_t hw, float* dst, pthreadpool_t pool);
// dst[n][c][p] = act(src[n][p][c] + residual[n][c][p]): NHWC -> NCHW with an optional NCHW residual and clamp
// (clamp_min/max = -inf/+inf for none).
void nhwc_to_nchw(const float* src, int64_t batch, int64_t channels, int64_t hw, float* dst, const float* residual,
                  float clamp_min, float clamp_max, pthreadpool_t pool);

// Output bounds XNNPACK fuses into an operator: the activation's clamp, or (-inf, +inf).
void clamp_bounds(const kernels::Activation& act, float* lo, float* hi);

// An activation applied in place to `count` floats after the main operator: clamp (fused into the main operator
// where possible), HardSwish, Sigmoid, SiLU (sigmoid then multiply), LeakyRelu.
class PostActivation {
 public:
  static bool supported(const kernels::Activation& act);
  Status init(const kernels::Activation& act, size_t count);
  bool empty() const { return kind_ == kernels::Act::kNone; }
  // Applies the activation to data[0, count) in place; sets up again only when `data` or `pool` changed.
  Status run(float* data, pthreadpool_t pool);

 private:
  kernels::Act kind_ = kernels::Act::kNone;
  size_t count_ = 0;
  OperatorPtr op_, mul_;   // mul_: SiLU's x * sigmoid(x)
  PaddedBuffer tmp_;       // SiLU: sigmoid(x)
  float* data_ = nullptr;
  pthreadpool_t pool_ = nullptr;
  bool set_up_ = false;
};

}  // namespace edgerun::xnn
