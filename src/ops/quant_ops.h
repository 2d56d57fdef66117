// Registration of the quantized-op families; register_quant_ops (quant.cpp) calls them all.
#pragma once

#include "ops/op_registry.h"

namespace edgerun {

void register_quant_linear_ops(OpRegistry& r);   // QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear
void register_quant_conv_ops(OpRegistry& r);     // QLinearConv, ConvInteger (+ com.microsoft.QLinearConv)
void register_quant_matmul_ops(OpRegistry& r);   // QLinearMatMul, MatMulInteger
void register_quant_contrib_ops(OpRegistry& r);  // com.microsoft QLinearAdd/Mul/Sigmoid/LeakyRelu/Concat/*Pool

}  // namespace edgerun
