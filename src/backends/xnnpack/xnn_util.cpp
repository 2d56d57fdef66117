#include "backends/xnnpack/xnn_util.h"

#include <pthreadpool.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <map>
#include <mutex>

#include "core/thread_pool.h"

namespace edgerun::xnn {

Status initialize() {
  static const enum xnn_status status = xnn_initialize(nullptr);
  if (status != xnn_status_success)
    return unsupported("XNNPACK could not initialize on this CPU (xnn_initialize status ", static_cast<int>(status),
                       ")");
  return Status();
}

Status check(enum xnn_status status, const char* call, const PrepareContext* ctx) {
  if (status == xnn_status_success) return Status();
  const char* why = status == xnn_status_out_of_memory         ? "out of memory"
                    : status == xnn_status_invalid_parameter   ? "invalid parameter"
                    : status == xnn_status_unsupported_parameter ? "unsupported parameter"
                    : status == xnn_status_unsupported_hardware  ? "unsupported hardware"
                                                                 : "failed";
  if (ctx) return internal_error(ctx->node().describe(), ": XNNPACK ", call, ": ", why);
  return internal_error("XNNPACK ", call, ": ", why);
}

pthreadpool_t threadpool_for(const KernelContext& ctx) {
  const int threads = ctx.pool ? ctx.pool->size() : 1;
  if (threads <= 1) return nullptr;
  // One pool per size for the whole process (sessions with the same thread count share it; destroyed at exit).
  static std::mutex mu;
  static std::map<int, pthreadpool_t>* pools = new std::map<int, pthreadpool_t>();
  std::lock_guard<std::mutex> lock(mu);
  pthreadpool_t& p = (*pools)[threads];
  if (!p) p = pthreadpool_create(static_cast<size_t>(threads));
  return p;
}

void PaddedBuffer::resize(size_t count) {
  const size_t total = count + XNN_EXTRA_BYTES / sizeof(float);
  data_.reset(new float[total]());
  count_ = count;
}

namespace {
constexpr int64_t kTile = 32;  // transpose tile: 32 x 32 floats (4 KiB) stays in L1
}

void nchw_to_nhwc(const float* src, int64_t batch, int64_t channels, int64_t hw, float* dst, pthreadpool_t pool) {
  const int64_t ptiles = (hw + kTile - 1) / kTile;
  pthreadpool_parallelize_1d(
      pool,
      [&](size_t job) {
        const int64_t n = static_cast<int64_t>(job) / ptiles, p0 = static_cast<int64_t>(job) % ptiles * kTile;
        const int64_t p1 = std::min(hw, p0 + kTile);
        const float* s = src + n * channels * hw;  // [C, HW]
        float* d = dst + n * channels * hw;        // [HW, C]
        for (int64_t c0 = 0; c0 < channels; c0 += kTile) {
          const int64_t c1 = std::min(channels, c0 + kTile);
          for (int64_t p = p0; p < p1; ++p)
            for (int64_t c = c0; c < c1; ++c) d[p * channels + c] = s[c * hw + p];
        }
      },
      static_cast<size_t>(batch * ptiles));
}

void nhwc_to_nchw(const float* src, int64_t batch, int64_t channels, int64_t hw, float* dst, const float* residual,
                  float clamp_min, float clamp_max, pthreadpool_t pool) {
  const int64_t ctiles = (channels + kTile - 1) / kTile;
  pthreadpool_parallelize_1d(
      pool,
      [&](size_t job) {
        const int64_t n = static_cast<int64_t>(job) / ctiles, c0 = static_cast<int64_t>(job) % ctiles * kTile;
        const int64_t c1 = std::min(channels, c0 + kTile);
        const float* s = src + n * channels * hw;  // [HW, C]
        float* d = dst + n * channels * hw;        // [C, HW]
        const float* r = residual ? residual + n * channels * hw : nullptr;
        for (int64_t p0 = 0; p0 < hw; p0 += kTile) {
          const int64_t p1 = std::min(hw, p0 + kTile);
          for (int64_t c = c0; c < c1; ++c) {
            if (r) {
              for (int64_t p = p0; p < p1; ++p)
                d[c * hw + p] = std::min(std::max(s[p * channels + c] + r[c * hw + p], clamp_min), clamp_max);
            } else {
              for (int64_t p = p0; p < p1; ++p)
                d[c * hw + p] = std::min(std::max(s[p * channels + c], clamp_min), clamp_max);
            }
          }
        }
      },
      static_cast<size_t>(batch * ctiles));
}

void clamp_bounds(const kernels::Activation& act, float* lo, float* hi) {
  *lo = -std::numeric_limits<float>::infinity();
  *hi = std::numeric_limits<float>::infinity();
  if (act.kind == kernels::Act::kClamp) {
    *lo = act.alpha;
    *hi = act.beta;
  }
}

bool PostActivation::supported(const kernels::Activation& act) {
  switch (act.kind) {
    case kernels::Act::kNone:
    case kernels::Act::kClamp:
    case kernels::Act::kHardSwish:
    case kernels::Act::kSigmoid:
    case kernels::Act::kSiLU:
    case kernels::Act::kLeakyRelu:
      return true;
    default:
      return false;
  }
}

Status PostActivation::init(const kernels::Activation& act, size_t count) {
  kind_ = act.kind;
  count_ = count;
  xnn_operator_t op = nullptr;
  const float inf = std::numeric_limits<float>::infinity();
  switch (act.kind) {
    case kernels::Act::kNone:
      return Status();
    case kernels::Act::kClamp:
      ER_RETURN_IF_ERROR(check(xnn_create_clamp_nc_f32(1, 1, 1, act.alpha, act.beta, 0, &op), "create clamp"));
      break;
    case kernels::Act::kHardSwish:
      ER_RETURN_IF_ERROR(check(xnn_create_hardswish_nc_f32(1, 1, 1, 0, &op), "create hardswish"));
      break;
    case kernels::Act::kSigmoid:
      ER_RETURN_IF_ERROR(check(xnn_create_sigmoid_nc_f32(1, 1, 1, 0, &op), "create sigmoid"));
      break;
    case kernels::Act::kSiLU: {
      ER_RETURN_IF_ERROR(check(xnn_create_sigmoid_nc_f32(1, 1, 1, 0, &op), "create sigmoid"));
      xnn_operator_t mul = nullptr;
      ER_RETURN_IF_ERROR(check(xnn_create_multiply_nd_f32(-inf, inf, 0, &mul), "create multiply"));
      mul_.reset(mul);
      tmp_.resize(count);
      break;
    }
    case kernels::Act::kLeakyRelu:
      ER_RETURN_IF_ERROR(check(xnn_create_leaky_relu_nc_f32(1, 1, 1, act.alpha, 0, &op), "create leaky relu"));
      break;
    default:
      return unsupported("activation not supported by the XNNPACK adapter");
  }
  op_.reset(op);
  return Status();
}

Status PostActivation::run(float* data, pthreadpool_t pool) {
  if (kind_ == kernels::Act::kNone || count_ == 0) return Status();
  if (!set_up_ || data != data_ || pool != pool_) {
    enum xnn_status st = xnn_status_success;
    switch (kind_) {
      case kernels::Act::kClamp: st = xnn_setup_clamp_nc_f32(op_.get(), count_, data, data, pool); break;
      case kernels::Act::kHardSwish: st = xnn_setup_hardswish_nc_f32(op_.get(), count_, data, data, pool); break;
      case kernels::Act::kSigmoid: st = xnn_setup_sigmoid_nc_f32(op_.get(), count_, data, data, pool); break;
      case kernels::Act::kLeakyRelu: st = xnn_setup_leaky_relu_nc_f32(op_.get(), count_, data, data, pool); break;
      case kernels::Act::kSiLU: {
        st = xnn_setup_sigmoid_nc_f32(op_.get(), count_, data, tmp_.data(), pool);
        if (st != xnn_status_success) break;
        const size_t shape[1] = {count_};
        st = xnn_setup_multiply_nd_f32(mul_.get(), 1, shape, 1, shape, data, tmp_.data(), data, pool);
        break;
      }
      default: break;
    }
    ER_RETURN_IF_ERROR(check(st, "setup activation"));
    data_ = data;
    pool_ = pool;
    set_up_ = true;
  }
  ER_RETURN_IF_ERROR(check(xnn_run_operator(op_.get(), pool), "run activation"));
  if (mul_) ER_RETURN_IF_ERROR(check(xnn_run_operator(mul_.get(), pool), "run multiply"));
  return Status();
}

}  // namespace edgerun::xnn
