// One prepare per op family of the XNNPACK adapter; each returns nullptr when XNNPACK does not cover the node.
#pragma once

#include <memory>

#include "edgerun/status.h"
#include "ops/op_registry.h"

namespace edgerun::xnn {

Expected<std::unique_ptr<OpKernel>> prepare_conv(PrepareContext& ctx, bool fused);           // conv.cpp
Expected<std::unique_ptr<OpKernel>> prepare_gemm(PrepareContext& ctx, bool fused);           // gemm.cpp
Expected<std::unique_ptr<OpKernel>> prepare_matmul(PrepareContext& ctx, bool fused);         // gemm.cpp
Expected<std::unique_ptr<OpKernel>> prepare_max_pool(PrepareContext& ctx);                   // pool.cpp
Expected<std::unique_ptr<OpKernel>> prepare_average_pool(PrepareContext& ctx);               // pool.cpp
Expected<std::unique_ptr<OpKernel>> prepare_global_average_pool(PrepareContext& ctx);        // pool.cpp
Expected<std::unique_ptr<OpKernel>> prepare_binary(PrepareContext& ctx);                     // elementwise.cpp
Expected<std::unique_ptr<OpKernel>> prepare_unary(PrepareContext& ctx);                      // elementwise.cpp

}  // namespace edgerun::xnn
