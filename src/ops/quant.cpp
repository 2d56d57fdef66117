// Quantized ONNX ops. Each family lives in its own file (quant_linear, quant_conv, quant_matmul, quant_contrib);
// shared helpers are in quant_util.h and the integer GEMM in quant_gemm.h.
#include "ops/quant_ops.h"

namespace edgerun {

void register_quant_ops(OpRegistry& r) {
  register_quant_linear_ops(r);
  register_quant_conv_ops(r);
  register_quant_matmul_ops(r);
  register_quant_contrib_ops(r);
}

}  // namespace edgerun
